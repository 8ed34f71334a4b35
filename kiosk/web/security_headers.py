"""Security headers: the full set on every answer a browser may show as a document (pages, error
pages, static files), a short set on the answers it never shows as one.

Hooked in as an app-level `before_send`, which sees every response — also 404s and other errors
answered before any route runs (which route middleware would miss), and the 204s of the progress
poll's fast path (kiosk/payments/poll_fast_path.py).

The short set (X-Content-Type-Options, and HSTS outside the demo) goes on:
- answers to htmx requests (`HX-Request: true`): htmx reads them with XHR and swaps them into the
  page, which its own headers govern; CSP, frame options, opener, permissions and referrer policies
  on a fetched answer do nothing. Such answers also say `Vary: HX-Request`, so the browser's cache
  never hands one to a navigation (the back button, the address bar) as a document: the navigation
  asks the server again and gets the page with the full set;
- 304s: the browser keeps the headers of the answer it stored, updating only those a 304 carries;
- 204s (the progress poll's "nothing changed"): no content, nothing a browser could show;
- JSON (the health check, answers to Stripe's webhooks): never a document with scripts or frames.

Every HTML answer (page or fragment) that does not set its own caching says `Cache-Control:
no-store`: receipts, settings and people are one shop's business, and on a shared tablet the
browser's Back after logout must ask the server (which sends the login page) rather than show them
from its cache. Static files keep their max-age; the progress poll's bodiless 204 says `no-store`
itself (kiosk/payments/poll_cache.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

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
DOCUMENT_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
NO_STORE = (b"cache-control", b"no-store")
# Never guess a type from the bytes, whatever the answer.
EVERY_ANSWER_HEADERS = {"x-content-type-options": "nosniff"}
# One year; only sent outside the plain-HTTP demo, where every address is HTTPS. Not a document
# header: a browser takes it from any answer over HTTPS, so every answer keeps it.
HSTS = "max-age=31536000; includeSubDomains"

Headers = list[tuple[bytes, bytes]]


def _encoded(headers: dict[str, str]) -> Headers:
    return [(name.encode(), value.encode()) for name, value in headers.items()]


def is_htmx_request(scope: Scope) -> bool:
    return any(name == b"hx-request" and value == b"true" for name, value in scope.get("headers", ()))


def is_document(status: int, headers: Iterable[tuple[bytes, bytes]], htmx: bool) -> bool:
    """Whether a browser could show this answer as a page of its own (see the module's docstring)."""
    if htmx or status in (204, 304):
        return False
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    return not content_type.lower().startswith(b"application/json")


def is_html(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    return content_type.lower().startswith(b"text/html")


def _vary_on_htmx(headers: Headers) -> None:
    for i, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            if b"hx-request" not in value.lower():
                headers[i] = (name, value + b", HX-Request")
            return
    headers.append((b"vary", b"HX-Request"))


def security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    every = dict(EVERY_ANSWER_HEADERS)
    if not settings.demo:
        every["strict-transport-security"] = HSTS
    full, short = _encoded({**DOCUMENT_HEADERS, **every}), _encoded(every)

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers: Headers = list(message.get("headers", ()))
        htmx = is_htmx_request(scope)
        present = {name.lower() for name, _ in headers}
        wanted = full if is_document(message["status"], headers, htmx) else short
        # A route that needs a different policy sets its own.
        headers += [(name, value) for name, value in wanted if name not in present]
        if b"cache-control" not in present and is_html(headers):
            headers.append(NO_STORE)
        if htmx:
            _vary_on_htmx(headers)
        message["headers"] = headers

    return add_headers
