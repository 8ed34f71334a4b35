"""Webhooks as hints: missing, delayed, duplicated, reordered or forged events never change the
outcome, and the reconciler finishes payments whose webhook does not come (within its throttle)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from kiosk.payments import actions as payments
from kiosk.payments.tables import PaymentLog, WebhookEvent
from tests.payments_support import (
    FAST,
    INSUFFICIENT_FUNDS,
    Kiosk,
    Shop,
    assert_charged_once,
    payment,
    serve_kiosk,
    wait_card,
    wait_state,
    wait_until,
)
from tests.simulator_support import RunningSimulator

READ_READER = "GET /v1/terminal/readers/{reader}"
READ_INTENT = "GET /v1/payment_intents/{intent}"
# Delayed webhooks are held far longer than any test runs: only the test's flush delivers them.
HELD = 600


async def webhook_fault(kiosk: Kiosk, mode: str, count: int = 20, delay: float | None = None) -> None:
    body: dict[str, object] = {"mode": mode, "count": count}
    if delay is not None:
        body["delay_seconds"] = delay
    await kiosk.control("POST", "/_sim/webhooks/faults", body)


async def steps(payment_id: int) -> list[str]:
    rows = await PaymentLog.select(PaymentLog.step).where(PaymentLog.payment == payment_id)
    return [row["step"] for row in rows]


async def test_missing_webhooks_the_reconciler_finishes_the_payment(kiosk: Kiosk) -> None:
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await webhook_fault(kiosk, "drop")
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(started.id, "succeeded")
    assert "reconciled" in await steps(started.id)
    # The card details came from reading the intent and its charge, not from a webhook.
    done = await wait_card(started.id)
    assert done.card_last4 == "4242"
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_delayed_webhooks_arrive_after_the_reconciler_and_change_nothing(kiosk: Kiosk) -> None:
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await webhook_fault(kiosk, "delay", delay=HELD)
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    before = await steps(started.id)
    await kiosk.control("POST", "/_sim/webhooks/flush")
    await wait_until(lambda: _event_count(4), what="the delayed events recorded")
    assert (await payment(started.id)).state == "succeeded"
    assert [s for s in await steps(started.id) if s.startswith("webhook")] == [
        s for s in before if s.startswith("webhook")
    ]
    await assert_charged_once(kiosk, started.payment_intent_id, 1000)


async def _event_count(at_least: int) -> bool:
    return await WebhookEvent.count() >= at_least


async def test_duplicate_webhooks_are_recorded_once(kiosk: Kiosk) -> None:
    await webhook_fault(kiosk, "duplicate")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")

    async def all_delivered() -> bool:
        seen = await kiosk.control("GET", "/_sim/webhooks/deliveries")
        ok = [d for d in seen["deliveries"] if d.get("status") == 200]
        return len(ok) >= 2 * await WebhookEvent.count() > 0

    await wait_until(all_delivered, what="every duplicate answered 200")
    ids = [row["event_id"] for row in await WebhookEvent.select(WebhookEvent.event_id)]
    assert len(ids) == len(set(ids))
    assert [s for s in await steps(started.id) if s.startswith("webhook")].count(
        "webhook payment_intent.succeeded"
    ) <= 1
    await assert_charged_once(kiosk, started.payment_intent_id, 1000)


async def test_out_of_order_webhooks_only_move_forward(kiosk: Kiosk) -> None:
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await webhook_fault(kiosk, "reorder", count=4)
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(started.id, "succeeded")
    await kiosk.control("POST", "/_sim/webhooks/flush")
    await wait_until(lambda: _event_count(4), what="the reordered events recorded")
    assert (await payment(started.id)).state == "succeeded"
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_a_late_failure_of_an_earlier_attempt_does_not_touch_the_retry(kiosk: Kiosk) -> None:
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await webhook_fault(kiosk, "delay", count=20, delay=HELD)
    await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
    await wait_state(started.id, "declined")  # learned by the reconciler
    await asyncio.sleep(1.05)  # the retry is sent in a later second than the decline
    await webhook_fault(kiosk, "normal")
    found = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
    await payments.retry_payment(kiosk.engine, started.id, found, "till")
    await kiosk.control("POST", "/_sim/webhooks/flush")  # the first attempt's failure arrives now
    await wait_until(lambda: _event_count(3), what="the late failure recorded")
    outcomes = [row["outcome"] for row in await WebhookEvent.select(WebhookEvent.outcome)]
    assert "failure of an earlier attempt" in outcomes
    assert (await payment(started.id)).state == "on_reader"
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_forged_webhook_is_refused_and_changes_nothing(kiosk: Kiosk) -> None:
    started = await kiosk.start(await kiosk.receipt("10.00"))
    forged = {
        "id": "evt_forged",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": {"id": started.payment_intent_id, "object": "payment_intent", "status": "succeeded"}},
    }
    body = json.dumps(forged)
    async with httpx.AsyncClient(base_url=kiosk.url, trust_env=False) as client:
        for signature in ("", "t=1,v1=deadbeef", f"t={int(time.time())},v1=" + "0" * 64):
            answer = await client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": signature})
            assert answer.status_code == 400
    assert await WebhookEvent.count().where(WebhookEvent.event_id == "evt_forged") == 0
    assert (await payment(started.id)).state == "on_reader"


async def test_badly_signed_deliveries_are_refused_and_the_reconciler_finishes(kiosk: Kiosk) -> None:
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await webhook_fault(kiosk, "bad_signature")
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(started.id, "succeeded")
    seen = await kiosk.control("GET", "/_sim/webhooks/deliveries")
    assert any(d.get("status") == 400 for d in seen["deliveries"])
    assert "reconciled" in await steps(started.id)
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


@pytest.fixture
async def patient_kiosk(shop: Shop, simulator: RunningSimulator) -> AsyncIterator[Kiosk]:
    """A throttle of one check of Stripe per payment a minute (production: 3 s), so that however
    slowly a busy machine runs the test, every press falls inside one throttle window; the reconciler
    still joins in (webhook grace 0.2 s), and nothing counts as stuck (which would read the intent too)."""
    timing = replace(FAST, webhook_grace=0.2, check_interval=60.0, max_check_interval=60.0, stuck_after=600.0)
    async for running in serve_kiosk(simulator, shop, timing=timing):
        yield running


async def test_checks_of_stripe_are_throttled_per_payment(patient_kiosk: Kiosk) -> None:
    kiosk = patient_kiosk
    receipt = await kiosk.receipt("10.00")
    before = await kiosk.calls(READ_READER) + await kiosk.calls(READ_INTENT)
    started = await kiosk.start(receipt)
    for _ in range(10):  # a cashier hammering "Check status" while the reconciler also runs
        await payments.check_payment(kiosk.engine, started.id)
        await asyncio.sleep(0.2)
    asked = await kiosk.calls(READ_READER) + await kiosk.calls(READ_INTENT) - before
    assert asked == 1  # one check (a reader read: the customer is still at it) in the window
    await kiosk.tap(kiosk.readers[0])
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


@pytest.fixture
async def quiet_kiosk(shop: Shop, simulator: RunningSimulator) -> AsyncIterator[Kiosk]:
    """A reconciler that waits a minute for a webhook before asking Stripe: any Stripe call made
    while a test polls is then the polls' own."""
    async for running in serve_kiosk(simulator, shop, timing=replace(FAST, webhook_grace=60.0)):
        yield running


async def test_polling_the_progress_never_calls_stripe(quiet_kiosk: Kiosk) -> None:
    kiosk = quiet_kiosk
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    total = (await kiosk.control("GET", "/_sim/calls"))["total"]
    async with kiosk.cashier() as client:
        for _ in range(20):
            answer = await client.get(f"/payments/{started.id}/progress", headers={"HX-Request": "true"})
            assert answer.status_code == 200 and 'data-state="on_reader"' in answer.text
    calls = await kiosk.control("GET", "/_sim/calls")
    assert calls["total"] == total, calls
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, started.payment_intent_id, 1000)
