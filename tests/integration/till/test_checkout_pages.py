"""What the till's pages say while card payments run, over HTTP: a slow payment, the receipt page
redrawing itself when a card tender opens or closes, today's list, and refusals before Stripe."""

from __future__ import annotations

import re
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.payments import store
from kiosk.payments.settlement import refresh_receipt_status
from kiosk.payments.tables import Payment
from kiosk.till.receipts import add_quick_amount, open_receipt, take_cash
from tests.kiosk_support import post_form, redrawn
from tests.payments_support import INSUFFICIENT_FUNDS, Kiosk, wait_state

Client = AsyncTestClient[Litestar]
HTMX = {"HX-Request": "true"}


async def receipt_for(warehouse: int, cashier: int, amount: str = "20.00") -> int:
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, amount)
    return receipt_id


async def card(receipt_id: int, state: str, amount: int = 2000, **extra: object) -> int:
    rows = await Payment.insert(
        Payment(receipt=receipt_id, amount=amount, currency="usd", state=state, reader_label="Counter 1", **extra)
    ).returning(Payment.id)
    return int(rows[0]["id"])


async def test_a_payment_on_the_reader_for_minutes_may_not_have_completed(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    fresh = await card(receipt_id, "on_reader", sent_at=store.now() - timedelta(seconds=20))
    polled = await cashier_client.get(f"/payments/{fresh}/progress", headers=HTMX)
    assert "Present card on Counter 1" in polled.text and 'data-testid="check-status"' not in polled.text

    await Payment.update({Payment.sent_at: store.now() - timedelta(minutes=3)}, force=True)
    polled = await cashier_client.get(f"/payments/{fresh}/progress", headers=HTMX)
    assert polled.status_code == 200 and 'hx-trigger="every 1s"' in polled.text  # still followed live
    assert "may not have completed" in polled.text
    assert 'data-testid="check-status"' in polled.text and 'data-testid="cancel-payment"' in polled.text


async def test_the_page_redraws_when_a_card_tender_opens_or_closes(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert '/summary?shown=open"' in page
    assert 'data-testid="void-receipt"' in page and 'data-testid="take-cash"' in page

    payment_id = await card(receipt_id, "declined", failure_code="card_declined", decline_code="insufficient_funds")
    summary = await cashier_client.get(f"/receipts/{receipt_id}/summary?shown=open", headers=HTMX)
    page = redrawn(summary)  # the Void button and the cash form must go
    assert 'data-testid="void-receipt"' not in page and 'data-testid="take-cash"' not in page
    assert 'data-testid="cash-held"' in page and '/summary?shown=open_held"' in page
    summary = await cashier_client.get(f"/receipts/{receipt_id}/summary?shown=open_held", headers=HTMX)
    assert "hx-retarget" not in summary.headers and "<!doctype" not in summary.text  # nothing moved

    await Payment.update({Payment.state: "canceled"}).where(Payment.id == payment_id)
    summary = await cashier_client.get(f"/receipts/{receipt_id}/summary?shown=open_held", headers=HTMX)
    page = redrawn(summary)  # free again: Void and cash come back
    assert 'data-testid="void-receipt"' in page and 'data-testid="take-cash"' in page


async def test_cash_then_card_redraws_when_the_card_holds_the_rest(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await take_cash(receipt_id, warehouse, cashier, "5")
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert "shown=open_fixed" in page and 'data-testid="take-cash"' in page
    await card(receipt_id, "on_reader", amount=1500)
    summary = await cashier_client.get(f"/receipts/{receipt_id}/summary?shown=open_fixed", headers=HTMX)
    assert 'data-testid="take-cash"' not in redrawn(summary)  # the card holds the rest


async def test_todays_list_says_what_each_open_card_payment_waits_for(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    quiet = (await cashier_client.get("/receipts")).text
    assert "every 5s" not in quiet  # nothing running: the list does not poll
    running, declined = await receipt_for(warehouse, cashier), await receipt_for(warehouse, cashier)
    refused = await receipt_for(warehouse, cashier)
    await card(running, "on_reader")
    await card(declined, "declined", failure_code="card_declined", decline_code="insufficient_funds")
    await card(refused, "declined", failure_code="terminal_reader_offline")  # never reached a card
    listing = (await cashier_client.get("/receipts")).text
    notes = dict(re.findall(r'data-number="(\d+)">.*?data-testid="card-note">([^<]+)<', listing, re.S))
    assert notes == {"1": "Card payment running", "2": "Card declined", "3": "Card not charged: reader offline"}
    assert 'hx-trigger="every 5s"' in listing and 'hx-select="#todays-receipts"' in listing


async def test_picker_refuses_an_amount_below_the_card_minimum(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier, "0.30")
    picker = await cashier_client.get(f"/receipts/{receipt_id}/card/readers", headers=HTMX)
    assert "The smallest card payment in USD is $0.50." in picker.text
    assert 'data-testid="reader-option"' not in picker.text


async def test_another_reader_replaces_the_whole_card_section(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await post_form(client, f"/receipts/{receipt}/card", {"reader_id": kiosk.readers[0]})
        payment = await Payment.objects().where(Payment.receipt == receipt).first()
        assert payment is not None
        await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
        await wait_state(payment.id, "declined")
        picker = await client.get(f"/payments/{payment.id}/readers", headers=HTMX)
        # The retry answers with the card section: it must replace that, not nest inside the panel.
        assert picker.text.count('hx-target="#card-tenders"') == 2
        retried = await post_form(client, f"/payments/{payment.id}/retry", {"reader_id": kiosk.readers[1]})
        assert retried.text.count('id="card-tenders"') == 1
        assert "Present card on Counter 2" in retried.text


async def test_approved_before_the_card_details_arrive_keeps_following_them(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await card(receipt_id, "succeeded", settled_at=store.now())
    await refresh_receipt_status(receipt_id)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert "shown=paid_card_waiting" in page and "every 2s" in page  # the summary watches for them
    printed = (await cashier_client.get(f"/receipts/{receipt_id}/print")).text
    assert 'data-testid="card-details-waiting"' in printed and 'hx-trigger="every 1s"' in printed

    await Payment.update({Payment.card_brand: "visa", Payment.card_last4: "4242"}, force=True)
    summary = await cashier_client.get(f"/receipts/{receipt_id}/summary?shown=paid_card_waiting", headers=HTMX)
    page = redrawn(summary)  # the page redraws with the card
    assert "Visa •••• 4242" in page and "every 2s" not in page
    printed = (await cashier_client.get(f"/receipts/{receipt_id}/print")).text
    assert "card-details-waiting" not in printed and "every 1s" not in printed and "Visa •••• 4242" in printed


async def test_card_details_that_never_came_stop_being_waited_for(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    await card(receipt_id, "succeeded", settled_at=store.now() - timedelta(minutes=5))
    await refresh_receipt_status(receipt_id)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'shown=paid"' in page and "every 2s" not in page
    assert "card-details-waiting" not in (await cashier_client.get(f"/receipts/{receipt_id}/print")).text
