"""SetupIntents: saving a card on a reader without a payment (`process_setup_intent`).

https://docs.stripe.com/terminal/features/saving-payment-details/save-directly — the reader reads
the card, the SetupIntent succeeds with the card_present PaymentMethod, and (with a customer) its
SetupAttempt names the `generated_card`: a reusable `card` PaymentMethod attached to the customer.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from kiosk.simulator import charges, payment_methods
from kiosk.simulator.cards import Card
from kiosk.simulator.core import new_id
from kiosk.simulator.errors import invalid
from kiosk.simulator.objects import Origin, emit, get, merge_metadata, refuse_unsupported

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
KIND = "setup_intent"
ATTEMPT = "setup_attempt"
# `allowed_payment_method_types` on the pinned version (endive); older versions said `payment_method_types`.
CREATE_PARAMS = frozenset(
    {"allowed_payment_method_types", "customer", "description", "metadata", "payment_method_types", "usage"}
)
CANCELABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})


def create(sim: Simulator, params: JSON, origin: Origin) -> JSON:
    refuse_unsupported(params, CREATE_PARAMS, "SetupIntents")
    customer = params.get("customer")
    if customer:
        get(sim, "customer", customer, param="customer")
    intent_id = new_id("seti")
    intent: JSON = {
        "id": intent_id,
        "object": KIND,
        "application": None,
        "automatic_payment_methods": None,
        "cancellation_reason": None,
        "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
        "created": sim.now(),
        "customer": customer or None,
        "description": params.get("description"),
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": merge_metadata({}, params.get("metadata")),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_options": {},
        "allowed_payment_method_types": params.get("allowed_payment_method_types"),
        "payment_method_types": list(
            params.get("allowed_payment_method_types") or params.get("payment_method_types") or ["card"]
        ),
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": params.get("usage") or "off_session",
    }
    sim.table(KIND)[intent_id] = intent
    emit(sim, "setup_intent.created", intent, origin)
    return intent


def cancel(sim: Simulator, intent: JSON, reason: str | None, origin: Origin) -> JSON:
    if intent["status"] not in CANCELABLE:
        raise invalid(
            f"You cannot cancel this SetupIntent because it has a status of {intent['status']}.",
            code="setup_intent_unexpected_state",
        )
    intent.update(status="canceled", cancellation_reason=reason)
    emit(sim, "setup_intent.canceled", intent, origin)
    return intent


def check_processable(intent: JSON) -> None:
    """What a reader refuses before taking the action."""
    if "card_present" not in intent["payment_method_types"]:
        raise invalid(
            "This SetupIntent cannot be processed on a reader: its payment_method_types lack card_present.",
            code="setup_intent_invalid_parameter",
            param="setup_intent",
        )
    if intent["status"] != "requires_payment_method":
        raise invalid(
            f"This SetupIntent has a status of {intent['status']}; a reader can only process a SetupIntent "
            "whose status is requires_payment_method.",
            code="setup_intent_unexpected_state",
            param="setup_intent",
        )


def complete(sim: Simulator, intent: JSON, card: Card, reader: JSON, origin: Origin) -> str | None:
    """The card read on `reader` sets the intent up; answers the generated card's id (None without a customer)."""
    pm = charges.new_payment_method(sim, card, "card_present")
    attempt_id = new_id("setatt")
    details: JSON = {
        "brand": card.brand,
        "exp_month": pm["card_present"]["exp_month"],
        "exp_year": pm["card_present"]["exp_year"],
        "generated_card": None,
        "last4": card.last4,
        "read_method": "contactless_emv",
        "reader": reader["id"],
    }
    generated = None
    if intent["customer"]:
        source = {"charge": None, "setup_attempt": attempt_id}
        made = payment_methods.generate_from(
            sim, card, intent["customer"], details, source, pm["billing_details"], origin
        )
        generated = str(made["id"])
        details["generated_card"] = generated
    sim.table(ATTEMPT)[attempt_id] = {
        "id": attempt_id,
        "object": ATTEMPT,
        "created": sim.now(),
        "customer": intent["customer"],
        "livemode": False,
        "payment_method": pm["id"],
        "payment_method_details": {"type": "card_present", "card_present": details},
        "setup_error": None,
        "setup_intent": intent["id"],
        "status": "succeeded",
        "usage": intent["usage"],
    }
    intent.update(status="succeeded", payment_method=pm["id"], latest_attempt=attempt_id, last_setup_error=None)
    emit(sim, "setup_intent.succeeded", intent, origin)
    return generated
