"""The card brands the shop accepts, set on the admin Payments page.

Every brand accepted (the default, and what an admin who never set it has): payments take today's
one step, `process_payment_intent`, and cost no extra Stripe call. Any restriction: the reader first
only reads the card (`collect_payment_method`), the kiosk looks at its brand, and confirms it
(`confirm_payment_intent`) or cancels the reader's action and asks for another card.

The list is fixed on each payment when it starts (`Payment.accepted_brands`, "" = every brand), as
the capture mode is: a change applies from the next payment on and never strands one running.
Brand codes are Stripe's (`payment_method.card_present.brand`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kiosk.audit import trail as audit
from kiosk.config import Settings
from kiosk.db import settings as settings_store
from kiosk.db.secret_box import SecretBox
from kiosk.db.tables import Setting
from kiosk.forms import FormErrors, texts

SETTING = "payments.accepted_brands"
# Stripe's brand code -> what the cashier and the admin read.
BRANDS: dict[str, str] = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "jcb": "JCB",
    "diners": "Diners Club",
    "unionpay": "UnionPay",
    "interac": "Interac",
    "eftpos_au": "eftpos",
}
ALL = tuple(BRANDS)
EMPTY = "Tick at least one card brand: with none the shop could take no card at all."
UNKNOWN = "Choose brands from the list."


def label(brand: str | None) -> str:
    """`amex` -> "American Express"; a brand the list does not know keeps Stripe's word for it."""
    if not brand or brand == "unknown":
        return "This card"
    return BRANDS.get(brand, brand.replace("_", " ").title())


def refusal(brand: str | None) -> str:
    """What the cashier is told of a collected card of a brand the shop does not take."""
    return f"{label(brand)} is not accepted here — ask for another card."


def encode(brands: Iterable[str]) -> str:
    """The list as stored (on the setting and on each payment): "" when every brand is accepted."""
    wanted = set(brands)
    chosen = [brand for brand in ALL if brand in wanted]
    return "" if len(chosen) == len(ALL) else ",".join(chosen)


def decode(stored: str | None) -> tuple[str, ...]:
    """The accepted brands of a stored list ("" or nothing: every brand)."""
    chosen = tuple(brand for brand in (stored or "").split(",") if brand in BRANDS)
    return chosen or ALL


def accepts(stored: str | None, brand: str | None) -> bool:
    """Whether a payment whose list is `stored` takes a card of `brand` (an unread brand is not taken
    when the list is restricted)."""
    return not stored or (brand or "") in decode(stored)


async def load() -> tuple[str, ...]:
    """The brands the shop accepts now (every brand when never set)."""
    row = await Setting.select(Setting.value).where((Setting.name == SETTING) & (Setting.encrypted == False)).first()  # noqa: E712
    return decode(str(row["value"])) if row else ALL


async def for_new_payment() -> str:
    """The list fixed on a payment that starts now: "" (one step) or the accepted brands."""
    return encode(await load())


def parse(form: Any) -> tuple[str, ...]:
    """The ticked brands; FormErrors on `brands` when none is ticked or one is not a brand."""
    ticked = texts(form, "brands")
    if any(brand not in BRANDS for brand in ticked):
        raise FormErrors({"brands": UNKNOWN})
    if not ticked:
        raise FormErrors({"brands": EMPTY})
    return tuple(brand for brand in ALL if brand in ticked)


async def save(settings: Settings, before: tuple[str, ...], after: tuple[str, ...], actor_id: int) -> bool:
    """Store the list with its audit entry (one transaction); False when nothing changed."""
    if set(before) == set(after):
        return False
    change = {
        "accepted_brands": {
            "from": ", ".join(label(b) for b in before),
            "to": ", ".join(label(b) for b in after),
        },
        "added": [label(b) for b in after if b not in before],
        "removed": [label(b) for b in before if b not in after],
    }

    async def audit_entry() -> None:
        await audit.record(actor_id, "payment.accepted_brands", "accepted card brands", change)

    box = SecretBox.from_settings(settings)
    await settings_store.write({SETTING: ",".join(after)}, box, actor_id=actor_id, audit=audit_entry)
    return True
