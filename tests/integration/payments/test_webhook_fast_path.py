"""Stripe's events answered before the framework (kiosk/payments/webhook_fast_path.py): a genuine
event is recorded and applied before its 200, which carries the app's own headers; a body sent in
pieces is read whole; anything else still gets the route's answer."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator

import httpx

from kiosk.payments.tables import WebhookEvent
from tests.payments_support import Kiosk, payment


def signed(body: bytes, secret: str) -> str:
    stamp = int(time.time())
    return f"t={stamp},v1={hmac.new(secret.encode(), f'{stamp}.'.encode() + body, hashlib.sha256).hexdigest()}"


def succeeded(event_id: str, intent_id: str | None) -> bytes:
    intent = {"id": intent_id, "object": "payment_intent", "status": "succeeded", "amount": 1000}
    event = {"id": event_id, "object": "event", "type": "payment_intent.succeeded", "created": int(time.time())}
    return json.dumps({**event, "data": {"object": intent}}).encode()


async def in_pieces(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 40):
        yield body[start : start + 40]


async def test_a_genuine_event_is_applied_before_its_200(kiosk: Kiosk) -> None:
    started = await kiosk.start(await kiosk.receipt("10.00"))
    body = succeeded("evt_fast_1", started.payment_intent_id)
    async with httpx.AsyncClient(base_url=kiosk.url, trust_env=False) as client:
        answer = await client.post(
            "/webhooks/stripe",
            content=in_pieces(body),
            headers={"Stripe-Signature": signed(body, kiosk.webhook_secret)},
        )
        assert answer.status_code == 200
        assert answer.json() == {"received": True, "outcome": "applied: on_reader → succeeded"}
        assert answer.headers["x-content-type-options"] == "nosniff"
        # Already applied when the 200 came: the payment settled, the event recorded once.
        assert (await payment(started.id)).state == "succeeded"
        again = await client.post(
            "/webhooks/stripe", content=body, headers={"Stripe-Signature": signed(body, kiosk.webhook_secret)}
        )
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert await WebhookEvent.count().where(WebhookEvent.event_id == "evt_fast_1") == 1


async def test_a_bad_signature_still_gets_the_routes_answer(kiosk: Kiosk) -> None:
    body = succeeded("evt_fast_2", "pi_unknown")
    async with httpx.AsyncClient(base_url=kiosk.url, trust_env=False) as client:
        answer = await client.post(
            "/webhooks/stripe", content=in_pieces(body), headers={"Stripe-Signature": signed(body, "whsec_other")}
        )
    assert answer.status_code == 400 and answer.json() == {"error": "invalid signature"}
    assert await WebhookEvent.count().where(WebhookEvent.event_id == "evt_fast_2") == 0
