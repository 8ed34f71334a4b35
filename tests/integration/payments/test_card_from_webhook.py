"""The card of a payment (brand, last4, the EMV fields of the printed receipt, the capture deadline)
comes with Stripe's `charge.succeeded`: the PaymentIntent is not read for it, the event may come
before or after the one that settles the payment, twice, and it never moves the payment."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from kiosk.payments.tables import Payment
from tests.admin_payments_support import admin_browser, save_policy
from tests.payments_support import (
    FAST,
    PATIENCE,
    Kiosk,
    Shop,
    assert_charged_once,
    payment,
    serve_kiosk,
    wait_state,
    wait_until,
)
from tests.simulator_support import RunningSimulator

READ_INTENT = "GET /v1/payment_intents/{intent}"
# Delayed webhooks are held far longer than any test runs: the test delivers Stripe's events itself.
HELD = 600
# The patient kiosk's grace for webhooks: long enough for a delivery that timed out (2 s) and its
# retries to arrive before the reconciler would read the intent, however busy the machine.
GRACE = 10.0
# Its reconciler's last pass about a settled payment comes a grace after settling.
CARD_DONE_WITHIN = GRACE + PATIENCE


@pytest.fixture
async def patient_kiosk(shop: Shop, simulator: RunningSimulator) -> AsyncIterator[Kiosk]:
    """A reconciler that gives webhooks 10 s, however slowly a busy machine delivers them."""
    async for running in serve_kiosk(simulator, shop, timing=replace(FAST, webhook_grace=GRACE)):
        yield running


def details(row: Payment) -> dict[str, str]:
    """The receipt's EMV fields (a JSON column: text on SQLite)."""
    value = row.card_details
    found: dict[str, str] = json.loads(value) if isinstance(value, str) else value
    return found


async def _card_done(payment_id: int) -> Payment | None:
    """The payment once it has its card and the reconciler has nothing left to do about it."""
    row = await payment(payment_id)
    return row if row.card_brand and row.reconcile_after is None else None


async def test_the_card_comes_by_webhook_and_the_intent_is_never_read(patient_kiosk: Kiosk) -> None:
    kiosk = patient_kiosk
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    done = await wait_until(
        lambda: _card_done(started.id), within=CARD_DONE_WITHIN, what="the card and the reconciler's pass"
    )
    assert (done.card_brand, done.card_last4) == ("visa", "4242")
    assert details(done)["authorization_code"] and details(done)["application_preferred_name"]
    assert await kiosk.calls(READ_INTENT) == 0
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_an_authorization_kept_for_capture_has_its_deadline_from_the_webhook(patient_kiosk: Kiosk) -> None:
    kiosk = patient_kiosk
    async with admin_browser(kiosk) as admin:
        await save_policy(admin, "manual", "keep")
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "requires_capture")
    done = await wait_until(
        lambda: _card_done(started.id), within=CARD_DONE_WITHIN, what="the card and the reconciler's pass"
    )
    assert done.capture_before is not None and done.card_last4 == "4242"
    assert await kiosk.calls(READ_INTENT) == 0


@pytest.fixture
async def quiet_kiosk(shop: Shop, simulator: RunningSimulator) -> AsyncIterator[Kiosk]:
    """A reconciler that waits a minute for webhooks: only the events the test delivers decide."""
    async for running in serve_kiosk(simulator, shop, timing=replace(FAST, webhook_grace=60.0)):
        yield running


async def _paid_with_events_held(kiosk: Kiosk) -> tuple[Payment, dict[str, dict[str, Any]]]:
    """A tapped payment whose webhooks are held at the simulator, and Stripe's events about it by type."""
    await kiosk.control("POST", "/_sim/webhooks/faults", {"mode": "delay", "count": 50, "delay_seconds": HELD})
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0])
    listed = await kiosk.stripe(lambda client: client.v1.events.list({"limit": 100}))
    events = {}
    for event in (e.to_dict() for e in listed.data):
        target = event["data"]["object"]
        if started.payment_intent_id in (target.get("id"), target.get("payment_intent")):
            events[event["type"]] = event
    return started, events


async def deliver(kiosk: Kiosk, event: dict[str, Any]) -> str:
    """Deliver one of Stripe's events, signed as Stripe signs it; returns what the kiosk did."""
    body = json.dumps(event).encode()
    stamp = int(time.time())
    digest = hmac.new(kiosk.webhook_secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Stripe-Signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=kiosk.url, trust_env=False) as client:
        answer = await client.post("/webhooks/stripe", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["outcome"])


async def test_the_card_before_the_payment_settles_then_again(quiet_kiosk: Kiosk) -> None:
    kiosk = quiet_kiosk
    started, events = await _paid_with_events_held(kiosk)
    assert await deliver(kiosk, events["charge.succeeded"]) == "noted: card details"
    noted = await payment(started.id)
    assert noted.state == "on_reader" and noted.card_last4 == "4242"  # the card alone settles nothing
    assert await deliver(kiosk, events["charge.succeeded"]) == "duplicate"
    assert (await deliver(kiosk, events["payment_intent.succeeded"])).startswith("applied")
    done = await payment(started.id)
    assert done.state == "succeeded" and (done.card_brand, details(done)) == ("visa", details(noted))
    assert await kiosk.calls(READ_INTENT) == 0


async def test_the_card_after_the_payment_settled_changes_only_the_card(quiet_kiosk: Kiosk) -> None:
    kiosk = quiet_kiosk
    started, events = await _paid_with_events_held(kiosk)
    assert (await deliver(kiosk, events["payment_intent.succeeded"])).startswith("applied")
    assert (await payment(started.id)).card_brand is None
    assert await deliver(kiosk, events["charge.succeeded"]) == "noted: card details"
    done = await payment(started.id)
    assert done.state == "succeeded" and done.card_last4 == "4242" and details(done)["authorization_code"]
    assert await kiosk.calls(READ_INTENT) == 0
