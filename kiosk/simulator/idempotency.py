"""Idempotent requests: the same ``Idempotency-Key`` replays the first answer instead of acting twice.

As Stripe does, a key belongs to the API key that first used it, is kept 24 hours, and is bound to
the request it came with: reusing it for another endpoint or other parameters is a 400
``idempotency_error``. Only answers of requests that reached a handler are stored (validation
errors are not, so a corrected retry with the same key still goes through).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from kiosk.simulator.errors import StripeError

JSON = dict[str, Any]

TTL_SECONDS = 24 * 60 * 60


@dataclass
class Stored:
    """The first answer given under one idempotency key."""

    endpoint: str  # "POST /v1/payment_intents/pi_123"
    fingerprint: str  # the request's parameters, canonical JSON
    status: int
    content: str  # the JSON body, serialized when it was first answered
    request_id: str
    created: float


def fingerprint(params: JSON) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def _mismatch(key: str, why: str) -> StripeError:
    return StripeError(
        status=400,
        type="idempotency_error",
        message=f"Keys for idempotent requests can only be used {why} they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request.",
    )


class IdempotencyStore:
    """Answers by (API key, idempotency key); entries older than 24 hours are forgotten."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Stored] = {}

    def lookup(self, owner: str, key: str, endpoint: str, params: JSON, now: float) -> Stored | None:
        """The stored answer to replay, None for a fresh key, or Stripe's error for a misused key."""
        self._expire(now)
        stored = self.entries.get((owner, key))
        if stored is None:
            return None
        if stored.endpoint != endpoint:
            raise _mismatch(key, "for the same endpoint and with the same parameters")
        if stored.fingerprint != fingerprint(params):
            raise _mismatch(key, "with the same parameters")
        return stored

    def save(self, owner: str, key: str, entry: Stored) -> None:
        self.entries[(owner, key)] = entry

    def clear(self) -> None:
        self.entries.clear()

    def _expire(self, now: float) -> None:
        # Entries are kept in the order they were saved, so the expired ones are all at the front.
        while self.entries:
            oldest = next(iter(self.entries))
            if now - self.entries[oldest].created <= TTL_SECONDS:
                return
            del self.entries[oldest]

    def to_json(self) -> list[JSON]:
        return [{"owner": owner, "key": key, **asdict(entry)} for (owner, key), entry in self.entries.items()]

    def load_json(self, rows: list[JSON]) -> None:
        self.entries = {(row.pop("owner"), row.pop("key")): Stored(**row) for row in (dict(r) for r in rows)}
