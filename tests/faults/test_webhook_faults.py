"""Webhooks duplicated, reordered, delayed past the poll, dropped and badly signed, against a real
server process: the cashier's payment ends right every time and Stripe's books agree."""

from __future__ import annotations

from typing import Any

from kiosk.payments.tables import PaymentLog, WebhookEvent
from tests.faults.conftest import Stack
from tests.faults.till import INSUFFICIENT_FUNDS, Till, wait_payment, wait_until

RETRIEVE_INTENT = "GET /v1/payment_intents/{intent}"
# What Stripe sends the kiosk about an approved payment (automatic capture).
PAYMENT_EVENTS = {"terminal.reader.action_succeeded", "payment_intent.succeeded", "charge.succeeded"}


async def _fault(stack: Stack, mode: str, count: int, **extra: Any) -> None:
    await stack.sim.control("POST", "/_sim/webhooks/faults", {"mode": mode, "count": count, **extra})


async def _deliveries(stack: Stack) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await stack.sim.control("GET", "/_sim/webhooks/deliveries"))["deliveries"]
    return rows


async def _paid(stack: Stack, till: Till, amount: str = "10.00") -> int:
    receipt = await stack.shop.receipt(amount)
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0)
    await wait_payment(receipt, "succeeded")
    return receipt


async def test_duplicated_webhooks_are_recorded_once(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    await _fault(stack, "duplicate", 10)
    receipt = await _paid(stack, till)

    async def all_answered() -> list[dict[str, Any]] | None:
        # An attempt that timed out is logged too (no status) and retried: only the 200s count. Each
        # event is sent twice and each copy stops at its first 200, so every recorded event has had
        # both answered once there are twice as many 200s as recorded events: the payment's three
        # (the reader's action, the intent, the charge).
        answered = [row for row in await _deliveries(stack) if row["status"] == 200]
        recorded = await WebhookEvent.count()
        return answered if recorded >= len(PAYMENT_EVENTS) and len(answered) >= 2 * recorded else None

    answered = await wait_until(all_answered, what="every duplicate delivered and answered 200")
    assert {row["type"] for row in answered} == PAYMENT_EVENTS
    ids = [row["event_id"] for row in answered]
    assert len(ids) > len(set(ids))  # the same events came twice...
    recorded = await WebhookEvent.select(WebhookEvent.event_id)
    assert sorted(r["event_id"] for r in recorded) == sorted(set(ids))  # ...and each was recorded once
    moves = await PaymentLog.count().where(PaymentLog.detail.like("→ succeeded%"))
    assert moves == 1
    await stack.invariants()
    assert receipt


async def test_reordered_webhooks_never_move_a_payment_backwards(stack: Stack) -> None:
    """A decline, a retry that succeeds, then every event delivered newest first: the old failure
    arrives after the success and changes nothing."""
    server = (await stack.server()).start()
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    await _fault(stack, "reorder", 4)  # held back until four events have come, then newest first
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0, INSUFFICIENT_FUNDS)
    declined = await wait_payment(receipt, "declined")  # found by asking Stripe: the events are held
    response = await till.post(f"/payments/{declined.id}/retry", {"reader_id": stack.shop.readers[0]})
    assert response.status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0)
    await wait_payment(receipt, "succeeded")

    async def released() -> bool:
        return len([r for r in await _deliveries(stack) if r["status"] == 200]) >= 4

    await wait_until(released, what="the held events delivered")
    outcomes = [r["outcome"] for r in await WebhookEvent.select(WebhookEvent.outcome)]
    assert any("earlier attempt" in o or o == "no change" for o in outcomes), outcomes
    assert (await wait_payment(receipt, "succeeded")).state == "succeeded"
    await stack.invariants()


async def test_webhooks_delayed_past_the_poll_are_overtaken_by_asking_stripe(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    await _fault(stack, "delay", 10, delay_seconds=30)  # released by the flush below
    receipt = await _paid(stack, till)  # settled by the reconciler long before the webhooks
    assert not [r for r in await _deliveries(stack) if r["status"] == 200]
    assert await stack.sim.calls(RETRIEVE_INTENT) >= 1
    await stack.sim.control("POST", "/_sim/webhooks/flush")

    async def late_ones_in() -> bool:
        return await WebhookEvent.count() >= 2

    await wait_until(late_ones_in, what="the delayed webhooks recorded")
    assert (await wait_payment(receipt, "succeeded")).state == "succeeded"
    await stack.invariants()


async def test_dropped_webhooks_the_reconciler_settles_alone(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    await _fault(stack, "drop", 50)
    await _paid(stack, till)
    receipt = await stack.shop.receipt("7.00")  # and a decline, equally without webhooks
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0, INSUFFICIENT_FUNDS)
    declined = await wait_payment(receipt, "declined")
    assert declined.decline_code == "insufficient_funds"
    assert await WebhookEvent.count() == 0
    await stack.invariants()


async def test_badly_signed_webhooks_are_refused_and_change_nothing(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    await _fault(stack, "bad_signature", 10)
    await _paid(stack, till)
    refused = [r for r in await _deliveries(stack) if r["signature"] == "bad"]
    assert refused and all(r["status"] == 400 for r in refused)
    assert await WebhookEvent.count() == 0  # settled by asking Stripe, not by the forged requests
    await stack.invariants()
