"""Tips on the reader through the kiosk and the simulator: the warehouse's setting decides
skip_tipping, the tip comes from Stripe's amount_details.tip, and the receipt (page and print)
shows it with a paid total equal to what Stripe took, also with tipping switched on in Stripe's
Dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kiosk.payments.refunds.actions import refundable
from kiosk.payments.settlement import balance
from kiosk.payments.tables import Payment
from kiosk.reports.day_report import x_report
from kiosk.shop.tables import Warehouse
from tests.payments_support import Kiosk, wait_state, wait_until

DASHBOARD_TIPS: Any = {"tipping": {"usd": {"percentages": [10, 15, 20]}}}


async def dashboard_tipping(kiosk: Kiosk) -> None:
    """Tipping switched on in Stripe's Dashboard: the account's default configuration."""
    await kiosk.control("POST", "/_sim/account/terminal_configuration", DASHBOARD_TIPS)


async def recorded(payment_id: int) -> Payment:
    async def probe() -> Payment | None:
        row = await Payment.objects().get(Payment.id == payment_id)
        return row if row is not None and row.amount_charged is not None else None

    return await wait_until(probe, what="what Stripe took recorded")


async def test_no_tips_warehouse_skips_the_tip_screen_the_dashboard_turned_on(kiosk: Kiosk) -> None:
    await dashboard_tipping(kiosk)
    receipt = await kiosk.receipt("30.00")
    started = await kiosk.start(receipt, amount=3000)
    reader = await kiosk.stripe(lambda c: c.v1.terminal.readers.retrieve(kiosk.readers[0]))
    assert reader.action.process_payment_intent.process_config.skip_tipping is True
    assert (await kiosk.control("GET", f"/_sim/readers/{kiosk.readers[0]}/screen"))["state"] == "collecting"
    await kiosk.tap(kiosk.readers[0])
    done = await recorded((await wait_state(started.id, "succeeded")).id)
    assert (done.tip_amount, done.amount_charged) == (0, 3000)
    assert (await balance(receipt)).taken == 3000


async def test_a_tip_chosen_on_the_reader_is_on_the_receipt_and_its_print(kiosk: Kiosk) -> None:
    await dashboard_tipping(kiosk)  # the suggestions, as set in the Dashboard
    await Warehouse.update({Warehouse.tipping: "percentages", Warehouse.tip_choices: "10,15,20"}).where(
        Warehouse.id == kiosk.warehouse_id
    )
    receipt = await kiosk.receipt("30.00")
    started = await kiosk.start(receipt, amount=3000)
    assert started.tipping
    reader = await kiosk.stripe(lambda c: c.v1.terminal.readers.retrieve(kiosk.readers[0]))
    assert reader.action.process_payment_intent.process_config.skip_tipping is False
    screen = await kiosk.control("GET", f"/_sim/readers/{kiosk.readers[0]}/screen")
    assert screen["state"] == "tipping" and [t["amount"] for t in screen["tips"]] == [300, 450, 600]
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/tip", {"amount": 450})
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    done = await recorded(started.id)
    assert (done.amount, done.tip_amount, done.amount_charged) == (3000, 450, 3450)
    ledger = await kiosk.ledger()
    assert ledger["intents"][done.payment_intent_id]["captured"] == 3450
    assert await refundable(done) == 3450  # an admin's refund can give the tip back too
    async with kiosk.cashier() as client:
        page = (await client.get(f"/receipts/{receipt}")).text
        assert 'data-testid="receipt-tip">$4.50<' in page and 'data-testid="receipt-paid">$34.50<' in page
        assert 'data-testid="receipt-total">$30.00<' in page
        printed = (await client.get(f"/receipts/{receipt}/print")).text
        assert "incl. tip" in printed and "$34.50" in printed and 'data-testid="printed-tip-total"' in printed
        assert 'data-testid="payment-tip">incl. tip $4.50<' in page  # the card's own panel says it too


async def test_the_days_figures_count_the_tip_and_agree_with_stripe(kiosk: Kiosk) -> None:
    await dashboard_tipping(kiosk)
    await Warehouse.update({Warehouse.tipping: "percentages", Warehouse.tip_choices: "10,15,20"}).where(
        Warehouse.id == kiosk.warehouse_id
    )
    receipt = await kiosk.receipt("30.00")
    started = await kiosk.start(receipt, amount=3000)
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/tip", {"amount": 300})
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    await recorded(started.id)
    report = await x_report(kiosk.warehouse_id, datetime.now(UTC).date(), kiosk.engine.gateway)
    tips, tenders = report.block("tips"), report.block("tenders")
    assert tips is not None and [(r.key, r.amount) for r in tips.rows] == [("tips", 300)]
    assert tenders is not None and [(r.key, r.amount) for r in tenders.rows] == [("cash", 0), ("card", 3300)]
    assert report.stripe.checked and report.stripe.mismatches == ()  # Stripe took 33.00, the kiosk says so
