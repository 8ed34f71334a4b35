"""The day's close at the till and on the admin pages, against the simulator: the X report adds up
a seeded day (tenders, brands, refunds, declines, cancels, cashiers, cash), the Z report closes it
once with the cash counted and keeps it, bad counts and closed days are refused with nothing kept,
and Stripe's own records of the day are checked with every difference listed by receipt."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from kiosk.audit.tables import AuditEntry
from kiosk.forms import FormErrors
from kiosk.payments import actions as payments
from kiosk.payments.tables import Payment
from kiosk.reports import closing
from kiosk.reports.day_report import x_report
from kiosk.reports.days import today
from kiosk.reports.tables import DayClose
from kiosk.shop.tables import Warehouse
from tests.admin_payments_support import admin_browser
from tests.integration.reports.day_support import card_sale, row_of, seed_day, texts_of
from tests.kiosk_support import make_user, make_warehouse, post_form
from tests.payments_support import INSUFFICIENT_FUNDS, VISA, Kiosk, wait_card, wait_state, wait_until

TODAY = datetime.now(UTC).date()


async def test_the_x_report_adds_up_the_day(kiosk: Kiosk) -> None:
    await seed_day(kiosk)
    async with kiosk.cashier() as till:
        page = (await till.get("/reports/x")).text
    assert texts_of(page, "report-title") == ["X report"]
    assert row_of(page, "tenders", "cash") == ("1", "$12.50")  # what the receipt took, not the $20 handed over
    assert row_of(page, "tenders", "card") == ("2", "$30.00")
    assert row_of(page, "brands", "visa") == ("1", "$10.00")
    assert row_of(page, "brands", "mastercard") == ("1", "$20.00")
    assert row_of(page, "refunds", "card_refund") == ("1", "$5.00")
    assert row_of(page, "declines", "insufficient_funds") == ("1", "$7.00")
    assert row_of(page, "canceled", "unpaid") == ("1", "$7.00")
    assert texts_of(page, "takings") == ["$37.50"] and texts_of(page, "cash-expected") == ["$12.50"]
    assert texts_of(page, "paid-count") == ["3"]
    # One open receipt? No: the declined one was canceled but its receipt stays open, and says so.
    assert texts_of(page, "open-receipts")[0].startswith("1 receipt is still open")
    assert texts_of(page, "stripe-charged") == ["$30.00"] and texts_of(page, "kiosk-charged") == ["$30.00"]
    assert texts_of(page, "stripe-refunded") == ["$5.00"] and "stripe-agrees" in page
    report = await x_report(kiosk.warehouse_id, TODAY, kiosk.engine.gateway)
    cashiers = report.block("cashiers")
    assert cashiers is not None and [(r.label, r.count, r.amount) for r in cashiers.rows] == [("cashier", 3, 4250)]
    assert not await DayClose.exists()  # an X report keeps nothing


async def test_a_decline_that_a_retry_paid_still_counts_as_a_decline(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("9.00")
    started = await kiosk.start(receipt, amount=900)
    await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
    await wait_state(started.id, "declined")
    reader = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
    await payments.retry_payment(kiosk.engine, started.id, reader, "test till 0")
    await kiosk.tap(kiosk.readers[0], VISA)
    await wait_state(started.id, "succeeded")
    await wait_card(started.id)
    report = await x_report(kiosk.warehouse_id, TODAY, kiosk.engine.gateway)
    declines, brands = report.block("declines"), report.block("brands")
    assert declines is not None and [(r.key, r.count) for r in declines.rows] == [("insufficient_funds", 1)]
    assert brands is not None and [(r.key, r.amount) for r in brands.rows] == [("visa", 900)]


async def test_the_z_report_closes_the_day_once_with_the_count_and_is_reprinted(kiosk: Kiosk) -> None:
    await seed_day(kiosk)
    async with kiosk.cashier() as till:
        done = await post_form(till, "/reports/z", {"day": TODAY.isoformat(), "cash_counted": "10.00"})
        assert done.status_code == 303
        page = (await till.get(done.headers["location"])).text
        assert texts_of(page, "report-title") == ["Z report #1"] and "closed-notice" in page
        assert texts_of(page, "cash-expected") == ["$12.50"] and texts_of(page, "cash-counted") == ["$10.00"]
        assert texts_of(page, "cash-difference") == ["-$2.50"] and "Cash short" in page
        again = await post_form(till, "/reports/z", {"day": TODAY.isoformat(), "cash_counted": "12.50"})
        assert again.status_code == 400
        assert f"{TODAY.isoformat()} is already closed: Z #1 by cashier" in texts_of(again.text, "error-day")[0]
        listing = (await till.get("/reports")).text
        assert [n for n in texts_of(listing, "z-link")] == ["#1"]
        z_id = (await DayClose.select(DayClose.id).first() or {})["id"]
        printed = (await till.get(f"/reports/z/{z_id}/print?paper=58")).text
        assert "paper-58" in printed and texts_of(printed, "cash-counted") == ["$10.00"]
        csv = await till.get(f"/reports/z/{z_id}/csv")
        assert csv.headers["content-type"].startswith("text/csv")
        assert "cash,Difference,difference,,-2.50,usd" in csv.text and "tenders,Card,card,2,30.00,usd" in csv.text
    rows = await DayClose.select(DayClose.number, DayClose.cash_counted, DayClose.cash_difference)
    assert rows == [{"number": 1, "cash_counted": 1000, "cash_difference": -250}]
    [entry] = await AuditEntry.select().where(AuditEntry.action == "day.close").output(load_json=True)
    assert entry["detail"]["cash_counted"] == "$10.00" and entry["detail"]["difference"] == "-$2.50"


async def test_a_kept_z_report_keeps_its_figures_when_the_day_changes_later(kiosk: Kiosk) -> None:
    await card_sale(kiosk, "10.00")
    z_id = await closing.close_day(kiosk.warehouse_id, kiosk.user_id, "cashier", "", "0", kiosk.engine.gateway)
    await card_sale(kiosk, "4.00")
    kept = await closing.z_report(z_id)
    tenders = kept.block("tenders")
    assert tenders is not None and [r.amount for r in tenders.rows] == [0, 1000]
    live = await x_report(kiosk.warehouse_id, TODAY, kiosk.engine.gateway)
    assert live.block("tenders") is not None and [r.amount for r in live.block("tenders").rows] == [0, 1400]  # type: ignore[union-attr]


async def test_two_people_closing_the_same_day_at_once_get_one_z(kiosk: Kiosk) -> None:
    await card_sale(kiosk, "10.00")
    results = await asyncio.gather(
        *(
            closing.close_day(
                kiosk.warehouse_id, kiosk.user_id, "cashier", TODAY.isoformat(), "0", kiosk.engine.gateway
            )
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    kept = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, FormErrors)]
    assert len(kept) == 1 and len(refused) == 1, results
    assert "is already closed: Z #1" in refused[0].errors["day"]
    assert await DayClose.count() == 1
    assert await AuditEntry.count().where(AuditEntry.action == "day.close") == 1


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("", "Count the cash in the drawer and enter the total (0 if it is empty)."),
        ("ten dollars", "is not an amount"),
        ("-5", "The amount cannot be negative."),
        ("12.345", "USD amounts have at most 2 decimal places."),
    ],
)
async def test_a_cash_count_that_is_not_an_amount_is_refused_and_nothing_is_kept(
    kiosk: Kiosk, count: str, message: str
) -> None:
    async with kiosk.cashier() as till:
        page = await post_form(till, "/reports/z", {"day": TODAY.isoformat(), "cash_counted": count})
    assert page.status_code == 400
    assert message in texts_of(page.text, "error-cash_counted")[0]
    assert f'value="{count}"' in page.text  # what was typed is still there
    assert not await DayClose.exists() and not await AuditEntry.exists().where(AuditEntry.action == "day.close")


async def test_a_day_not_begun_or_not_a_date_is_refused(kiosk: Kiosk) -> None:
    async with kiosk.cashier() as till:
        future = await post_form(till, "/reports/z", {"day": "2999-01-01", "cash_counted": "0"})
        nonsense = await post_form(till, "/reports/z", {"day": "yesterday", "cash_counted": "0"})
        x = await till.get("/reports/x?day=2999-01-01")
    assert future.status_code == nonsense.status_code == x.status_code == 400
    assert "2999-01-01 has not begun yet in UTC." in texts_of(future.text, "error-day")[0]
    assert "“yesterday” is not a date" in texts_of(nonsense.text, "error-day")[0]
    assert "has not begun yet" in texts_of(x.text, "error-day")[0]
    assert not await DayClose.exists()


async def test_every_difference_with_stripe_is_listed_by_receipt(kiosk: Kiosk) -> None:
    visa = await card_sale(kiosk, "10.00")
    await card_sale(kiosk, "6.00")
    # The kiosk's record drifted from Stripe's (say, a bug or a hand edit): $11 counted, $10 charged.
    await Payment.update({Payment.amount: 1100, Payment.amount_charged: 1100}).where(Payment.id == visa.id)
    # A charge made outside the kiosk but marked for this warehouse (an API script, say).
    outside = await kiosk.stripe(
        lambda c: c.v1.payment_intents.create(
            params={"amount": 300, "currency": "usd", "allowed_payment_method_types": ["card_present"],
                    "metadata": {"warehouse": str(kiosk.warehouse_id), "receipt": "999"}}
        )
    )  # fmt: skip
    await kiosk.stripe(
        lambda c: c.v1.terminal.readers.process_payment_intent(kiosk.readers[1], params={"payment_intent": outside.id})
    )
    await kiosk.tap(kiosk.readers[1], VISA)
    # Another warehouse's charge on the same account is none of this report's business.
    other = await make_warehouse("Annex")
    await kiosk.stripe(
        lambda c: c.v1.payment_intents.create(
            params={"amount": 800, "currency": "usd", "metadata": {"warehouse": str(other)},
                    "allowed_payment_method_types": ["card_present"]}
        )
    )  # fmt: skip
    receipt_number = (await Payment.select(Payment.receipt.number).where(Payment.id == visa.id).first() or {})[
        "receipt.number"
    ]

    async def outside_charged() -> bool:
        report = await x_report(kiosk.warehouse_id, TODAY, kiosk.engine.gateway)
        return report.stripe.charged == 1900

    await wait_until(outside_charged, what="the outside charge at Stripe")
    async with kiosk.cashier() as till:
        page = (await till.get("/reports/x")).text
    assert texts_of(page, "mismatch-count") == ["2 differences with Stripe:"]
    assert texts_of(page, "kiosk-charged") == ["$17.00"] and texts_of(page, "stripe-charged") == ["$19.00"]
    listed = page[page.index('data-testid="mismatches"') :]
    assert f'data-receipt="{receipt_number}"' in listed and "The amounts differ." in listed
    assert "Kiosk $11.00 · Stripe $10.00" in listed
    assert "No receipt</strong>: Stripe charged it; the kiosk has no such card payment." in listed
    assert "Kiosk — · Stripe $3.00" in listed


async def test_a_report_reads_stripe_once_per_page_of_the_list(kiosk: Kiosk) -> None:
    await card_sale(kiosk, "10.00")
    charges, refunds = await kiosk.calls("GET /v1/charges"), await kiosk.calls("GET /v1/refunds")
    async with kiosk.cashier() as till:
        assert (await till.get("/reports/x")).status_code == 200
    assert await kiosk.calls("GET /v1/charges") == charges + 1
    assert await kiosk.calls("GET /v1/refunds") == refunds + 1


async def test_a_cashier_sees_only_their_warehouse_and_admins_see_all(kiosk: Kiosk) -> None:
    await card_sale(kiosk, "10.00")
    z_id = await closing.close_day(kiosk.warehouse_id, kiosk.user_id, "cashier", "", "0", kiosk.engine.gateway)
    other = await make_warehouse("Annex")
    await make_user("annex", warehouses=("Annex",))
    async with kiosk.cashier("annex") as annex:
        assert (await annex.get(f"/reports/z/{z_id}")).status_code == 404
        assert (await annex.get(f"/reports/z/{z_id}/csv")).status_code == 404
        assert (await annex.get("/admin/reports")).status_code == 403
        assert "No day closed yet." in (await annex.get("/reports")).text
    async with admin_browser(kiosk) as admin:
        listing = (await admin.get("/admin/reports")).text
        assert 'data-name="Main"' in listing and 'data-name="Annex"' in listing
        main = (await admin.get(f"/admin/reports/{kiosk.warehouse_id}")).text
        assert main.count('data-testid="chart"') == 2 and 'class="bar-card"' in main
        assert "<script" not in main.split("</head>")[1] and " style=" not in main
        z = (await admin.get(f"/admin/reports/z/{z_id}")).text
        assert texts_of(z, "report-title") == ["Z report #1"]
        assert (await admin.get(f"/admin/reports/z/{z_id}/print?paper=a4")).status_code == 200
        assert "X report" in (await admin.get(f"/admin/reports/{other}/x")).text
        assert (await admin.get("/admin/reports/9999")).status_code == 404


async def test_the_day_runs_in_the_warehouse_time_zone(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        bad = await post_form(admin, f"/admin/warehouses/{kiosk.warehouse_id}/timezone", {"timezone": "Mars/Olympus"})
        assert bad.status_code == 400
        assert "“Mars/Olympus” is not a time zone this server knows" in texts_of(bad.text, "error-timezone")[0]
        assert (await Warehouse.select(Warehouse.timezone).first() or {})["timezone"] == "UTC"
        done = await post_form(
            admin, f"/admin/warehouses/{kiosk.warehouse_id}/timezone", {"timezone": "Pacific/Kiritimati"}
        )
        assert done.status_code == 303
    [entry] = await AuditEntry.select().where(AuditEntry.action == "warehouse.timezone").output(load_json=True)
    assert entry["detail"] == {"timezone": {"from": "UTC", "to": "Pacific/Kiritimati"}}
    # UTC+14: a sale made now belongs to Kiritimati's date, which may be tomorrow in UTC.
    await card_sale(kiosk, "10.00")
    local = today("Pacific/Kiritimati")
    report = await x_report(kiosk.warehouse_id, local, kiosk.engine.gateway)
    assert report.day == local.isoformat() and report.timezone == "Pacific/Kiritimati"
    assert report.block("tenders") is not None and report.block("tenders").rows[1].amount == 1000  # type: ignore[union-attr]


async def test_a_day_closes_when_stripe_cannot_answer_and_the_z_report_says_so(kiosk: Kiosk) -> None:
    await card_sale(kiosk, "10.00")
    await kiosk.control("POST", "/_sim/faults/api", {"status": 500, "count": 3})  # the SDK's tries, all failed
    async with kiosk.cashier() as till:
        done = await post_form(till, "/reports/z", {"day": "", "cash_counted": "0"})
        page = (await till.get(done.headers["location"])).text
    assert texts_of(page, "stripe-unchecked")[0].startswith("Not checked: Stripe could not be asked")
    assert texts_of(page, "report-title") == ["Z report #1"]
    row = await DayClose.select(DayClose.stripe_unchecked, DayClose.mismatches).first()
    assert (
        row is not None and row["stripe_unchecked"].startswith("Stripe could not be asked") and row["mismatches"] == 0
    )
