"""What the virtual tablets observe, recorded as it happens and summarised for the report."""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (pct in 0..100); None when there is nothing to rank."""
    if not values:
        return None
    ranked = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ranked)))
    return ranked[rank - 1]


def tap_legs(taps: list[tuple[str, float, float]], deliveries: list[dict[str, Any]]) -> dict[str, Any]:
    """Tap-to-screen in legs: the reader decided → Stripe sent the webhook of the reader's action →
    the kiosk answered it (committed) → the tablet's poll showed the outcome. The webhook is the
    first `terminal.reader.action_succeeded` about the tap's reader sent after the decision."""
    sent: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in deliveries:
        if row.get("sent_at") and row.get("object_id") and row.get("status") and 200 <= row["status"] < 300:
            sent[row["object_id"]].append((row["sent_at"], row["at"]))
    legs: dict[str, list[float]] = {"decided_to_webhook_sent": [], "webhook_sent_to_committed": [],
                                    "committed_to_poll_shown": []}  # fmt: skip
    for reader, decided, seen in taps:
        after = [pair for pair in sent.get(reader, []) if decided - 0.05 <= pair[0] <= seen]
        if not after:
            continue
        out, answered = min(after)
        legs["decided_to_webhook_sent"].append(max(0.0, out - decided))
        legs["webhook_sent_to_committed"].append(answered - out)
        legs["committed_to_poll_shown"].append(max(0.0, seen - answered))
    result: dict[str, Any] = {"matched": len(legs["decided_to_webhook_sent"]), "of": len(taps)}
    for name, values in legs.items():
        result[name] = {f"p{p}": ms(percentile(values, p)) for p in (50, 95)}
    return result


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


@dataclass
class Recorder:
    """Everything a run's tablets saw. Only what starts inside the window [start, end) is reported."""

    start: float = field(default_factory=time.monotonic)
    end: float = math.inf
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    poll_bytes: list[int] = field(default_factory=list)
    poll_not_modified: int = 0
    not_modified_bytes: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    non_2xx: int = 0
    approved: int = 0
    declines_retried: int = 0
    tap_to_screen: list[float] = field(default_factory=list)
    # Every payment ended as expected, inside the window or after it (for per-payment costs).
    approved_total: int = 0
    retries_total: int = 0
    on_reader_seconds_total: float = 0.0
    # Approved taps inside the window: (reader, wall time the reader decided, wall time the poll showed it).
    taps: list[tuple[str, float, float]] = field(default_factory=list)
    # Stripe locations whose reader picker the tablets opened (in the window or after it).
    picked_locations: set[str] = field(default_factory=set)

    def open(self, seconds: float) -> None:
        """Start the measured window now, for `seconds`."""
        self.start = time.monotonic()
        self.end = self.start + seconds

    def inside(self, at: float) -> bool:
        return self.start <= at < self.end

    def request(self, kind: str, started: float, latency: float) -> None:
        if self.inside(started):
            self.latencies[kind].append(latency)

    def poll(self, started: float, wire_bytes: int, not_modified: bool) -> None:
        if self.inside(started):
            self.poll_bytes.append(wire_bytes)
            self.poll_not_modified += not_modified
            if not_modified:
                self.not_modified_bytes.append(wire_bytes)

    def error(self, what: str, at: float | None = None) -> None:
        if self.inside(time.monotonic() if at is None else at):
            self.errors[what] += 1

    def http_error(self, kind: str, status: int, started: float) -> None:
        if self.inside(started):
            self.non_2xx += 1
            self.errors[f"HTTP {status} on {kind}"] += 1

    def payment_done(self, approved_at: float, on_reader: float, retried: bool, tap_to_screen: float | None) -> None:
        """A payment that ended as expected: approved, and the receipt paid."""
        self.approved_total += 1
        self.retries_total += retried
        self.on_reader_seconds_total += on_reader
        if not self.inside(approved_at):
            return
        self.approved += 1
        self.declines_retried += retried
        if tap_to_screen is not None:
            self.tap_to_screen.append(tap_to_screen)

    def tap_seen(self, reader: str, decided: float, seen: float) -> None:
        """Monotonic times of an approved tap and of the poll that showed it, kept as wall times to
        be matched with the simulator's webhook log."""
        if self.inside(seen):
            shift = time.time() - time.monotonic()
            self.taps.append((reader, decided + shift, seen + shift))

    @property
    def seconds(self) -> float:
        return max(1e-9, min(time.monotonic(), self.end) - self.start)

    def summary(self) -> dict[str, Any]:
        polls = self.latencies.get("poll", [])
        minutes = self.seconds / 60
        return {
            "window_seconds": round(self.seconds, 1),
            "payments_approved": self.approved,
            "payments_per_minute": round(self.approved / minutes, 1),
            "declines_retried": self.declines_retried,
            "errors": sum(self.errors.values()),
            "non_2xx": self.non_2xx,
            "error_kinds": dict(self.errors.most_common(10)),
            "polls": len(polls),
            "poll_ms": {f"p{p}": ms(percentile(polls, p)) for p in (50, 95, 99)},
            "poll_not_modified_share": round(self.poll_not_modified / len(polls), 3) if polls else None,
            "tap_to_screen_ms": {f"p{p}": ms(percentile(self.tap_to_screen, p)) for p in (50, 95)},
            "requests_ms": {
                kind: {"count": len(v), "p50": ms(percentile(v, 50)), "p99": ms(percentile(v, 99))}
                for kind, v in sorted(self.latencies.items())
            },
        }
