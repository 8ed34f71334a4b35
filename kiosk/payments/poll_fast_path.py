"""The progress poll's revalidation, answered before Litestar's routing and middleware.

Every open till revalidates its running payment's progress fragment every second (kiosk/payments/poll_cache.py);
almost always nothing changed and the answer is a bodiless 304. The framework's routing, middleware,
request and response objects cost more than the poll's own work, so this ASGI wrapper answers that
one case itself, after the same checks as the route, with one query (kiosk/payments/poll_lookup.py): the
session cookie is known, not expired nor idle, its user active, its warehouse chosen and still
allowed, the payment one of that warehouse's, and the tag the browser holds is the tag of what the
database says now. The 304 goes out through the app's `before_send` hooks like any answer.

Anything else goes to the app unchanged and is answered there as always: no If-None-Match, not an
htmx GET, a query string, no session or CSRF cookie (the CSRF middleware would set one), a session
the one query cannot vouch for, a finished payment (its answer has a body), a changed view, or a
database error (the route's own handlers answer it).
"""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from kiosk.payments import metrics, poll_cache
from kiosk.payments.poll_lookup import usable_payment
from kiosk.payments.views import payment_view
from kiosk.people.guards import SESSION_COOKIE

# The route's own address (PaymentsController.progress), nothing before or after it.
PROGRESS_PATH = re.compile(r"/payments/([0-9]{1,18})/progress")


class PollFastPath:
    """Wraps the app's ASGI handler (inside Litestar's entry point, so `send` has its hooks)."""

    def __init__(self, app: ASGIApp, csrf_cookie: str) -> None:
        self.app = app
        self.csrf_cookie = csrf_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET" and not scope["query_string"]:
            found = PROGRESS_PATH.fullmatch(scope["path"])
            if found and await self._not_modified(scope, int(found.group(1)), send):
                return
        await self.app(scope, receive, send)

    async def _not_modified(self, scope: Scope, payment_id: int, send: Send) -> bool:
        """Answers 304 and returns True when every check passes; False leaves the request untouched."""
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        headers, cookies = connection.headers, connection.cookies
        if_none_match = headers.get("if-none-match")
        token = cookies.get(SESSION_COOKIE)
        if not if_none_match or not token or headers.get("hx-request") != "true" or self.csrf_cookie not in cookies:
            return False
        try:
            payment = await usable_payment(token, payment_id)
        except Exception:  # the route runs the same query and answers the error its way
            return False
        if payment is None:
            return False
        view = payment_view(payment)
        etag = poll_cache.etag_of(view)
        if view.final or not poll_cache.unchanged(if_none_match, etag):
            return False
        validators = poll_cache.not_modified_headers(etag).items()
        fields = [(name.lower().encode(), value.encode()) for name, value in validators]
        await send({"type": "http.response.start", "status": 304, "headers": fields})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        metrics.polled(not_modified=True)
        return True
