"""Card payments through the real simulator: approval, capture, declines and retries, cancels,
double clicks. Every test ends by reading the simulator's ledger: money taken once, or not at all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from kiosk.payments import actions as payments
from kiosk.payments.tables import Payment
from kiosk.shop.tables import Receipt
from kiosk.stripe_account.errors import PaymentNotAllowed, ReaderBusy
from tests.payments_support import (
    Kiosk,
    Shop,
    assert_charged_once,
    assert_nothing_charged,
    payment,
    serve_kiosk,
    wait_card,
    wait_state,
)
from tests.simulator_support import RunningSimulator

INSUFFICIENT_FUNDS = "4000000000009995"
MASTERCARD = "5555555555554444"
PI_CREATE = "POST /v1/payment_intents"
PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"
CANCEL_ACTION = "POST /v1/terminal/readers/{reader}/cancel_action"


async def receipt_status(receipt_id: int) -> str:
    row = await Receipt.select(Receipt.status).where(Receipt._meta.primary_key == receipt_id).first()
    assert row is not None
    return str(row["status"])


async def test_tap_approves_and_closes_the_receipt(kiosk: Kiosk) -> None:
    """Approved: brand, last4 and the EMV fields are kept, and the receipt is paid."""
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    assert started.state == "on_reader" and started.payment_intent_id
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    assert await receipt_status(receipt) == "paid"
    done = await wait_card(started.id)
    assert (done.card_brand, done.card_last4) == ("visa", "4242")
    details = done.card_details if isinstance(done.card_details, dict) else json.loads(done.card_details)
    assert details["authorization_code"] and details["read_method"]
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


@pytest.fixture
async def manual_kiosk(shop: Shop, simulator: RunningSimulator) -> AsyncIterator[Kiosk]:
    async for running in serve_kiosk(simulator, shop, capture_mode="manual"):
        yield running


async def test_manual_capture_mode_captures_right_after_authorization(manual_kiosk: Kiosk) -> None:
    kiosk = manual_kiosk
    receipt = await kiosk.receipt("12.00")
    started = await kiosk.start(receipt, amount=1200)
    assert started.capture_method == "manual"
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "captured")
    done = await wait_card(started.id)
    assert done.capture_before is not None
    ledger = await kiosk.ledger()
    assert ledger["intents"][done.payment_intent_id]["captured"] == 1200
    await assert_charged_once(kiosk, done.payment_intent_id, 1200)
    assert await receipt_status(receipt) == "paid"


async def test_decline_then_retry_on_the_same_intent_and_reader(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
    declined = await wait_state(started.id, "declined")
    assert declined.decline_code == "insufficient_funds"
    view = payments.payment_view(declined)
    assert view.can_retry and "Not enough money" in view.detail
    reader = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
    retried = await payments.retry_payment(kiosk.engine, started.id, reader, "till")
    assert retried.state == "on_reader" and retried.attempt == 2
    assert retried.payment_intent_id == started.payment_intent_id
    await kiosk.tap(kiosk.readers[0], MASTERCARD)
    done = await wait_state(started.id, "succeeded")
    assert await kiosk.calls(PI_CREATE) == 1
    done = await wait_card(started.id)
    assert (done.card_brand, done.card_last4) == ("mastercard", "4444")  # the card that paid
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_retry_on_another_reader_keeps_the_intent(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
    await wait_state(started.id, "declined")
    other = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[1])
    retried = await payments.retry_payment(kiosk.engine, started.id, other, "till")
    assert (retried.reader_id, retried.reader_label) == (kiosk.readers[1], "Counter 2")
    await kiosk.tap(kiosk.readers[1])
    done = await wait_state(started.id, "succeeded")
    assert done.payment_intent_id == started.payment_intent_id
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_double_click_on_pay_starts_one_payment(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    first, second = await asyncio.gather(kiosk.start(receipt), kiosk.start(receipt))
    assert first.id == second.id
    assert await Payment.count().where(Payment.receipt == receipt) == 1
    assert await kiosk.calls(PI_CREATE) == 1
    assert await kiosk.calls(PROCESS) == 1
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(first.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_two_tills_cannot_send_to_one_reader(kiosk: Kiosk) -> None:
    first_receipt, second_receipt = await kiosk.receipt("10.00"), await kiosk.receipt("20.00")
    first = await kiosk.start(first_receipt)
    with pytest.raises(ReaderBusy):
        await kiosk.start(second_receipt, amount=2000)
    assert await Payment.count().where(Payment.receipt == second_receipt) == 0
    reader = await kiosk.stripe(lambda c: c.v1.terminal.readers.retrieve(kiosk.readers[0]))
    assert reader.action.process_payment_intent.payment_intent == first.payment_intent_id
    assert await kiosk.calls(PROCESS) == 1
    # The second till takes the other reader instead.
    second = await kiosk.start(second_receipt, reader=1, amount=2000)
    await kiosk.tap(kiosk.readers[0])
    await kiosk.tap(kiosk.readers[1])
    assert (await wait_state(first.id, "succeeded")).amount == 1000
    assert (await wait_state(second.id, "succeeded")).amount == 2000
    ledger = await kiosk.ledger()
    assert ledger["totals"]["usd"]["authorized"] == 3000


async def test_cashier_cancel_stops_the_reader_and_cancels_the_intent(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    canceled = await payments.cancel_payment(kiosk.engine, started.id)
    assert canceled.state == "canceled"
    intent = await kiosk.stripe(lambda c: c.v1.payment_intents.retrieve(str(started.payment_intent_id)))
    assert intent.status == "canceled"
    screen = await kiosk.control("GET", f"/_sim/readers/{kiosk.readers[0]}/screen")
    assert screen["state"] != "collecting"
    assert await kiosk.calls(CANCEL_ACTION) == 1
    await assert_nothing_charged(kiosk)
    # The reader is free again for the next receipt.
    assert (await kiosk.start(await kiosk.receipt("5.00"), amount=500)).state == "on_reader"


async def test_customer_cancel_on_the_reader_is_retryable(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/customer_cancel")
    declined = await wait_state(started.id, "declined")
    assert declined.failure_code == "customer_canceled"
    assert "customer canceled" in payments.payment_view(declined).detail
    canceled = await payments.cancel_payment(kiosk.engine, started.id)
    assert canceled.state == "canceled"
    await assert_nothing_charged(kiosk)


async def test_cancel_while_authorizing_is_refused_and_the_payment_completes(kiosk: Kiosk) -> None:
    reader = kiosk.readers[0]
    # Long enough for the cancel to reach the reader while it still authorizes, on a busy machine too
    # (the cancel may first wait up to 5 s for the reconciler's lease on the payment).
    await kiosk.control("POST", f"/_sim/readers/{reader}/authorization_delay", {"seconds": 20})
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(reader)
    with pytest.raises(PaymentNotAllowed):
        await payments.cancel_payment(kiosk.engine, started.id)
    done = await wait_state(started.id, "succeeded", within=60)  # the authorization's 20 s, and then some
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_new_card_tender_on_a_declined_receipt_reuses_its_intent(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
    await wait_state(started.id, "declined")
    again = await kiosk.start(receipt, reader=1)
    assert again.id == started.id and again.state == "on_reader"
    await kiosk.tap(kiosk.readers[1])
    done = await wait_state(started.id, "succeeded")
    assert await kiosk.calls(PI_CREATE) == 1
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)
    assert (await payment(started.id)).attempt == 2
