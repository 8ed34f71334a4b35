"""How the reconciler paces itself, and the environment knobs that tune the payments engine.

`KIOSK_RECOVERY` and `KIOSK_PAYMENT_TIMING` hold `name=seconds` pairs separated by commas, e.g.
`KIOSK_RECOVERY="abandon_after=3600,stripe_calls_per_second=5"`. Unset, the defaults below apply:
they suit a shop; the fault suite shrinks them so its servers resolve payments in seconds.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kiosk.payments.engine import Timing

RECOVERY_ENV = "KIOSK_RECOVERY"
TIMING_ENV = "KIOSK_PAYMENT_TIMING"

T = TypeVar("T")


@dataclass(frozen=True)
class Recovery:
    """The reconciler's pace (seconds unless said otherwise)."""

    tick: float = 1.0  # how often it looks for payments whose webhook is overdue
    # While nothing is due, it sleeps up to this long between looks (kiosk/payments/wakeup.py): its
    # own writes wake it sooner; another server's new due payment is found within it. A tick shorter
    # than the default 1 s shrinks it in proportion (`ceiling`).
    idle_ceiling: float = 5.0
    batch: int = 20  # payments leased per look
    # An open receipt untouched this long is abandoned: its card tenders that are not paid (and any
    # authorization not captured) are canceled at Stripe. Well inside the 2-day capture window.
    abandon_after: float = 6 * 3600.0
    sweep_every: float = 60.0  # how often abandoned receipts are looked for
    # Stripe allows 25 requests/s in test mode (100 live) per account: each server's reconciler stays
    # well below, leaving room for the tills and for other servers. After a 429 it pauses.
    stripe_calls_per_second: float = 5.0
    rate_limited_pause: float = 2.0

    @property
    def ceiling(self) -> float:
        """The longest idle sleep: `idle_ceiling`, as many ticks as it holds seconds when the tick is
        shorter than a second (the fault suite's 0.2-s tick: 1 s), never less than one tick."""
        return max(self.tick, min(self.idle_ceiling, self.idle_ceiling * self.tick))


def _parse(text: str, kind: type[T], env: str) -> dict[str, Any]:
    fields = {f.name: f.type for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        name, _, raw = pair.partition("=")
        name = name.strip()
        if name not in fields:
            raise ValueError(f"{env}: unknown setting {name!r}; known: {', '.join(fields)}")
        try:
            values[name] = int(raw) if fields[name] == "int" else float(raw)
        except ValueError:
            raise ValueError(f"{env}: {name} must be a number, not {raw.strip()!r}") from None
        if values[name] < 0:
            raise ValueError(f"{env}: {name} must not be negative")
    return values


def recovery_from_env(environ: Mapping[str, str] | None = None) -> Recovery:
    env = os.environ if environ is None else environ
    return Recovery(**_parse(env.get(RECOVERY_ENV, ""), Recovery, RECOVERY_ENV))


def timing_from_env(environ: Mapping[str, str] | None = None) -> Timing | None:
    """The engine's patience from the environment; None when not set (the engine's defaults)."""
    env = os.environ if environ is None else environ
    text = env.get(TIMING_ENV, "")
    return Timing(**_parse(text, Timing, TIMING_ENV)) if text.strip() else None
