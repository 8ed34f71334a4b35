"""The payments' figures for Prometheus (served by kiosk/web/metrics.py at /metrics).

Counted as they happen, in each server process: progress polls (by how they were answered) and
Stripe's webhooks (recorded or duplicate, and their lag: from Stripe creating the event to the kiosk
having recorded it, in whole seconds as Stripe stamps events). Read from the database at each
scrape, so every server and worker says the same: payments by state, and the reconciler's backlog
(payments whose check with Stripe is due) with the age of the oldest.

With several worker processes (`kiosk serve --workers N`) prometheus_client's multiprocess mode adds
up the counters of every worker (kiosk/server.py sets its directory).
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count, Min
from prometheus_client import Counter, Gauge, Histogram

from kiosk.payments import store
from kiosk.payments.states import (
    CANCELED,
    CAPTURED,
    COLLECTED,
    COLLECTING,
    CREATING,
    DECLINED,
    INTENT_CREATED,
    NEEDS_ATTENTION,
    ON_READER,
    REQUIRES_CAPTURE,
    SUCCEEDED,
)
from kiosk.payments.tables import Payment

STATES = (CREATING, INTENT_CREATED, ON_READER, COLLECTING, COLLECTED, SUCCEEDED, REQUIRES_CAPTURE, CAPTURED,
          DECLINED, CANCELED, NEEDS_ATTENTION)  # fmt: skip

POLLS = Counter("kiosk_progress_polls", "Progress polls answered, by how", ["answer"])
# `unchanged`: answered 204, the fragment's version still the payment's (kiosk/payments/poll_cache.py).
UNCHANGED, RENDERED = "unchanged", "rendered"
WEBHOOKS = Counter("kiosk_webhooks", "Stripe events received with a valid signature, by outcome", ["outcome"])
WEBHOOK_LAG = Histogram(
    "kiosk_webhook_lag_seconds",
    "From Stripe creating an event to the kiosk having recorded it",
    buckets=(1, 2, 3, 5, 10, 30, 60, 300, 3600),
)
PAYMENTS = Gauge("kiosk_payments", "Card payments by state", ["state"], multiprocess_mode="mostrecent")
BACKLOG = Gauge(
    "kiosk_reconciler_backlog", "Payments whose check with Stripe is due now", multiprocess_mode="mostrecent"
)
BACKLOG_AGE = Gauge(
    "kiosk_reconciler_oldest_due_seconds",
    "How long the longest-waiting due check has been due (0: none)",
    multiprocess_mode="mostrecent",
)


def polled(unchanged: bool) -> None:
    POLLS.labels(UNCHANGED if unchanged else RENDERED).inc()


@functools.cache
def _webhooks(outcome: str) -> Any:
    """The counter of one outcome, looked up once per process (`labels()` costs as much as the rest
    of the counting; prometheus_client itself follows a fork to another process's values)."""
    return WEBHOOKS.labels(outcome)


def webhook_recorded(outcome: str, created: int) -> None:
    """An event recorded (or found already recorded: `duplicate`), `created` its Stripe timestamp."""
    duplicate = outcome == "duplicate"
    _webhooks("duplicate" if duplicate else "recorded").inc()
    if not duplicate:
        WEBHOOK_LAG.observe(max(0.0, time.time() - created))


async def refresh() -> None:
    """Read the figures that live in the database into their gauges (before a scrape)."""
    counts = {state: 0 for state in STATES}
    rows = await Payment.select(Payment.state, Count(alias="n")).group_by(Payment.state)
    for row in rows:
        counts[row["state"]] = int(row["n"])
    for state, n in counts.items():
        PAYMENTS.labels(state).set(n)
    now = store.now()
    due = await Payment.select(Count(alias="n"), Min(Payment.reconcile_after, alias="oldest")).where(
        Payment.reconcile_after <= now
    )
    BACKLOG.set(int(due[0]["n"]) if due else 0)
    oldest = due[0]["oldest"] if due else None
    if isinstance(oldest, str):  # SQLite's MIN() gives the stored text back
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    BACKLOG_AGE.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
