"""What the payments engine runs with: the Stripe gateway, the shop's policy, and its patience.

One `Engine` per app (built in the lifespan, on the server's event loop); every payments function
takes it first. Idempotency keys are derived here: the payment's key plus the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kiosk.config import Settings
from kiosk.payments import store
from kiosk.payments.tables import Payment
from kiosk.stripe_account.gateway import StripeGateway


@dataclass(frozen=True)
class Timing:
    """How patient the engine is (seconds); tests shrink these."""

    webhook_grace: float = 4.0  # after sending, wait this long for a webhook before asking Stripe
    check_interval: float = 3.0  # at most one check of Stripe per payment this often
    max_check_interval: float = 15.0  # a long wait is checked less and less often, up to this
    stuck_after: float = 300.0  # an action in progress this long needs the cashier's attention
    attention_recheck: float = 30.0  # payments needing attention are re-checked this often
    lease_seconds: float = 600.0  # a reader lease outlives any sane payment
    in_flight: float = 120.0  # an unsent payment untouched this long lost the request driving it
    resume_window: float = 300.0  # after a restart, older unsent payments are not sent to a reader


@dataclass
class Engine:
    """What the payments engine runs with: the gateway, the shop's policy, its patience."""

    gateway: StripeGateway
    capture_method: str = "automatic"
    customer_cancellation: bool = True
    timing: Timing = field(default_factory=Timing)

    @classmethod
    def from_settings(cls, settings: Settings, gateway: StripeGateway, timing: Timing | None = None) -> Engine:
        return cls(gateway, settings.capture_mode, settings.customer_cancellation, timing or Timing())


def idempotency_key(payment: Payment, step: str) -> str:
    return f"{payment.key}:{step}"


def next_check(engine: Engine, payment: Payment) -> datetime:
    """When to ask Stripe again: every few seconds at first, less often as the wait grows."""
    age = (store.now() - payment.sent_at).total_seconds() if payment.sent_at else 0.0
    timing = engine.timing
    return store.later(min(max(timing.check_interval, age / 4), timing.max_check_interval))
