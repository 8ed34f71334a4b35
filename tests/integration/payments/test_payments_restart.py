"""A process restart between any two steps of a payment: the new process resumes from the row's
recorded state with the same idempotency keys, so nothing is created, sent or charged twice."""

from __future__ import annotations

import functools

import stripe

from kiosk.payments import actions as payments
from kiosk.payments import store
from kiosk.payments.driver import intent_request
from kiosk.payments.engine import idempotency_key
from tests.payments_support import Kiosk, Shop, assert_charged_once, payment, serve_kiosk, wait_state
from tests.simulator_support import RunningSimulator

PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"


async def _recorded(kiosk: Kiosk) -> int:
    """Step one of a payment done by the process that is about to die: the row and the lease."""
    reader = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
    receipt = await kiosk.receipt("10.00")
    return await payments.record_payment(kiosk.engine, receipt, reader, 1000, "usd", kiosk.user_id, "till 1")


async def _create_at_stripe(kiosk: Kiosk, payment_id: int) -> str:
    """The dead process's create call reached Stripe; its answer was never recorded."""
    intent = await kiosk.engine.gateway.create_intent(**await intent_request(await payment(payment_id)))
    return intent.id


def _read_reader(client: stripe.StripeClient, reader_id: str) -> stripe.terminal.Reader:
    return client.v1.terminal.readers.retrieve(reader_id)


async def _finish(kiosk: Kiosk, payment_id: int) -> None:
    resumed = await wait_state(payment_id, "on_reader")
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(payment_id, "succeeded")
    assert done.payment_intent_id == resumed.payment_intent_id
    objects = await kiosk.control("GET", "/_sim/state")
    assert "payment_intent" in str(objects)
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_restart_after_the_row_was_written(shop: Shop, simulator: RunningSimulator) -> None:
    async for before in serve_kiosk(simulator, shop):
        payment_id = await _recorded(before)
    async for after in serve_kiosk(simulator, shop):
        await _finish(after, payment_id)
        assert await after.calls("POST /v1/payment_intents") == 1


async def test_restart_after_stripe_created_the_intent(shop: Shop, simulator: RunningSimulator) -> None:
    async for before in serve_kiosk(simulator, shop):
        payment_id = await _recorded(before)
        intent_id = await _create_at_stripe(before, payment_id)
    async for after in serve_kiosk(simulator, shop):
        await _finish(after, payment_id)
        assert (await payment(payment_id)).payment_intent_id == intent_id  # replayed, not a second intent
        ledger = await after.ledger()
        assert list(ledger["intents"]) == [intent_id]


async def test_restart_after_the_reader_got_the_payment(shop: Shop, simulator: RunningSimulator) -> None:
    async for before in serve_kiosk(simulator, shop):
        payment_id = await _recorded(before)
        intent_id = await _create_at_stripe(before, payment_id)
        await store.transition(payment_id, "intent_created", {"payment_intent_id": intent_id}, step="test")
        row = await payment(payment_id)
        await before.engine.gateway.process_on_reader(
            before.readers[0],
            intent_id,
            customer_cancellation=True,
            idempotency_key=idempotency_key(row, f"process:{row.attempt}"),
        )
    async for after in serve_kiosk(simulator, shop):
        await _finish(after, payment_id)
        reader = await after.stripe(functools.partial(_read_reader, reader_id=after.readers[0]))
        assert reader.action.process_payment_intent.payment_intent == intent_id
        assert (await payment(payment_id)).attempt == 1


async def test_restart_while_on_the_reader_and_the_webhook_was_missed(shop: Shop, simulator: RunningSimulator) -> None:
    async for before in serve_kiosk(simulator, shop):
        started = await before.start(await before.receipt("10.00"))
        assert started.state == "on_reader"
    # While the kiosk is down the customer taps; the webhook finds nobody.
    await before.tap(before.readers[0])
    async for after in serve_kiosk(simulator, shop):
        done = await wait_state(started.id, "succeeded")
        await assert_charged_once(after, done.payment_intent_id, 1000)
