"""Answering "nothing changed" to a poll of the progress fragment: its version in its own address.

A running payment's fragment polls `/payments/{id}/progress?v=<version>`, the version being a short
tag of exactly what it shows (the PaymentView) and the template's own text. A poll whose version is
still the version of what the database says now (read as usual: the poll still shows the database's
truth) is answered 204 No Content: no body, and htmx swaps nothing, so the markup (and its polling)
goes on unchanged. Anything else is the fragment itself, which carries the new version in its
address. No browser cache is involved: the answer the payment's start or a retry drew (a whole page,
a card section) already holds the version, so even the first poll after it can be a 204. Several
kiosk processes compute the same version for the same view, so it works behind a load balancer.
The route (kiosk/payments/controllers/progress.py) and the fast path (kiosk/payments/poll_fast_path.py)
answer alike.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from litestar import Response

from kiosk.config import TEMPLATES_DIR

PROGRESS_TEMPLATE = TEMPLATES_DIR / "partials" / "payment_progress.html"
# A 204 carries nothing to keep; without this it would be heuristically cacheable. (The 200
# fragment gets the same from kiosk/web/security_headers.py, as every HTML answer does.)
UNCHANGED_HEADERS = {"Cache-Control": "no-store"}
UNCHANGED = 204
_TEMPLATE_VERSION = hashlib.sha256(PROGRESS_TEMPLATE.read_bytes()).hexdigest()[:16]
# 72 bits tell one payment's successive views apart with room to spare, in 12 URL-safe characters.
_VERSION_BYTES = 9
VERSION = re.compile(r"[A-Za-z0-9_-]{12}")


def version_of(view: Any) -> str:
    """The version of what `view` renders to: 12 characters of base64url, no padding."""
    digest = hashlib.sha256(f"{_TEMPLATE_VERSION}:{view!r}".encode()).digest()[:_VERSION_BYTES]
    return base64.urlsafe_b64encode(digest).decode()


def unchanged(sent: str | None, version: str) -> bool:
    """Whether the version a poll carried is the running payment's `version` (PaymentView.version)."""
    return bool(sent) and sent == version


def unchanged_answer() -> Response[None]:
    return Response(content=None, status_code=UNCHANGED, headers=UNCHANGED_HEADERS)
