"""Accepted card brands through the simulator: every brand accepted keeps the one step; a restriction
collects the card, reads its brand, then confirms it or refuses it (Try again on the same intent).
Every failure of the one-step flow has its answer in the two steps. Every money test ends with the
simulator's ledger: money taken once, or not at all."""

from __future__ import annotations

from kiosk.payments import actions as payments
from kiosk.payments import brands
from kiosk.payments.tables import Payment, PaymentLog
from tests.payments_support import (
    INSUFFICIENT_FUNDS,
    Kiosk,
    assert_charged_once,
    assert_nothing_charged,
    payment,
    wait_card,
    wait_state,
    wait_until,
)

AMEX = "378282246310005"
MASTERCARD = "5555555555554444"
JCB = "3566002020360505"
PI_CREATE = "POST /v1/payment_intents"
PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"
COLLECT = "POST /v1/terminal/readers/{reader}/collect_payment_method"
CONFIRM = "POST /v1/terminal/readers/{reader}/confirm_payment_intent"
CANCEL_ACTION = "POST /v1/terminal/readers/{reader}/cancel_action"
HELD = 600  # delayed webhooks are held far longer than any test runs


async def accept_only(kiosk: Kiosk, *accepted: str) -> None:
    await brands.save(kiosk.app.state.settings, brands.ALL, accepted, kiosk.user_id)


async def webhook_fault(kiosk: Kiosk, mode: str, count: int = 50, delay: float | None = None) -> None:
    body: dict[str, object] = {"mode": mode, "count": count}
    if delay is not None:
        body["delay_seconds"] = delay
    await kiosk.control("POST", "/_sim/webhooks/faults", body)


async def steps(payment_id: int) -> list[str]:
    rows = await PaymentLog.select(PaymentLog.step).where(PaymentLog.payment == payment_id).order_by(PaymentLog.id)
    return [row["step"] for row in rows]


async def reader_action(kiosk: Kiosk, reader: str) -> object:
    return (await kiosk.stripe(lambda c: c.v1.terminal.readers.retrieve(reader))).action


async def intent_status(kiosk: Kiosk, intent_id: str | None) -> str:
    assert intent_id
    return str((await kiosk.stripe(lambda c: c.v1.payment_intents.retrieve(intent_id))).status)


async def test_with_every_brand_accepted_a_payment_is_one_step_with_no_extra_call(kiosk: Kiosk) -> None:
    await accept_only(kiosk, *reversed(brands.ALL))  # every brand ticked, saved: the same as never set
    before = (await kiosk.control("GET", "/_sim/calls"))["calls"]
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    assert started.accepted_brands == "" and started.state == "on_reader"
    await kiosk.tap(kiosk.readers[0], AMEX)
    await wait_state(started.id, "succeeded")
    done = await wait_card(started.id)  # the card comes with charge.succeeded, its own event
    assert done.state == "succeeded" and done.card_brand == "amex"
    after = (await kiosk.control("GET", "/_sim/calls"))["calls"]
    made = {route: n - before.get(route, 0) for route, n in after.items() if n != before.get(route, 0)}
    # One intent, one process_payment_intent; no collect, no confirm, no read of the collected card.
    assert made.get(PI_CREATE) == 1 and made.get(PROCESS) == 1
    assert set(made) <= {PI_CREATE, PROCESS, "GET /v1/terminal/readers"}, made
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_an_accepted_brand_is_collected_then_confirmed(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa", "mastercard")
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    assert started.state == "collecting" and started.accepted_brands == "visa,mastercard"
    assert payments.payment_view(started).headline == "Present card on Counter 1"
    await kiosk.tap(kiosk.readers[0], MASTERCARD)
    await wait_state(started.id, "succeeded")
    done = await wait_card(started.id)
    assert done.state == "succeeded" and (done.card_brand, done.card_last4) == ("mastercard", "4444")
    assert (await kiosk.calls(COLLECT), await kiosk.calls(CONFIRM), await kiosk.calls(PROCESS)) == (1, 1, 0)
    assert "collecting" in await steps(started.id)
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_a_refused_brand_cancels_the_reader_and_try_again_takes_another_card(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa", "mastercard")
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    await kiosk.tap(kiosk.readers[0], AMEX)
    refused = await wait_state(started.id, "declined")
    assert refused.failure_code == "card_brand_not_accepted" and refused.card_brand == "amex"
    view = payments.payment_view(refused)
    assert view.headline == "Card not accepted"
    assert view.detail == "American Express is not accepted here — ask for another card."
    assert view.can_retry and view.can_cancel
    # The card was given back: no action on the reader, the intent needs a payment method again.
    assert await reader_action(kiosk, kiosk.readers[0]) is None
    assert await intent_status(kiosk, refused.payment_intent_id) == "requires_payment_method"
    assert await kiosk.calls(CONFIRM) == 0
    await assert_nothing_charged(kiosk)

    reader = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
    retried = await payments.retry_payment(kiosk.engine, started.id, reader, "till")
    assert retried.state == "collecting" and retried.attempt == 2 and retried.card_brand is None
    assert retried.payment_intent_id == started.payment_intent_id
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    done = await wait_card(started.id)
    assert done.state == "succeeded" and done.card_brand == "visa"
    assert await kiosk.calls(PI_CREATE) == 1
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_a_brand_outside_the_list_of_the_simulated_cards_is_refused_by_name(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0], JCB)
    refused = await wait_state(started.id, "declined")
    assert payments.payment_view(refused).detail == "JCB is not accepted here — ask for another card."
    await assert_nothing_charged(kiosk)


async def test_the_brand_list_is_fixed_on_the_payment_when_it_starts(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await brands.save(kiosk.app.state.settings, ("visa",), brands.ALL, kiosk.user_id)  # admin allows all now
    await kiosk.tap(kiosk.readers[0], AMEX)
    refused = await wait_state(started.id, "declined")
    assert refused.failure_code == "card_brand_not_accepted"
    await assert_nothing_charged(kiosk)


async def test_a_decline_comes_at_confirm_and_try_again_collects_again(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa", "mastercard")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
    declined = await wait_state(started.id, "declined")
    assert declined.decline_code == "insufficient_funds"
    assert "Not enough money" in payments.payment_view(declined).detail
    assert await kiosk.calls(CONFIRM) == 1
    reader = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
    await payments.retry_payment(kiosk.engine, started.id, reader, "till")
    await kiosk.tap(kiosk.readers[0], MASTERCARD)
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_the_customer_cancels_while_the_card_is_collected(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/customer_cancel")
    declined = await wait_state(started.id, "declined")
    assert declined.failure_code == "customer_canceled"
    assert payments.payment_view(declined).can_retry
    await assert_nothing_charged(kiosk)


async def test_the_cashier_cancels_while_collecting_and_after_the_card_is_read(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    first = await kiosk.start(await kiosk.receipt("10.00"))
    canceled = await payments.cancel_payment(kiosk.engine, first.id)
    assert canceled.state == "canceled" and await reader_action(kiosk, kiosk.readers[0]) is None
    assert await intent_status(kiosk, first.payment_intent_id) == "canceled"
    await assert_nothing_charged(kiosk)


async def test_a_busy_reader_refuses_the_collect_and_try_again_works_once_free(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/busy")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    assert started.state == "declined" and started.failure_code == "terminal_reader_busy"
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/idle")
    reader = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
    assert (await payments.retry_payment(kiosk.engine, started.id, reader, "till")).state == "collecting"
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_a_collect_timeout_that_reached_the_reader_is_a_false_negative(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/timeout", {"applied": True})
    started = await kiosk.start(await kiosk.receipt("10.00"))
    assert started.state == "collecting" and "timeout_false_negative" in await steps(started.id)
    assert await kiosk.calls(COLLECT) == 1
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_a_confirm_timeout_is_asked_again_with_a_new_key_and_charges_once(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    # The next reader command is the confirm: it times out without reaching the reader.
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/timeout", {"applied": False})
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(started.id, "succeeded")
    assert await kiosk.calls(CONFIRM) == 2
    assert f"confirm_unsure:{done.attempt}" in await steps(started.id)
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_a_confirm_timeout_that_reached_the_reader_is_not_sent_again(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/timeout", {"applied": True})
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(started.id, "succeeded")

    async def read_back() -> bool:
        return "confirm_false_negative" in await steps(started.id)

    await wait_until(read_back, what="the reader read after the timeout")
    assert await kiosk.calls(CONFIRM) == 1
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_a_reader_gone_offline_while_collecting_is_told_and_canceled_at_stripe(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/offline")

    async def told() -> Payment | None:
        row = await payment(started.id)
        return row if row.failure_code == "terminal_reader_offline" else None

    offline = await wait_until(told, what="the offline reader noticed")
    assert offline.state == "collecting"
    assert payments.payment_view(offline).headline == "Counter 1 is offline"
    canceled = await payments.cancel_payment(kiosk.engine, started.id)
    assert canceled.state == "canceled"
    await assert_nothing_charged(kiosk)


async def test_a_reader_offline_at_confirm_declines_without_charging(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    await webhook_fault(kiosk, "drop")  # the collect's webhook is lost: the reconciler finds the card
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0])
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/offline")
    declined = await wait_state(started.id, "declined")
    assert declined.failure_code == "terminal_reader_offline"
    assert payments.payment_view(declined).reader_offline
    await assert_nothing_charged(kiosk)
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/online")
    reader = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[1])
    assert (await payments.retry_payment(kiosk.engine, started.id, reader, "till")).state == "collecting"
    await kiosk.tap(kiosk.readers[1])
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_lost_webhooks_the_reconciler_finds_the_collected_card_and_confirms_it(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    await webhook_fault(kiosk, "drop")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    done = await wait_card(started.id)
    assert done.state == "succeeded" and done.card_brand == "visa"
    assert "reconciled" in await steps(started.id)
    assert await kiosk.calls(CONFIRM) == 1
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_lost_webhooks_a_refused_brand_is_found_and_refused(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    await webhook_fault(kiosk, "drop")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0], AMEX)
    refused = await wait_state(started.id, "declined")
    assert refused.failure_code == "card_brand_not_accepted"
    assert await kiosk.calls(CONFIRM) == 0
    await assert_nothing_charged(kiosk)


async def test_a_late_collect_webhook_changes_nothing_once_decided(kiosk: Kiosk) -> None:
    await accept_only(kiosk, "visa")
    await webhook_fault(kiosk, "delay", delay=HELD)
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0], AMEX)
    await wait_state(started.id, "declined")
    reader = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
    retried = await payments.retry_payment(kiosk.engine, started.id, reader, "till")
    assert retried.state == "collecting"
    await kiosk.control("POST", "/_sim/webhooks/faults", {"mode": "normal", "count": 0})
    await kiosk.control("POST", "/_sim/webhooks/flush")  # attempt 1's Amex arrives now
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    done = await wait_card(started.id)
    assert done.state == "succeeded" and done.card_brand == "visa"
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)
