"""The simulated Stripe account: every object, the ledger, call counts and fault switches.

One ``Simulator`` is one Stripe test-mode account held in memory (optionally persisted to a file).
Handlers run on the event loop thread, one at a time, so the state needs no locks.
"""

from __future__ import annotations

import secrets
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from stripe._api_version import _ApiVersion

from kiosk.simulator.device import Device

JSON = dict[str, Any]

_ID_ALPHABET = string.ascii_letters + string.digits
# The object table of the restricted keys made on the account (``handlers.restricted_keys``).
RESTRICTED_KEYS = "simulator.restricted_key"
# Stripe calls a reader offline after this long without a signal from it ("no signal for the past 2
# minutes"); an unplugged reader shows online until then (``Simulator.reader_offline_after``).
READER_OFFLINE_AFTER_SECONDS = 120.0


# Random bytes below this map evenly onto the alphabet (4 times 62 = 248); the rest are drawn again.
_ID_BYTES_BELOW = 256 - 256 % len(_ID_ALPHABET)


def new_id(prefix: str, length: int = 24) -> str:
    """Stripe-looking ids: ``pi_3Q...``, ``tmr_...``, ``evt_...``. As unpredictable as
    ``secrets.choice`` per character, from one read of the system's random source instead of one
    per character (several ids a request)."""
    chars: list[str] = []
    while len(chars) < length:
        spare = length - len(chars)
        drawn = secrets.token_bytes(spare + spare // 8 + 2)
        chars += [_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in drawn if b < _ID_BYTES_BELOW]
    return f"{prefix}_" + "".join(chars[:length])


def new_test_key() -> str:
    """A made-up test-mode secret key, for a simulator started without one."""
    return new_id("sk_test", 32)


@dataclass
class ApiFaults:
    """Answer the next ``count`` API calls with ``status`` (500 or 429) instead of serving them."""

    status: int = 0
    count: int = 0


class EventSink(Protocol):
    """Where handlers report what happened; ``webhooks.EventBus`` stores, signs and delivers it."""

    def emit(
        self,
        event_type: str,
        obj: JSON,
        previous_attributes: JSON | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> JSON: ...


class DiscardEvents:
    """The sink of a simulator built without the webhook machinery (unit tests of handlers)."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, JSON]] = []

    def emit(
        self,
        event_type: str,
        obj: JSON,
        previous_attributes: JSON | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> JSON:
        self.emitted.append((event_type, obj))
        return {"type": event_type, "data": {"object": obj}}


@dataclass
class Simulator:
    """One simulated Stripe account."""

    # The secret keys of the account: the only ones (with the restricted keys made on it) it accepts.
    api_keys: frozenset[str] = frozenset()
    persist_path: Path | None = None
    clock: Callable[[], float] = time.time
    account_id: str = field(default_factory=lambda: new_id("acct", 16))
    # The version a request without ``Stripe-Version`` is served in, and events are rendered in
    # (``versions``); a new account's default is the newest version, the one the kiosk's SDK pins.
    default_api_version: str = _ApiVersion.CURRENT
    # objects[kind][id] -> the object as Stripe would render it; kinds are Stripe's "object" names
    # ("payment_intent", "terminal.reader", "terminal.location", "customer", "refund", "charge", ...).
    objects: dict[str, dict[str, JSON]] = field(default_factory=dict)
    # API calls served, by "METHOD /v1/route/{template}", for tests and the benchmark.
    api_calls: Counter[str] = field(default_factory=Counter)
    api_faults: ApiFaults = field(default_factory=ApiFaults)
    events: EventSink = field(default_factory=DiscardEvents)
    # Runtime state of each reader's device (phase, faults, timers, screen), by reader id; never
    # persisted: a restored simulator recreates it from the reader objects on first use.
    devices: dict[str, Device] = field(default_factory=dict)
    # Seconds without a signal before an unplugged reader shows offline; tests shorten it through
    # ``POST /_sim/settings`` (a reset brings back Stripe's 2 minutes).
    reader_offline_after: float = READER_OFFLINE_AFTER_SECONDS

    def now(self) -> int:
        return int(self.clock())

    def table(self, kind: str) -> dict[str, JSON]:
        return self.objects.setdefault(kind, {})
