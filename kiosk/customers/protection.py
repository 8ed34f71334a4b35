"""The admin's "Card data protection" setting: never save cards (the default), or save them as a
Stripe token only (the PaymentMethod id; the kiosk keeps its brand, last 4 and expiry to show)."""

from __future__ import annotations

from kiosk.audit import trail as audit
from kiosk.config import Settings
from kiosk.customers import sql as customers_sql
from kiosk.db import settings as settings_store
from kiosk.db.secret_box import SecretBox
from kiosk.forms import FormErrors

CARD_DATA = "customers.card_data"
DONT_SAVE, TOKEN_ONLY = "dont_save", "token_only"
CHOICES = {DONT_SAVE: "Don't save cards", TOKEN_ONLY: "Save as a Stripe token only"}


async def card_data_mode() -> str:
    # One hand-written query (kiosk/customers/sql.py); the receipt page reads it with its receipt.
    return mode_of(await customers_sql.plain_setting(CARD_DATA))


def mode_of(value: str | None) -> str:
    """The mode a stored value of the setting (None: unset) stands for."""
    return value if value in CHOICES else DONT_SAVE


async def saving_allowed() -> bool:
    return await card_data_mode() == TOKEN_ONLY


def saving_of(value: str | None) -> bool:
    """`saving_allowed` from the setting's stored value as a caller read it (None: unset)."""
    return mode_of(value) == TOKEN_ONLY


async def set_card_data_mode(settings: Settings, choice: str, actor_id: int) -> bool:
    """Store the choice with its audit entry; False when it was already so."""
    if choice not in CHOICES:
        raise FormErrors({"card_data": "Choose “Don't save cards” or “Save as a Stripe token only”."})
    before = await card_data_mode()
    if before == choice:
        return False

    async def audit_entry() -> None:
        await audit.record(actor_id, "customer.card_data", "card data protection", {"from": before, "to": choice})

    await settings_store.write(
        {CARD_DATA: choice}, SecretBox.from_settings(settings), actor_id=actor_id, audit=audit_entry
    )
    return True
