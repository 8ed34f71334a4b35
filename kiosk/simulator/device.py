"""The physical side of a simulated reader: what it is doing, its settings and its injected faults.

The ``terminal.reader`` object in ``sim.objects`` is what Stripe's API shows; a ``Device`` is what
the API cannot show: whether the current action is still waiting for a card ("collecting") or is
authorizing one ("processing"), the fault switches of the control API, the auto-tap and
authorization-delay settings, the pending timer, and the screen. Devices are runtime state only
(timers cannot be persisted); one is created on first use for every reader.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

from kiosk.simulator.cards import Card

JSON = dict[str, Any]

# "inputs": the reader shows a collect_inputs form (no card is taken meanwhile).
Phase = Literal["idle", "collecting", "processing", "inputs"]


def idle_screen() -> JSON:
    return {
        "state": "idle",
        "amount": None,
        "currency": None,
        "message": "Welcome",
        "cart": None,
        "card": None,
        "can_cancel": False,
    }


@dataclass(frozen=True)
class Tap:
    """A card presented to the reader, waiting for the issuer's answer while the device is "processing"."""

    card: Card
    tip: int | None
    pm_type: str  # card_present | interac_present


@dataclass
class Device:
    """One simulated reader's hardware state."""

    phase: Phase = "idle"
    # The reader stopped talking mid-action: the action stays in_progress and nothing is reported.
    disconnected: bool = False
    # When (on the simulator's clock) the reader lost power or network: Stripe hears nothing from it
    # since, but shows it online until ``Simulator.reader_offline_after`` seconds have passed.
    unplugged_at: float | None = None
    # Another integration's action occupies the reader: every command answers terminal_reader_busy.
    busy_elsewhere: bool = False
    # Pending terminal_reader_timeout faults, oldest first; True = the command was carried out anyway.
    timeouts: list[bool] = field(default_factory=list)
    auto_tap_seconds: float | None = None
    authorization_delay: float = 0.0
    timer: asyncio.TimerHandle | None = None
    tapped: Tap | None = None
    # collect_payment_method succeeded: the card read, waiting for confirm_payment_intent (or a cancel).
    collected: Tap | None = None
    screen: JSON = field(default_factory=idle_screen)
    cart: JSON | None = None  # the last cart shown by set_reader_display, kept while collecting
    # The tip screen of the payment being collected (kiosk/simulator/tipping.py): its choices while
    # the customer has not chosen, then None; `tip` is what the customer chose (0: no tip).
    tip_choices: list[JSON] | None = None
    tip: int | None = None

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def schedule(self, seconds: float, callback: Any) -> None:
        """Run ``callback()`` later on the event loop that serves the API (handlers run on it)."""
        self.cancel_timer()
        self.timer = asyncio.get_running_loop().call_later(seconds, callback)
