"""POST /webhooks/stripe: Stripe's events, verified on the raw body, recorded before answering 2xx.

A bad or missing signature answers 400 and changes nothing. The event is recorded (once, by id)
in the same transaction as the state change it causes, and only then is 200 sent: if the database
is down the request fails with 5xx and Stripe delivers the event again later.
Ordinary deliveries are answered the same way before the framework (kiosk/payments/webhook_fast_path.py);
this route answers what that path leaves to it (no engine yet, a bad signature, an error).
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, post
from litestar.params import RawBody

from kiosk.payments.engine import Engine
from kiosk.payments.webhook_fast_path import deliver
from kiosk.stripe_account.gateway import InvalidSignature

logger = logging.getLogger(__name__)


@post("/webhooks/stripe", include_in_schema=False, status_code=200)
async def stripe_webhook(request: Request[Any, Any, Any], body: RawBody) -> Response[dict[str, Any]]:
    """Receive one event. https://docs.stripe.com/webhooks#verify-events"""
    engine: Engine | None = request.app.state.get("payments")
    if engine is None:
        # Not set up yet: Stripe keeps the event and retries, nothing is lost.
        return Response({"error": "card payments are not configured"}, status_code=503)
    try:
        event = engine.gateway.parse_event(body, request.headers.get("stripe-signature"))
    except InvalidSignature as exc:
        logger.warning("webhook refused: %s", exc)
        return Response({"error": "invalid signature"}, status_code=400)
    outcome = await deliver(engine, event)
    return Response({"received": True, "outcome": outcome}, status_code=200)
