"""A PaymentIntent confirmed at creation on a saved card, the customer away (`off_session=true`).

Stripe's test cards for saved cards: 4000000000000341 saves fine but every later charge is
declined; 4000002760003184 saves fine but its bank wants the customer to authenticate each
charge (off-session: `authentication_required`). Other cards follow the reader's rules (decline
cards, amount endings), and an expired card is declined `expired_card`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kiosk.simulator import charges, ledger, payment_methods
from kiosk.simulator.cards import Card, Decline, outcome, read_card
from kiosk.simulator.errors import StripeError, invalid
from kiosk.simulator.intents import render
from kiosk.simulator.objects import Origin, emit, get

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
DECLINED_AFTER_SAVE = "4000000000000341"
AUTHENTICATION_REQUIRED = "4000002760003184"
_AUTHENTICATION = Decline(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)
_DECLINED = Decline("card_declined", "generic_decline", "Your card was declined.")
_EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.")


def _decline_for(sim: Simulator, card: Card, pm: JSON, amount: int) -> Decline | None:
    exp = pm["card"]
    now = time.gmtime(sim.clock())
    if (int(exp["exp_year"]), int(exp["exp_month"])) < (now.tm_year, now.tm_mon):
        return _EXPIRED
    if card.number == DECLINED_AFTER_SAVE:
        return _DECLINED
    if card.number == AUTHENTICATION_REQUIRED:
        return _AUTHENTICATION
    return outcome(card, amount)


def check_params(params: JSON) -> None:
    """`confirm` needs a payment method; `off_session` only with `confirm` (as Stripe answers)."""
    if params.get("off_session") and not params.get("confirm"):
        raise invalid("You may only specify `off_session` when `confirm` is true.", param="off_session")
    if params.get("confirm") and not params.get("payment_method"):
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state",
            param="payment_method",
        )


def check_payment_method(sim: Simulator, params: JSON) -> None:
    """Refusals before anything is created: the saved card must be a card attached to the customer."""
    if not params.get("confirm"):
        return
    pm_id = str(params["payment_method"])
    pm = get(sim, payment_methods.KIND, pm_id, param="payment_method")
    if pm["type"] != "card":
        raise invalid(f"The PaymentMethod {pm_id} cannot be confirmed off-session.", param="payment_method")
    if not pm.get("customer"):
        raise invalid(
            f"The PaymentMethod {pm_id} is not attached to a customer (it was detached): it cannot be charged.",
            code="payment_method_unexpected_state",
            param="payment_method",
        )
    if params.get("customer") != pm["customer"]:
        raise invalid(
            f"The provided PaymentMethod belongs to a Customer, {pm['customer']}; pass it as `customer`.",
            param="customer",
        )


def confirm(sim: Simulator, intent: JSON, pm_id: str, origin: Origin, expand: list[str] | None) -> JSON:
    """Charge the saved card now; a decline answers Stripe's 402 carrying the PaymentIntent."""
    pm = get(sim, payment_methods.KIND, pm_id, param="payment_method")
    card = read_card(payment_methods.card_number(sim, pm_id))
    decline = _decline_for(sim, card, pm, intent["amount"])
    charge = charges.new_charge(sim, intent, card, pm, {"id": None, "location": None}, decline)
    charge["payment_method_details"] = {"type": "card", "card": _card_details(pm)}
    intent.update(latest_charge=charge["id"], payment_method=pm_id)
    if decline is not None:
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = {
            "type": "card_error",
            "code": decline.code,
            "decline_code": decline.decline_code,
            "message": decline.message,
            "charge": charge["id"],
            "payment_method": pm,
        }
        emit(sim, "charge.failed", charge, origin)
        emit(sim, "payment_intent.payment_failed", intent, origin)
        raise StripeError(
            status=402,
            message=decline.message,
            type="card_error",
            code=decline.code,
            decline_code=decline.decline_code,
            extra={"charge": charge["id"], "payment_intent": render(sim, intent, None)},
        )
    ledger.record(sim, "authorized", intent, charge["amount"], charge=charge["id"])
    charges.mark_captured(charge, charge["amount"])
    intent.update(status="succeeded", amount_received=charge["amount"], last_payment_error=None)
    ledger.record(sim, "captured", intent, charge["amount"], charge=charge["id"])
    emit(sim, "charge.succeeded", charge, origin)
    emit(sim, "payment_intent.succeeded", intent, origin)
    return render(sim, intent, expand)


def _card_details(pm: JSON) -> JSON:
    card = pm["card"]
    return {
        "amount_authorized": None,
        "brand": card["brand"],
        "checks": card["checks"],
        "country": card["country"],
        "exp_month": card["exp_month"],
        "exp_year": card["exp_year"],
        "fingerprint": card["fingerprint"],
        "funding": card["funding"],
        "last4": card["last4"],
        "network": card["brand"],
        "three_d_secure": None,
        "wallet": None,
    }
