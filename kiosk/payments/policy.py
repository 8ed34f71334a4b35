"""The shop's card payment policy: capture mode, what manual capture does once a card is
authorized, and whether the customer may cancel on the reader.

Set on the admin Payments page (rows of the settings table), falling back to the environment
(KIOSK_CAPTURE_MODE, KIOSK_CUSTOMER_CANCELLATION) for whatever was never set there. The engine
reads it for every new payment (one small query) and fixes it on the payment row, so every kiosk
process applies a change from the next payment on and a payment already running is never stranded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from kiosk.audit import trail as audit
from kiosk.config import CAPTURE_MODES, Settings
from kiosk.db import settings as settings_store
from kiosk.db.secret_box import SecretBox
from kiosk.db.tables import Setting
from kiosk.forms import FormErrors

CAPTURE_MODE = "payments.capture_mode"
MANUAL_CAPTURE = "payments.manual_capture"
CUSTOMER_CANCELLATION = "payments.customer_cancellation"
NAMES = (CAPTURE_MODE, MANUAL_CAPTURE, CUSTOMER_CANCELLATION)
# Manual capture: capture as soon as the card is authorized, or keep the authorization for an
# admin to capture (or cancel) within Stripe's 2-day window.
CAPTURE_NOW, KEEP = "now", "keep"
MANUAL_CAPTURES = (CAPTURE_NOW, KEEP)
ON, OFF = "on", "off"


@dataclass(frozen=True)
class PaymentPolicy:
    capture_mode: str = "automatic"  # automatic | manual
    manual_capture: str = CAPTURE_NOW  # now | keep (manual mode only)
    customer_cancellation: bool = True
    # The names set on the admin page; the others come from the environment.
    stored: frozenset[str] = frozenset()

    @property
    def keep_for_capture(self) -> bool:
        return self.capture_mode == "manual" and self.manual_capture == KEEP

    def as_settings(self) -> dict[str, str]:
        return {
            CAPTURE_MODE: self.capture_mode,
            MANUAL_CAPTURE: self.manual_capture,
            CUSTOMER_CANCELLATION: ON if self.customer_cancellation else OFF,
        }


def from_environment(settings: Settings) -> PaymentPolicy:
    return PaymentPolicy(settings.capture_mode, CAPTURE_NOW, settings.customer_cancellation)


def with_stored(default: PaymentPolicy, stored: Mapping[str, str]) -> PaymentPolicy:
    """The default with every valid stored value applied (an unknown value is ignored)."""
    policy = default
    mode = stored.get(CAPTURE_MODE)
    if mode in CAPTURE_MODES:
        policy = replace(policy, capture_mode=mode)
    manual = stored.get(MANUAL_CAPTURE)
    if manual in MANUAL_CAPTURES:
        policy = replace(policy, manual_capture=manual)
    cancellation = stored.get(CUSTOMER_CANCELLATION)
    if cancellation in (ON, OFF):
        policy = replace(policy, customer_cancellation=cancellation == ON)
    return replace(policy, stored=frozenset(name for name in NAMES if name in stored))


async def load(default: PaymentPolicy) -> PaymentPolicy:
    """The policy in force: stored values over `default` (these settings are never encrypted)."""
    rows = await Setting.select(Setting.name, Setting.value).where(
        Setting.name.is_in(list(NAMES)) & (Setting.encrypted == False)  # noqa: E712 (a SQL condition)
    )
    return with_stored(default, {str(row["name"]): str(row["value"]) for row in rows})


def parse(form: Mapping[str, Any], current: PaymentPolicy) -> PaymentPolicy:
    """The admin's choices; FormErrors (by field) when one is not a known choice."""
    errors: dict[str, str] = {}
    mode = str(form.get("capture_mode") or "")
    if mode not in CAPTURE_MODES:
        errors["capture_mode"] = "Choose automatic or manual capture."
    manual = str(form.get("manual_capture") or current.manual_capture)
    if manual not in MANUAL_CAPTURES:
        errors["manual_capture"] = "Choose whether to capture at once or keep the authorization."
    cancellation = str(form.get("customer_cancellation") or OFF)
    if cancellation not in (ON, OFF):
        errors["customer_cancellation"] = "Tick the box to let customers cancel, or leave it empty."
    if errors:
        raise FormErrors(errors)
    return PaymentPolicy(mode, manual, cancellation == ON, current.stored)


def changes(before: PaymentPolicy, after: PaymentPolicy) -> dict[str, dict[str, str]]:
    """Setting name -> {"from", "to"} for every value that differs."""
    old, new = before.as_settings(), after.as_settings()
    return {name.split(".", 1)[1]: {"from": old[name], "to": new[name]} for name in NAMES if old[name] != new[name]}


async def save(settings: Settings, before: PaymentPolicy, after: PaymentPolicy, actor_id: int) -> bool:
    """Store the whole policy with its audit entry (one transaction); False when nothing changed."""
    changed = changes(before, after)
    if not changed:
        return False

    async def audit_entry() -> None:
        await audit.record(actor_id, "payment.settings", "payment settings", changed)

    values: dict[str, str | None] = dict(after.as_settings())
    box = SecretBox.from_settings(settings)
    await settings_store.write(values, box, actor_id=actor_id, audit=audit_entry)
    return True
