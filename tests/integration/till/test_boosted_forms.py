"""The till's forms that htmx sends for the page (hx-boost: New receipt, New sale, the quick
amount): each press is answered with the page it leads to, at the address the browser then shows,
so the cashier waits for one answer instead of a redirect and the page it points to. Without htmx
the same forms still redirect (plain posts)."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.shop.tables import Receipt
from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.kiosk_support import post_form

Client = AsyncTestClient[Litestar]
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def heading(page: str) -> str:
    found = re.search(r"<h1>(Receipt #\d+)", page)
    assert found, page
    return found.group(1)


async def test_new_receipt_answers_with_its_page_at_its_own_address(cashier_client: Client) -> None:
    today = (await cashier_client.get("/receipts")).text
    assert re.search(r'<form method="post" action="/receipts" hx-boost="true"[^>]*>', today)

    opened = await post_form(cashier_client, "/receipts/", headers=BOOSTED)
    receipt = await Receipt.objects().first()
    assert receipt is not None
    assert opened.status_code == 200 and opened.headers["hx-push-url"] == f"/receipts/{receipt.id}"
    assert heading(opened.text) == f"Receipt #{receipt.number}" and 'data-testid="amount"' in opened.text
    # The same as its own address shows (what Back, a reload or a bookmark draws).
    assert heading((await cashier_client.get(f"/receipts/{receipt.id}")).text) == heading(opened.text)

    plain = await post_form(cashier_client, "/receipts/")  # no htmx: the redirect, as before
    assert plain.status_code == 303 and plain.headers["location"] == f"/receipts/{receipt.id + 1}"


async def test_the_amount_answers_with_the_receipt_showing_it(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await open_receipt(warehouse, cashier)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'class="quick-amount" hx-boost="true"' in page

    added = await post_form(cashier_client, f"/receipts/{receipt_id}/amount", {"amount": "12.50"}, BOOSTED)
    assert added.status_code == 200 and added.headers["hx-replace-url"] == f"/receipts/{receipt_id}"
    assert "$12.50" in added.text and 'data-testid="add-card"' in added.text  # "+ Card" for the total
    assert (await Receipt.select(Receipt.total).where(Receipt.id == receipt_id).first()) == {"total": 1250}


async def test_a_refused_amount_keeps_the_page_and_says_why(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, "3.00")

    refused = await post_form(cashier_client, f"/receipts/{receipt_id}/amount", {"amount": "abc"}, BOOSTED)
    assert refused.status_code == 400 and refused.headers["hx-push-url"] == "false"  # the address stays
    assert 'data-testid="amount-error"' in refused.text and 'value="abc"' in refused.text  # what was typed
    assert (await Receipt.select(Receipt.total).where(Receipt.id == receipt_id).first()) == {"total": 300}


async def paid_in_cash(client: Client, warehouse: int, cashier: int) -> tuple[int, str]:
    """A $2.00 receipt paid in cash: its id and its page, as the cashier sees it."""
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, "2.00")
    await post_form(client, f"/receipts/{receipt_id}/cash", {"given": "2.00"})
    paid = (await client.get(f"/receipts/{receipt_id}")).text
    assert 'data-testid="receipt-status" data-state="paid"' in paid
    return receipt_id, paid


async def test_new_sale_on_a_closed_receipt_is_boosted_too(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id, paid = await paid_in_cash(cashier_client, warehouse, cashier)
    forms = re.findall(r'<form method="post" action="/receipts/"[^>]*>', paid)
    assert forms and all('hx-boost="true"' in form for form in forms)  # the summary's and the bar's

    opened = await post_form(cashier_client, "/receipts/", headers=BOOSTED)
    assert opened.headers["hx-push-url"] == f"/receipts/{receipt_id + 1}"
    assert 'data-testid="receipt-status" data-state="open"' in opened.text


async def test_new_sale_takes_the_next_customers_amount_with_the_press(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id, paid = await paid_in_cash(cashier_client, warehouse, cashier)
    assert 'data-testid="next-sale-amount"' in paid  # beside New sale, on the paid receipt

    opened = await post_form(cashier_client, "/receipts/", {"amount": "7.25"}, BOOSTED)
    new_id = receipt_id + 1
    assert opened.status_code == 200 and opened.headers["hx-push-url"] == f"/receipts/{new_id}"
    # The new receipt already carries the amount: "+ Card" for it, no second press.
    assert heading(opened.text).startswith("Receipt #") and "$7.25" in opened.text
    assert 'data-testid="add-card"' in opened.text
    assert (await Receipt.select(Receipt.total).where(Receipt.id == new_id).first()) == {"total": 725}

    plain = await post_form(cashier_client, "/receipts", {"amount": "1.10"})  # today's list, without htmx
    assert plain.status_code == 303 and plain.headers["location"] == f"/receipts/{new_id + 1}"
    assert (await Receipt.select(Receipt.total).where(Receipt.id == new_id + 1).first()) == {"total": 110}


async def test_a_refused_amount_with_new_sale_opens_the_sale_and_says_why(cashier_client: Client) -> None:
    opened = await post_form(cashier_client, "/receipts/", {"amount": "12,4x"}, BOOSTED)
    receipt = await Receipt.objects().first()
    assert receipt is not None and receipt.total == 0  # the sale is open, without the amount
    assert opened.status_code == 200 and opened.headers["hx-push-url"] == f"/receipts/{receipt.id}"
    assert 'data-testid="amount-error"' in opened.text and 'value="12,4x"' in opened.text  # by the field
    assert await Receipt.count() == 1

    blank = await post_form(cashier_client, "/receipts/", {"amount": "  "}, BOOSTED)  # nothing typed
    assert blank.status_code == 200 and 'data-testid="amount-error"' not in blank.text
    assert await Receipt.count() == 2
