"""Security headers on every answer the kiosk sends (pages, fragments, static files, errors).

Hooked in as an app-level `before_send`, which sees every response — also 404s and other errors
answered before any route runs, which route middleware would miss.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from kiosk.config import Settings

# Scripts and styles only from our own files: no inline script, no eval, no inline style
# (htmx's own indicator style is switched off in base.html). Nothing may frame the kiosk.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# One year; only sent outside the plain-HTTP demo, where every address is HTTPS.
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    headers = dict(HEADERS)
    if not settings.demo:
        headers["strict-transport-security"] = HSTS

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        present = MutableScopeHeaders.from_message(message)
        for name, value in headers.items():
            if name not in present:  # a route that needs a different policy sets its own
                present[name] = value

    return add_headers
