"""Stripe's webhooks, answered before Litestar's routing and middleware.

Every sale brings three events (the reader's action, the charge, the intent). What the framework
does around them (routing, middleware, request and response objects) costs as much as recording
them, so this ASGI wrapper does the route's own work (kiosk/payments/controllers/webhook.py: verify
on the raw body, record once in the transaction of the change it causes, 200 only after the commit)
and answers itself. The answer goes out through the app's `before_send` hooks like any answer.

Anything out of the ordinary goes to the app, with the body it read, and is answered there as
always: no payments engine yet, a bad signature (400 and its log line), or an error while recording
(the transaction rolled back; the route runs again and its handlers answer, e.g. 503 while the
database is away, so Stripe delivers the event again).
"""

from __future__ import annotations

import logging
from typing import Any

from litestar.enums import ScopeType
from litestar.serialization import encode_json
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from kiosk.payments import metrics
from kiosk.payments.engine import Engine
from kiosk.payments.events import record_event
from kiosk.payments.reconciler import after_event
from kiosk.stripe_account.gateway import InvalidSignature
from kiosk.stripe_account.objects import EventInfo

logger = logging.getLogger(__name__)

# The route's own address (controllers/webhook.py), nothing before or after it.
WEBHOOK_PATH = "/webhooks/stripe"
# Stripe's events are small; a larger body is left to the framework (and its size limit).
MAX_BODY = 1 << 20


async def deliver(engine: Engine, event: EventInfo) -> str:
    """A verified event: recorded once (its outcome returned, counted for /metrics), then acted on
    (a collected card confirmed or refused now). Raises only when recording failed (rolled back)."""
    outcome = await record_event(engine, event)
    metrics.webhook_recorded(outcome, event.created)
    if outcome != "duplicate":
        try:
            await after_event(engine, event)
        except Exception:  # recorded already; the reconciler takes it from `reconcile_after`
            logger.exception("acting on event %s failed; the reconciler will", event.id)
    return outcome


class WebhookFastPath:
    """Wraps the app's ASGI handler (inside Litestar's entry point, so `send` has its hooks)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "POST" and scope["path"] == WEBHOOK_PATH:
            body, complete, last = await _read_body(receive)
            if complete and await self._answered(scope, body, send):
                return
            receive = _replay(body, complete, last, receive)
        await self.app(scope, receive, send)

    async def _answered(self, scope: Scope, body: bytes, send: Send) -> bool:
        """Records the event and answers 200; False leaves the request to the route."""
        engine: Engine | None = scope["app"].state.get("payments")
        if engine is None or scope.get("query_string"):
            return False
        signature = _header(scope, b"stripe-signature")
        try:
            event = engine.gateway.parse_event(body, signature)
        except InvalidSignature:
            return False
        try:
            outcome = await deliver(engine, event)
        except Exception:  # rolled back: the route records it again or answers the error its way
            return False
        payload = encode_json({"received": True, "outcome": outcome})
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload, "more_body": False})
        return True


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _read_body(receive: Receive) -> tuple[bytes, bool, ReceiveMessage | None]:
    """What the body holds (up to MAX_BODY), whether that is all of it, and a message other than the
    body's (the client went away) that ended the reading."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False, message
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True, None
    return b"".join(chunks), False, None


def _replay(body: bytes, complete: bool, last: ReceiveMessage | None, receive: Receive) -> Receive:
    """`receive` for the app: what was read already, then the connection's own messages."""
    pending: list[Any] = [{"type": "http.request", "body": body, "more_body": not complete}]
    if last is not None:
        pending.append(last)

    async def replay() -> ReceiveMessage:
        if pending:
            message: ReceiveMessage = pending.pop(0)
            return message
        return await receive()

    return replay
