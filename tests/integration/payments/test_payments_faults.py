"""Every case of Stripe's "Handle errors" guide for server-driven Terminal, through the simulator's
fault controls: reader busy, reader timeout (and its false negative), reader offline, connection
lost during authorization, a reader stuck in progress. Each test checks the ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from kiosk.payments import actions as payments
from kiosk.readers import snapshot as reader_snapshot
from kiosk.stripe_account.errors import ReaderOffline
from tests.payments_support import (
    FAST,
    Kiosk,
    Shop,
    assert_charged_once,
    assert_nothing_charged,
    serve_kiosk,
    wait_state,
)
from tests.simulator_support import RunningSimulator

PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"
CANCEL_ACTION = "POST /v1/terminal/readers/{reader}/cancel_action"


async def test_reader_busy_with_another_integration_is_left_alone(kiosk: Kiosk) -> None:
    reader = kiosk.readers[0]
    await kiosk.control("POST", f"/_sim/readers/{reader}/busy")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    assert started.state == "declined" and started.failure_code == "terminal_reader_busy"
    assert "busy" in payments.payment_view(started).detail
    assert await kiosk.calls(CANCEL_ACTION) == 0  # the other register's action is never canceled
    await kiosk.control("POST", f"/_sim/readers/{reader}/idle")
    found = await payments.find_reader(kiosk.engine, kiosk.location, reader)
    retried = await payments.retry_payment(kiosk.engine, started.id, found, "till")
    assert retried.state == "on_reader"
    await kiosk.tap(reader)
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_reader_timeout_false_negative_is_not_sent_twice(kiosk: Kiosk) -> None:
    """The reader got the command although the API answered a timeout: read it, do not resend."""
    reader = kiosk.readers[0]
    await kiosk.control("POST", f"/_sim/readers/{reader}/timeout", {"applied": True, "count": 1})
    started = await kiosk.start(await kiosk.receipt("10.00"))
    assert started.state == "on_reader" and started.attempt == 1
    assert await kiosk.calls(PROCESS) == 1
    await kiosk.tap(reader)
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_reader_timeout_not_carried_out_is_sent_again(kiosk: Kiosk) -> None:
    reader = kiosk.readers[0]
    await kiosk.control("POST", f"/_sim/readers/{reader}/timeout", {"applied": False, "count": 1})
    started = await kiosk.start(await kiosk.receipt("10.00"))
    assert started.state == "on_reader" and started.attempt == 2
    assert await kiosk.calls(PROCESS) == 2
    await kiosk.tap(reader)
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_reader_that_keeps_timing_out_is_not_charged_and_can_be_tried_again(kiosk: Kiosk) -> None:
    """Timed out twice, and the reader read after each time does not have it: it never reached the
    reader, so the attempt ends not charged; Try again sends the same PaymentIntent."""
    reader = kiosk.readers[0]
    await kiosk.control("POST", f"/_sim/readers/{reader}/timeout", {"applied": False, "count": 2})
    started = await kiosk.start(await kiosk.receipt("10.00"))
    assert (started.state, started.failure_code, started.attempt) == ("declined", "terminal_reader_timeout", 2)
    view = payments.payment_view(started)
    assert view.headline == "Not charged" and view.can_retry and view.offer_others
    assert "Counter 1 did not answer" in view.detail and "nothing was charged" in view.detail
    await assert_nothing_charged(kiosk)
    found = await payments.find_reader(kiosk.engine, kiosk.location, reader)
    retried = await payments.retry_payment(kiosk.engine, started.id, found, "till")
    assert retried.state == "on_reader" and retried.payment_intent_id == started.payment_intent_id
    await kiosk.tap(reader)
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_offline_reader_is_refused_before_anything_reaches_stripe(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader shown offline is listed again once the snapshot is LIST_EVERY_SECONDS old: not within
    # this test, however slowly a busy machine runs it.
    monkeypatch.setattr(reader_snapshot, "LIST_EVERY_SECONDS", 60.0)
    reader = kiosk.readers[0]
    await kiosk.control("POST", f"/_sim/readers/{reader}/offline")
    receipt = await kiosk.receipt("10.00")
    for _ in range(2):  # the second press is refused from the readers listed for the first
        with pytest.raises(ReaderOffline):
            await kiosk.start(receipt)
    assert await kiosk.calls("POST /v1/payment_intents") == 0
    assert await kiosk.calls("GET /v1/terminal/readers") == 1


async def test_reader_going_offline_after_the_picker_declines_the_attempt(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_snapshot, "LIST_EVERY_SECONDS", 60.0)  # no recheck within the test
    reader = kiosk.readers[0]
    found = await payments.find_reader(kiosk.engine, kiosk.location, reader)
    await kiosk.control("POST", f"/_sim/readers/{reader}/offline")
    started = await payments.start_payment(
        kiosk.engine,
        receipt_id=await kiosk.receipt("10.00"),
        reader=found,
        amount=1000,
        currency="usd",
        user_id=kiosk.user_id,
        holder="till",
    )
    assert started.state == "declined" and started.failure_code == "terminal_reader_offline"
    assert "offline" in payments.payment_view(started).detail
    await assert_nothing_charged(kiosk)
    # Stripe's refusal taught the readers' snapshot: the next press is refused without asking Stripe.
    with pytest.raises(ReaderOffline):
        await payments.find_reader(kiosk.engine, kiosk.location, reader)
    assert await kiosk.calls("GET /v1/terminal/readers") == 1


async def test_connection_lost_while_authorizing_rereads_the_intent(kiosk: Kiosk) -> None:
    """connection_error: the intent was authorized all the same, so the payment succeeded."""
    reader = kiosk.readers[0]
    # Long: the reader goes offline while still authorizing, however slowly this test runs (going
    # offline ends the authorization at once).
    await kiosk.control("POST", f"/_sim/readers/{reader}/authorization_delay", {"seconds": 60})
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(reader)
    await kiosk.control("POST", f"/_sim/readers/{reader}/offline")
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


@pytest.fixture
async def stuck_soon_kiosk(shop: Shop, simulator: RunningSimulator) -> AsyncIterator[Kiosk]:
    """A kiosk that calls a reader action stuck after 3 s (FAST: a minute, longer than any test)."""
    async for running in serve_kiosk(simulator, shop, timing=replace(FAST, stuck_after=3.0)):
        yield running


async def test_reader_stuck_in_progress_needs_attention_then_cancels(stuck_soon_kiosk: Kiosk) -> None:
    """The reader drops off mid-action: no webhook ever comes; after a while the cashier is asked."""
    kiosk = stuck_soon_kiosk
    reader = kiosk.readers[0]
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.control("POST", f"/_sim/readers/{reader}/disconnect", {"authorized": False})
    stuck = await wait_state(started.id, "needs_attention")
    assert "long time" in payments.payment_view(stuck).detail
    canceled = await payments.cancel_payment(kiosk.engine, started.id)
    assert canceled.state == "canceled"
    await assert_nothing_charged(kiosk)


async def test_reader_dropping_off_after_authorizing_still_settles(kiosk: Kiosk) -> None:
    reader = kiosk.readers[0]
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.control("POST", f"/_sim/readers/{reader}/disconnect", {"authorized": True})
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_stripe_errors_while_creating_leave_nothing_charged(kiosk: Kiosk) -> None:
    """Stripe answers 500 to the create and to the SDK's two retries: the cashier is asked."""
    receipt = await kiosk.receipt("10.00")
    await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])  # cached for the start
    await kiosk.control("POST", "/_sim/faults/api", {"status": 500, "count": 3})
    started = await kiosk.start(receipt)
    assert started.state == "needs_attention" and started.payment_intent_id is None
    assert "nothing was charged" in payments.payment_view(started).detail
    canceled = await payments.cancel_payment(kiosk.engine, started.id)
    assert canceled.state == "canceled"
    await assert_nothing_charged(kiosk)
