"""Answering "nothing changed" to a poll of the progress fragment, the way browsers revalidate.

The fragment carries an ETag computed from exactly what it shows (the PaymentView) and the
template's own text, with `Cache-Control: no-cache` so the browser asks again every time with
If-None-Match. When nothing changed the server answers 304 with no body after reading the database
as usual (the poll still shows the database's truth); the browser hands htmx its cached 200, which
htmx swaps like any other answer, so the markup (and its polling) goes on unchanged. Several kiosk
processes compute the same tag for the same view, so it works behind a load balancer.
The route (kiosk/payments/controllers/progress.py) and the fast path (kiosk/payments/poll_fast_path.py) answer alike.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from litestar import Response

from kiosk.config import TEMPLATES_DIR

PROGRESS_TEMPLATE = TEMPLATES_DIR / "partials" / "payment_progress.html"
# Revalidate on every use; the answer is about one cashier's payment, never for shared caches.
REVALIDATE = "no-cache, private"
# A 304 repeats the Vary of the 200 it stands for (RFC 9110 §15.4.5); the compression middleware
# only adds it to the bodies it compresses. (Answers to htmx also vary on HX-Request:
# kiosk/web/security_headers.py adds that to both.)
VARY = "Accept-Encoding"
_TEMPLATE_VERSION = hashlib.sha256(PROGRESS_TEMPLATE.read_bytes()).hexdigest()[:16]
# 72 bits tell one payment's successive views apart with room to spare, in 12 characters.
_TAG_BYTES = 9


def etag_of(view: Any) -> str:
    """A weak tag (the body may be compressed differently) for what `view` renders to."""
    digest = hashlib.sha256(f"{_TEMPLATE_VERSION}:{view!r}".encode()).digest()[:_TAG_BYTES]
    return f'W/"{base64.urlsafe_b64encode(digest).decode()}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def unchanged(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison: the opaque tags are compared, W/ or not."""
    if not if_none_match:
        return False
    wanted = _opaque(etag)
    return any(tag.strip() == "*" or _opaque(tag) == wanted for tag in if_none_match.split(","))


def validators(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": REVALIDATE}


def not_modified_headers(etag: str) -> dict[str, str]:
    return {**validators(etag), "Vary": VARY}


def not_modified(etag: str) -> Response[None]:
    return Response(content=None, status_code=304, headers=not_modified_headers(etag))
