"""The database does not answer (PostgreSQL restarting, network blip): fail closed, say so plainly.

Any request that needs the database fails while it is away; this turns that failure into an
answer each caller can act on, instead of the generic "something went wrong":
- Stripe's webhook gets 503 and delivers the event again later (nothing was recorded);
- an htmx request (Pay, a poll, a cash tender) gets 503 and a notice drawn in the page's
  `#kiosk-outage` slot, which asks `/outage/over` every few seconds and removes itself once the
  database answers again; whatever the cashier pressed did not happen and can be pressed again;
- a full page gets the error page with the same words.
Nothing is half-written: every write of the kiosk is one transaction, and a payment row committed
before the outage is taken up again by the reconciler (kiosk/payments/recovery.py).
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from litestar import Request, Response, get
from litestar.response import Template
from litestar.types import ExceptionHandlersMap

from kiosk.payments.tables import Payment
from kiosk.people.guards import is_htmx
from kiosk.web.errors import unexpected_error

logger = logging.getLogger(__name__)

TITLE = "The kiosk cannot reach its database"
MESSAGE = (
    "The kiosk cannot reach its database right now, so what you just did was not saved and nothing was "
    "charged. Wait a moment and try again."
)
RETRY_AFTER_SECONDS = 5
NOTICE = "partials/db_outage.html"
# sqlite3.OperationalError texts that mean "the file is not usable now", not a bug in a query.
_SQLITE_OUTAGES = ("database is locked", "unable to open database", "disk i/o error")
_NETWORK_ERRNOS = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE})
_OUTAGE_TYPES = (
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
)


def is_database_outage(exc: BaseException) -> bool:
    if isinstance(exc, _OUTAGE_TYPES):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return any(text in str(exc).lower() for text in _SQLITE_OUTAGES)
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS


def database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if not is_database_outage(exc):
        return unexpected_error(request, exc)
    logger.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/webhooks/"):
        return Response({"error": "database unavailable"}, status_code=503, headers=headers)
    if is_htmx(request):
        headers |= {"HX-Retarget": "#kiosk-outage", "HX-Reswap": "innerHTML"}
        return Template(NOTICE, context={"message": MESSAGE}, status_code=503, headers=headers)
    context = {"title": TITLE, "message": MESSAGE}
    return Template("pages/error.html", context=context, status_code=503, headers=headers)


@get("/outage/over", include_in_schema=False, cache=False)
async def outage_over() -> Response[str]:
    """Answers 200 once the database answers (the notice then removes itself); 503 until then."""
    await Payment.select(Payment.id).limit(1)
    return Response("", status_code=200)


OUTAGE_HANDLERS: ExceptionHandlersMap = {
    exc_type: database_unavailable
    for exc_type in (OSError, sqlite3.OperationalError, asyncpg.PostgresError, asyncpg.InterfaceError)
}
