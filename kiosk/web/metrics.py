"""GET /metrics: the kiosk's figures for Prometheus (Litestar's Prometheus controller), closed to
the public.

Prometheus on the server itself scrapes over loopback; from anywhere else it sends
`Authorization: Bearer <KIOSK_METRICS_TOKEN>`. The caller's address is read through the trusted
proxies (kiosk/people/guards.py: client_address), so a public request forwarded by a load balancer
on the same machine is not taken for loopback. Without a token set, only loopback is answered.

Figures: payments by state and the reconciler's backlog (read from the database at each scrape),
progress polls and webhooks with their lag (kiosk/payments/metrics.py), Stripe calls by answer and
Stripe's 429s (kiosk/stripe_account/call_metrics.py). No per-request middleware: every poll would
pay for it, and the poll rate is counted where polls are answered.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController

from kiosk.payments import metrics as payment_metrics
from kiosk.people.guards import client_address, settings_of
from kiosk.stripe_account import call_metrics  # noqa: F401 - its counters are on the registry


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def may_read_metrics(request: Request[Any, Any, Any]) -> bool:
    token = settings_of(request).metrics_token
    given = request.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return _is_loopback(client_address(request))


async def metrics_access(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Refuse the public; for Prometheus, read the database's figures into their gauges first."""
    if not isinstance(connection, Request) or not may_read_metrics(connection):
        raise NotAuthorizedException("metrics are for the server itself or a bearer of the metrics token")
    await payment_metrics.refresh()


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
    guards = [metrics_access]
