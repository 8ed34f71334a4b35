"""The progress poll's "nothing changed", answered before Litestar's routing and middleware.

Every open till polls its running payment's progress fragment every second with the fragment's
version in the address (kiosk/payments/poll_cache.py); almost always nothing changed and the answer
is a bodiless 204. The framework's routing, middleware, request and response objects cost more than
the poll's own work, so this ASGI wrapper answers that one case itself, after the same checks as the
route, with one query (kiosk/payments/poll_lookup.py): the session cookie is known, not expired nor
idle, its user active, its warehouse chosen and still allowed, the payment one of that warehouse's,
and the version the poll carries is the version of what the database says now. The 204 goes out
through the app's `before_send` hooks like any answer.

Anything else goes to the app unchanged and is answered there as always: a query string other than
exactly `v=<version>`, not an htmx GET, no session or CSRF cookie (the CSRF middleware would set
one), a session the one query cannot vouch for, a finished payment (its answer has a body), a changed
view, or a database error (the route's own handlers answer it).
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
# Its query string as the fragment writes it: the version alone (poll_cache.VERSION), nothing else.
POLLED_VERSION = re.compile(rb"v=(" + poll_cache.VERSION.pattern.encode() + rb")")
UNCHANGED_HEADERS = [(name.lower().encode(), value.encode()) for name, value in poll_cache.UNCHANGED_HEADERS.items()]


class PollFastPath:
    """Wraps the app's ASGI handler (inside Litestar's entry point, so `send` has its hooks)."""

    def __init__(self, app: ASGIApp, csrf_cookie: str) -> None:
        self.app = app
        self.csrf_cookie = csrf_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET":
            found = PROGRESS_PATH.fullmatch(scope["path"])
            polled = POLLED_VERSION.fullmatch(scope["query_string"]) if found else None
            if found and polled and await self._unchanged(scope, int(found.group(1)), polled.group(1), send):
                return
        await self.app(scope, receive, send)

    async def _unchanged(self, scope: Scope, payment_id: int, version: bytes, send: Send) -> bool:
        """Answers 204 and returns True when every check passes; False leaves the request untouched."""
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        headers, cookies = connection.headers, connection.cookies
        token = cookies.get(SESSION_COOKIE)
        if not token or headers.get("hx-request") != "true" or self.csrf_cookie not in cookies:
            return False
        try:
            payment = await usable_payment(token, payment_id)
        except Exception:  # the route runs the same query and answers the error its way
            return False
        if payment is None:
            return False
        view = payment_view(payment)
        if view.final or not poll_cache.unchanged(version.decode(), view.version):
            return False
        await send({"type": "http.response.start", "status": poll_cache.UNCHANGED, "headers": list(UNCHANGED_HEADERS)})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        metrics.polled(unchanged=True)
        return True
