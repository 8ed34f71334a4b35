"""Receipts at the till over HTTP: lines, quick amounts, cash with change, numbering, isolation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.shop.tables import CashTender, Receipt, ReceiptLine
from kiosk.till.receipt_views import local_midnight
from tests.kiosk_support import log_in, make_user, make_warehouse, post_form

Client = AsyncTestClient[Litestar]


async def new_receipt(client: Client) -> str:
    response = await post_form(client, "/receipts")
    assert response.status_code == 303
    return str(response.headers["location"])


def state_of(html: str) -> str:
    found = re.search(r'data-testid="receipt-status" data-state="(\w+)"', html)
    assert found, "no receipt status on the page"
    return found.group(1)


def shown_text(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>\s*(.*?)\s*<', html, re.S)
    assert found, f"no {testid} on the page"
    return found.group(1)


async def test_cash_only_receipt_is_paid_with_change(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    page = await cashier_client.get(url)
    assert state_of(page.text) == "open"
    assert 'data-testid="amount"' in page.text
    assert (await post_form(cashier_client, f"{url}/amount", {"amount": "12.50"})).status_code == 303
    page = await cashier_client.get(url)
    assert shown_text(page.text, "amount-due") == "$12.50"
    response = await post_form(cashier_client, f"{url}/cash", {"given": "20"})
    assert response.status_code == 303
    page = await cashier_client.get(response.headers["location"])
    assert state_of(page.text) == "paid"
    assert "Give back change" in page.text and "$7.50" in page.text
    tender = await CashTender.select(CashTender.amount, CashTender.given, CashTender.change).first()
    assert tender == {"amount": 1250, "given": 2000, "change": 750}
    assert 'data-testid="take-cash"' not in page.text  # nothing left to pay


async def test_split_cash_keeps_the_receipt_open_until_paid(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/amount", {"amount": "30"})
    await post_form(cashier_client, f"{url}/cash", {"given": "10"})
    page = await cashier_client.get(url)
    assert state_of(page.text) == "open"
    assert shown_text(page.text, "amount-due") == "$20.00"
    await post_form(cashier_client, f"{url}/cash", {"given": "20.00"})
    assert state_of((await cashier_client.get(url)).text) == "paid"


async def test_line_items_make_the_total(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/lines", {"description": "Coffee", "quantity": "3", "unit_price": "2.40"})
    await post_form(cashier_client, f"{url}/lines", {"description": "Cake", "quantity": "1", "unit_price": "1,234.5"})
    page = await cashier_client.get(url)
    assert "Coffee" in page.text and "$7.20" in page.text and "$1,234.50" in page.text
    assert shown_text(page.text, "receipt-total") == "$1,241.70"
    receipt = await Receipt.select(Receipt.total, Receipt.currency).first()
    assert receipt == {"total": 124170, "currency": "usd"}


async def test_a_line_can_be_removed_before_payment(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/amount", {"amount": "5"})
    await post_form(cashier_client, f"{url}/amount", {"amount": "7"})
    first = await ReceiptLine.select(ReceiptLine.id).order_by(ReceiptLine.id).first()
    assert first is not None
    assert (await post_form(cashier_client, f"{url}/lines/{first['id']}/delete")).status_code == 303
    assert shown_text((await cashier_client.get(url)).text, "receipt-total") == "$7.00"


async def test_lines_are_fixed_once_cash_is_taken(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/amount", {"amount": "30"})
    await post_form(cashier_client, f"{url}/cash", {"given": "10"})
    response = await post_form(cashier_client, f"{url}/amount", {"amount": "5"})
    assert response.status_code == 400
    assert "Payment has started" in response.text
    assert await ReceiptLine.count() == 1


@pytest.mark.parametrize(
    ("form", "data", "message"),
    [
        ("amount", {"amount": "0"}, "more than zero"),
        ("amount", {"amount": "-3"}, "cannot be negative"),
        ("amount", {"amount": "twelve"}, "is not an amount"),
        ("amount", {"amount": "1.999"}, "at most 2 decimal places"),
        ("amount", {"amount": ""}, "Enter an amount"),
        ("lines", {"description": "Tea", "quantity": "0", "unit_price": "2"}, "quantity must be a whole number"),
        ("lines", {"description": "Tea", "quantity": "1.5", "unit_price": "2"}, "quantity must be a whole number"),
        ("lines", {"description": "  ", "quantity": "1", "unit_price": "2"}, "Describe what is sold"),
        ("lines", {"description": "Tea", "quantity": "1", "unit_price": "0.00"}, "more than zero"),
    ],
)
async def test_bad_input_is_refused_with_a_message_and_nothing_saved(
    cashier_client: Client, form: str, data: dict[str, str], message: str
) -> None:
    url = await new_receipt(cashier_client)
    response = await post_form(cashier_client, f"{url}/{form}", data)
    assert response.status_code == 400
    assert message in response.text
    assert await ReceiptLine.count() == 0
    assert (await Receipt.select(Receipt.total).first()) == {"total": 0}


async def test_refused_input_stays_in_the_field(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    response = await post_form(cashier_client, f"{url}/amount", {"amount": "12.345"})
    assert 'value="12.345"' in response.text
    assert 'aria-invalid="true"' in response.text


@pytest.mark.parametrize(("given", "message"), [("0", "more than zero"), ("abc", "not an amount"), ("-1", "negative")])
async def test_bad_cash_is_refused(cashier_client: Client, given: str, message: str) -> None:
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/amount", {"amount": "10"})
    response = await post_form(cashier_client, f"{url}/cash", {"given": given})
    assert response.status_code == 400
    assert message in response.text
    assert await CashTender.count() == 0


async def test_cash_needs_something_sold(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    response = await post_form(cashier_client, f"{url}/cash", {"given": "10"})
    assert response.status_code == 400
    assert "Add what is sold" in response.text


async def test_paid_receipt_takes_no_more_cash(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/amount", {"amount": "10"})
    await post_form(cashier_client, f"{url}/cash", {"given": "10"})
    response = await post_form(cashier_client, f"{url}/cash", {"given": "10"})
    assert response.status_code == 400
    assert "takes no more payments" in response.text
    assert await CashTender.count() == 1


async def test_receipts_are_numbered_per_warehouse(client: Client, warehouse: int) -> None:
    await make_warehouse("Annex", "eur")
    await make_user("main_cashier", warehouses=("Main",))
    await make_user("annex_cashier", warehouses=("Annex",))
    await log_in(client, "main_cashier")
    for _ in range(3):
        await new_receipt(client)
    await log_in(client, "annex_cashier")
    for _ in range(2):
        await new_receipt(client)
    rows = await Receipt.select(Receipt.warehouse.name, Receipt.number, Receipt.currency).order_by(Receipt.id)
    numbers = [(r["warehouse.name"], r["number"], r["currency"]) for r in rows]
    assert numbers == [
        ("Main", 1, "usd"),
        ("Main", 2, "usd"),
        ("Main", 3, "usd"),
        ("Annex", 1, "eur"),
        ("Annex", 2, "eur"),
    ]
    listing = await client.get("/receipts")
    assert listing.text.count('data-testid="receipt-row"') == 2


async def test_cashiers_see_only_their_warehouse(client: Client, warehouse: int) -> None:
    await make_warehouse("Annex", "eur")
    await make_user("main_cashier", warehouses=("Main",))
    await make_user("annex_cashier", warehouses=("Annex",))
    await log_in(client, "main_cashier")
    url = await new_receipt(client)
    await post_form(client, f"{url}/amount", {"amount": "10"})
    await log_in(client, "annex_cashier")
    assert 'data-testid="receipt-row"' not in (await client.get("/receipts")).text
    for path in (url, f"{url}/print", f"{url}/summary"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "We could not find that page" in response.text
    for path, data in (
        (f"{url}/cash", {"given": "10"}),
        (f"{url}/amount", {"amount": "1"}),
        (f"{url}/void", {"confirm": "yes"}),
    ):
        assert (await post_form(client, path, data)).status_code == 404, path
    assert await CashTender.count() == 0
    assert (await Receipt.select(Receipt.total, Receipt.status).first()) == {"total": 1000, "status": "open"}


async def test_todays_receipts_show_their_state(cashier_client: Client) -> None:
    paid = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{paid}/amount", {"amount": "4"})
    await post_form(cashier_client, f"{paid}/cash", {"given": "5"})
    await new_receipt(cashier_client)
    listing = (await cashier_client.get("/receipts")).text
    states = re.findall(r'data-number="(\d+)">.*?data-state="(\w+)"', listing, re.S)
    assert states == [("2", "open"), ("1", "paid")]
    assert "$4.00" in listing


async def test_void_an_untouched_receipt(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/amount", {"amount": "4"})
    assert (await post_form(cashier_client, f"{url}/void", {"confirm": "yes"})).status_code == 303
    page = await cashier_client.get(url)
    assert state_of(page.text) == "voided"
    assert 'data-testid="amount"' not in page.text
    assert 'data-testid="new-sale"' in page.text  # the next customer at once


async def test_void_asks_first_and_says_what_happens(cashier_client: Client) -> None:
    """One press on Void only asks: "Void receipt #1 ($4.00, 1 item)?"; only its Yes voids."""
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/amount", {"amount": "4"})
    page = (await cashier_client.get(url)).text
    assert 'data-testid="void-receipt"' in page and 'data-testid="void-confirm"' not in page
    fragment = await cashier_client.get(f"{url}/void", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Void receipt #1 ($4.00, 1 item)?" in fragment.text
    assert 'data-testid="void-yes"' in fragment.text and "Yes, void receipt #1" in fragment.text
    assert 'data-testid="void-keep"' in fragment.text
    # Without htmx, the same address draws the receipt page with the question in it.
    full = (await cashier_client.get(f"{url}/void")).text
    assert "<html" in full and "Void receipt #1 ($4.00, 1 item)?" in full
    # A bare press (an old page, a replayed form) asks again; nothing is voided.
    asked = await post_form(cashier_client, f"{url}/void")
    assert asked.status_code == 200 and 'data-testid="void-confirm"' in asked.text
    assert (await Receipt.select(Receipt.status).first()) == {"status": "open"}
    assert (await post_form(cashier_client, f"{url}/void", {"confirm": "yes"})).status_code == 303
    assert (await Receipt.select(Receipt.status).first()) == {"status": "voided"}


async def test_a_paid_receipt_offers_a_new_sale(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/amount", {"amount": "4"})
    assert 'data-testid="new-sale"' not in (await cashier_client.get(url)).text  # still open
    await post_form(cashier_client, f"{url}/cash", {"given": "5"})
    page = (await cashier_client.get(url)).text
    assert 'data-testid="new-sale"' in page and 'data-testid="bar-new-sale"' in page
    form = re.search(
        r'<form method="post" action="(/receipts/)"[^>]*>(?:(?!</form>).)*data-testid="new-sale"', page, re.DOTALL
    )
    assert form, "New sale is not a form posting to /receipts/"
    opened = await post_form(cashier_client, form.group(1))
    assert opened.status_code == 303
    fresh = (await cashier_client.get(opened.headers["location"])).text
    assert state_of(fresh) == "open" and "Receipt #2" in fresh


async def test_printable_receipt_after_cash(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/lines", {"description": "Coffee", "quantity": "2", "unit_price": "3"})
    await post_form(cashier_client, f"{url}/cash", {"given": "10"})
    printed = await cashier_client.get(f"{url}/print")
    assert printed.status_code == 200
    text = printed.text
    assert "Main" in text and "Receipt #1" in text and "Coffee" in text and "2 \u00d7 $3.00" in text
    assert "TOTAL" in text and "$6.00" in text and "Change" in text and "$4.00" in text
    assert 'data-state="paid"' in text and "data-print" in text
    assert "<script>" not in text  # the Print button works from static/kiosk.js


async def test_yesterdays_open_receipts_stay_on_the_list(cashier_client: Client) -> None:
    old_open = await new_receipt(cashier_client)
    old_paid = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{old_paid}/amount", {"amount": "4"})
    await post_form(cashier_client, f"{old_paid}/cash", {"given": "4"})
    await Receipt.update({Receipt.opened_at: local_midnight() - timedelta(hours=3)}, force=True)
    await new_receipt(cashier_client)
    listing = (await cashier_client.get("/receipts")).text
    states = re.findall(r'data-number="(\d+)">.*?data-state="(\w+)"', listing, re.S)
    assert states == [("3", "open"), ("1", "open")]
    assert old_open.endswith("/1")
