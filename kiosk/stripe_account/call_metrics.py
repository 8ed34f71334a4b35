"""Every request the kiosk sends to Stripe's API, counted for /metrics (kiosk/web/metrics.py).

The SDK's HTTP client is where every call passes, once per attempt (its own retries included), from
the payments' gateway and the admin pages' alike: counting there misses none. Counted by method
and by Stripe's answer (its HTTP status, or `error` when none came); Stripe's 429s also on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe
from prometheus_client import Counter

STRIPE_CALLS = Counter(
    "kiosk_stripe_calls", "Requests sent to Stripe's API, by method and Stripe's answer", ["method", "status"]
)
STRIPE_RATE_LIMITED = Counter("kiosk_stripe_rate_limited", "Stripe's 429 answers (too many requests)")


def count(method: str, status: int | None) -> None:
    """One request sent to Stripe and its answer (`status` None: none came)."""
    STRIPE_CALLS.labels(method.upper(), "error" if status is None else str(status)).inc()
    if status == 429:
        STRIPE_RATE_LIMITED.inc()


class CountingHTTPXClient(stripe.HTTPXClient):
    """The SDK's httpx client, counting each request and its answer."""

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            content, status, answer_headers = await super().request_async(method, url, headers, post_data)
        except Exception:
            count(method, None)
            raise
        count(method, status)
        return content, status, answer_headers
