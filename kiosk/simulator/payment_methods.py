"""Reusable card PaymentMethods: the `generated_card` a card-present payment saves for a customer
(`setup_future_usage`), attaching to and detaching from customers.

The card's test number stays in a private table (never rendered): it decides how the saved card
answers later off-session charges (kiosk/simulator/off_session.py).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kiosk.simulator.cards import Card
from kiosk.simulator.core import new_id
from kiosk.simulator.errors import invalid
from kiosk.simulator.objects import Origin, emit, get

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
KIND = "payment_method"
# payment_method id -> the test card number behind it (simulator-only, never answered).
CARD_NUMBERS = "simulator.card_number"


def _exp_year(sim: Simulator) -> int:
    return time.gmtime(sim.clock()).tm_year + 3


def generate_card(sim: Simulator, card: Card, customer: str, charge: JSON, origin: Origin) -> JSON:
    """The `card` PaymentMethod made from a card-present charge, attached to `customer`."""
    details = charge["payment_method_details"][charge["payment_method_details"]["type"]]
    source = {"charge": charge["id"], "setup_attempt": None}
    return generate_from(sim, card, customer, details, source, charge["billing_details"], origin)


def generate_from(
    sim: Simulator, card: Card, customer: str, details: JSON, source: JSON, billing: JSON, origin: Origin
) -> JSON:
    """A reusable `card` PaymentMethod from a card-present read (a charge's or a SetupAttempt's)."""
    pm_id = new_id("pm")
    pm: JSON = {
        "id": pm_id,
        "object": KIND,
        "allow_redisplay": "unspecified",
        "billing_details": billing,
        "card": {
            "brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": None},
            "country": "US",
            "display_brand": card.brand,
            "exp_month": details.get("exp_month") or 12,
            "exp_year": details.get("exp_year") or _exp_year(sim),
            "fingerprint": details.get("fingerprint"),
            "funding": card.funding,
            "generated_from": {
                **source,
                "payment_method_details": {"type": "card_present", "card_present": details},
            },
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": sim.now(),
        "customer": customer,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
    sim.table(KIND)[pm_id] = pm
    sim.table(CARD_NUMBERS)[pm_id] = {"number": card.number}
    emit(sim, "payment_method.attached", pm, origin)
    return pm


def card_number(sim: Simulator, pm_id: str) -> str:
    return str(sim.table(CARD_NUMBERS).get(pm_id, {}).get("number") or "4242424242424242")


def detach(sim: Simulator, pm: JSON, origin: Origin) -> JSON:
    if not pm.get("customer"):
        raise invalid(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            code="payment_method_unexpected_state",
        )
    previous = {"customer": pm["customer"]}
    pm["customer"] = None
    emit(sim, "payment_method.detached", pm, origin, previous)
    return pm


def of_customer(sim: Simulator, customer: str, pm_type: str | None) -> list[JSON]:
    get(sim, "customer", customer, param="customer")
    return [
        pm
        for pm in sim.table(KIND).values()
        if pm.get("customer") == customer and (pm_type is None or pm["type"] == pm_type)
    ]
