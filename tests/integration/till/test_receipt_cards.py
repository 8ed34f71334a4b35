"""How card tenders (the payments engine's Payment rows) count on a receipt, and print."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.payments.settlement import balance, refresh_receipt_status
from kiosk.payments.tables import Payment
from kiosk.shop.tables import Receipt
from kiosk.till.receipts import add_quick_amount, open_receipt, take_cash
from tests.kiosk_support import post_form, redrawn

Client = AsyncTestClient[Litestar]

EMV = {
    "read_method": "contactless_emv",
    "receipt": {
        "application_preferred_name": "Visa Credit",
        "dedicated_file_name": "A0000000031010",
        "authorization_code": "123456",
        "authorization_response_code": "3030",
        "terminal_verification_results": "0000008000",
        "transaction_status_information": "6800",
        "account_type": "credit",
    },
}


async def receipt_for(warehouse: int, cashier: int, amount: str = "20.00") -> int:
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, amount)
    return receipt_id


async def card(receipt_id: int, amount: int, state: str, **extra: Any) -> None:
    await Payment.insert(Payment(receipt=receipt_id, amount=amount, currency="usd", state=state, **extra))


async def test_settled_card_payment_closes_the_receipt(warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await card(receipt_id, 2000, "on_reader")
    assert await refresh_receipt_status(receipt_id) == "open"
    await Payment.update({Payment.state: "succeeded"}, force=True)
    assert await refresh_receipt_status(receipt_id) == "paid"
    assert await refresh_receipt_status(receipt_id) == "paid"  # calling again changes nothing
    row = await Receipt.select(Receipt.status, Receipt.closed_at).first()
    assert row is not None and row["status"] == "paid" and row["closed_at"] is not None


async def test_authorized_payment_kept_for_capture_settles_the_till(warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await card(receipt_id, 2000, "requires_capture", keep_for_capture=True)
    assert await refresh_receipt_status(receipt_id) == "paid"


async def test_authorization_being_captured_at_once_settles_once_captured(warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await card(receipt_id, 2000, "requires_capture", capture_method="manual")
    assert await refresh_receipt_status(receipt_id) == "open"
    assert (await balance(receipt_id)).pending == 2000
    await Payment.update({Payment.state: "captured"}, force=True)
    assert await refresh_receipt_status(receipt_id) == "paid"


async def test_declined_and_canceled_payments_pay_nothing(warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await card(receipt_id, 2000, "declined")
    await card(receipt_id, 2000, "canceled")
    assert await refresh_receipt_status(receipt_id) == "open"
    owed = await balance(receipt_id)
    assert (owed.paid, owed.due, owed.pending, owed.tenderable) == (0, 2000, 2000, 0)


async def test_cash_takes_only_what_a_running_card_payment_leaves(warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await card(receipt_id, 1500, "on_reader")
    taken = await take_cash(receipt_id, warehouse, cashier, "10")
    assert (taken.amount, taken.change, taken.status) == (500, 500, "open")
    await Payment.update({Payment.state: "succeeded"}, force=True)
    assert await refresh_receipt_status(receipt_id) == "paid"


async def test_receipt_page_follows_a_running_card_payment(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await card(receipt_id, 2000, "on_reader")
    page = await cashier_client.get(f"/receipts/{receipt_id}")
    assert "Card payment running" in page.text
    assert "every 2s" in page.text  # the summary polls while the card payment runs
    assert 'data-testid="take-cash"' not in page.text
    assert 'data-testid="void-receipt"' not in page.text
    listing = await cashier_client.get("/receipts")
    assert "Card payment running" in listing.text
    await Payment.update({Payment.state: "succeeded"}, force=True)
    await refresh_receipt_status(receipt_id)
    fragment = await cashier_client.get(f"/receipts/{receipt_id}/summary?shown=open", headers={"HX-Request": "true"})
    page = redrawn(fragment)  # the page is drawn anew to show the closed receipt
    assert 'data-testid="receipt-status" data-state="paid"' in page
    assert "every 2s" not in page
    settled = await cashier_client.get(f"/receipts/{receipt_id}/summary?shown=paid", headers={"HX-Request": "true"})
    assert "hx-retarget" not in settled.headers and 'data-state="paid"' in settled.text


async def test_lines_are_fixed_while_a_card_payment_exists(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await card(receipt_id, 2000, "declined")
    response = await post_form(cashier_client, f"/receipts/{receipt_id}/amount", {"amount": "1"})
    assert response.status_code == 400
    assert "Payment has started" in response.text
    assert (await post_form(cashier_client, f"/receipts/{receipt_id}/void", {"confirm": "yes"})).status_code == 400


async def test_printed_receipt_shows_the_card_details(cashier_client: Client, warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier, "25.00")
    await take_cash(receipt_id, warehouse, cashier, "5")
    await card(receipt_id, 2000, "declined", card_brand="visa", card_last4="0002")
    details = json.dumps(EMV)
    await card(receipt_id, 2000, "succeeded", card_brand="visa", card_last4="4242", card_details=details)
    await refresh_receipt_status(receipt_id)
    printed = (await cashier_client.get(f"/receipts/{receipt_id}/print")).text
    assert printed.count('data-testid="card-tender"') == 1  # the declined attempt is not a tender
    assert "Visa •••• 4242" in printed and "$20.00" in printed and "0002" not in printed
    for shown in ("123456", "A0000000031010", "Visa Credit", "3030", "0000008000", "6800", "contactless emv"):
        assert shown in printed, shown
    assert 'data-state="paid"' in printed


async def test_numbers_stay_unique_when_tills_open_receipts_at_once(warehouse: int, cashier: int) -> None:
    ids = await asyncio.gather(*(open_receipt(warehouse, cashier) for _ in range(8)))
    numbers = sorted(row["number"] for row in await Receipt.select(Receipt.number).where(Receipt.id.is_in(ids)))
    assert numbers == list(range(1, 9))
