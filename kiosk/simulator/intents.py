"""PaymentIntents: create, update, cancel, capture, and the authorization a reader tap triggers."""

from __future__ import annotations

import copy
import secrets
from typing import TYPE_CHECKING, Any

from kiosk.simulator import charges, ledger, payment_methods
from kiosk.simulator.cards import Card, Decline, outcome
from kiosk.simulator.core import new_id
from kiosk.simulator.currencies import check_amount, normalize_currency
from kiosk.simulator.errors import invalid
from kiosk.simulator.objects import Origin, emit, get, merge_metadata, refuse_unsupported

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
KIND = "payment_intent"
DEFAULT_PAYMENT_METHOD_TYPES = ["card"]
_PLAIN_FIELDS = (
    "description",
    "receipt_email",
    "setup_future_usage",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_group",
)
# ``payment_method_types`` reaches here only from clients of versions before endive (``versions``).
_TYPE_CHOICES = ("allowed_payment_method_types", "payment_method_types")
CREATE_PARAMS = frozenset(
    {"amount", "currency", "capture_method", "customer", "metadata", *_TYPE_CHOICES, *_PLAIN_FIELDS}
)
# Creating and confirming at once on a saved card (kiosk/simulator/off_session.py); not for updates.
CONFIRM_PARAMS = frozenset({"confirm", "off_session", "payment_method"})
# Fields that define the payment itself: only changeable before a card was authorized.
_PAYMENT_FIELDS = frozenset({"amount", "currency", "capture_method", *_TYPE_CHOICES})
UPDATE_PARAMS = CREATE_PARAMS
CANCELABLE = frozenset({"requires_payment_method", "requires_capture", "requires_confirmation", "requires_action"})


def create(sim: Simulator, params: JSON, origin: Origin) -> JSON:
    refuse_unsupported(params, CREATE_PARAMS | CONFIRM_PARAMS, "PaymentIntents")
    currency = normalize_currency(params["currency"])
    check_amount(params["amount"], currency)
    intent_id = new_id("pi")
    intent: JSON = {
        "id": intent_id,
        "object": KIND,
        "amount": params["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "allowed_payment_method_types": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method", "automatic_async"),
        "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
        "confirmation_method": "automatic",
        "created": sim.now(),
        "currency": currency,
        "customer": _customer(sim, params.get("customer")),
        "customer_account": None,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": merge_metadata({}, params.get("metadata")),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": [],
        "payment_record": None,
        "processing": None,
        "review": None,
        "shipping": None,
        "source": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        **{name: params.get(name) or None for name in _PLAIN_FIELDS},
    }
    if not any(name in params for name in _TYPE_CHOICES):
        # Since 2023-08-16 the account's payment method settings apply (cards, on this account).
        intent["automatic_payment_methods"] = {"allow_redirects": "always", "enabled": True}
    _choose_types(intent, params)
    sim.table(KIND)[intent_id] = intent
    emit(sim, "payment_intent.created", intent, origin)
    return intent


def update(sim: Simulator, intent: JSON, params: JSON) -> JSON:
    refuse_unsupported(params, UPDATE_PARAMS, "PaymentIntents")
    if _PAYMENT_FIELDS & set(params) and intent["status"] != "requires_payment_method":
        name = sorted(_PAYMENT_FIELDS & set(params))[0]
        raise invalid(
            f"You cannot update `{name}` of this PaymentIntent because it has a status of {intent['status']}. "
            "It can only be updated while the status is requires_payment_method.",
            code="payment_intent_unexpected_state",
            param=name,
        )
    if "amount" in params or "currency" in params:
        amount = int(params["amount"] if "amount" in params else intent["amount"])
        currency = normalize_currency(str(params["currency"] if "currency" in params else intent["currency"]))
        check_amount(amount, currency)
        intent["amount"], intent["currency"] = amount, currency
    if "payment_method_types" in params:
        _choose_types(intent, {"payment_method_types": params["payment_method_types"]})
    elif "allowed_payment_method_types" in params or "currency" in params:
        if intent["allowed_payment_method_types"] is not None or "allowed_payment_method_types" in params:
            allowed = params.get("allowed_payment_method_types", intent["allowed_payment_method_types"])
            _set_payment_method_types(intent, allowed)
        else:
            _choose_types(intent, {"payment_method_types": intent["payment_method_types"]})
    if "capture_method" in params:
        intent["capture_method"] = params["capture_method"]
    if "customer" in params:
        intent["customer"] = _customer(sim, params["customer"])
    if "metadata" in params:
        intent["metadata"] = merge_metadata(intent["metadata"], params["metadata"])
    for name in _PLAIN_FIELDS:
        if name in params:
            intent[name] = params[name] or None
    return intent


def cancel(sim: Simulator, intent: JSON, reason: str | None, origin: Origin) -> JSON:
    if intent["status"] not in CANCELABLE:
        raise invalid(
            f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
            f"PaymentIntent with one of the following statuses may be canceled: {', '.join(sorted(CANCELABLE))}.",
            code="intent_invalid_state",
        )
    if intent["status"] == "requires_capture":
        _release_authorization(sim, intent, origin)
    intent.update(status="canceled", canceled_at=sim.now(), cancellation_reason=reason, amount_capturable=0)
    emit(sim, "payment_intent.canceled", intent, origin)
    return intent


def capture(sim: Simulator, intent: JSON, params: JSON, origin: Origin) -> JSON:
    refuse_unsupported(params, frozenset({"amount_to_capture", "metadata"}), "PaymentIntent captures")
    if intent["status"] != "requires_capture":
        # Stripe's answer carries the PaymentIntent as it stands, as a decline carries the charge.
        error = invalid(
            f"This PaymentIntent could not be captured because it has a status of {intent['status']}. Only a "
            "PaymentIntent with one of the following statuses may be captured: requires_capture.",
            code="payment_intent_unexpected_state",
        )
        error.extra = {"payment_intent": render(sim, intent, None)}
        raise error
    charge = get(sim, "charge", intent["latest_charge"])
    capture_before = charge["payment_method_details"][charge["payment_method_details"]["type"]]["capture_before"]
    if capture_before is not None and sim.now() > capture_before:
        raise invalid(
            "This PaymentIntent's authorization has expired and can no longer be captured.",
            code="charge_expired_for_capture",
        )
    amount = int(params["amount_to_capture"] if "amount_to_capture" in params else intent["amount_capturable"])
    if not 1 <= amount <= intent["amount_capturable"]:
        raise invalid(
            f"The amount to capture must be between 1 and the amount capturable ({intent['amount_capturable']}).",
            code="amount_too_large" if amount > 1 else "amount_too_small",
            param="amount_to_capture",
        )
    previous = {"captured": False, "amount_captured": 0}
    charges.mark_captured(charge, amount)
    released = intent["amount_capturable"] - amount
    intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
    if "metadata" in params:
        intent["metadata"] = merge_metadata(intent["metadata"], params["metadata"])
    ledger.record(sim, "captured", intent, amount, charge=charge["id"])
    if released:
        ledger.record(sim, "canceled", intent, released, charge=charge["id"])
    emit(sim, "charge.captured", charge, origin, previous)
    emit(sim, "payment_intent.succeeded", intent, origin)
    return intent


def authorize(
    sim: Simulator,
    intent: JSON,
    card: Card,
    tip: int | None,
    pm_type: str,
    reader: JSON,
    origin: Origin,
    pm: JSON | None = None,
) -> Decline | None:
    """One tap reaching the issuer: creates the charge, moves the intent on, returns the decline if any.
    ``pm``: the PaymentMethod collect_payment_method already made (confirm_payment_intent)."""
    decline = outcome(card, intent["amount"])
    if decline is None and tip:
        intent["amount"] += tip
        intent["amount_details"] = {"tip": {"amount": tip}}
    pm = pm or charges.new_payment_method(sim, card, pm_type)
    charge = charges.new_charge(sim, intent, card, pm, reader, decline)
    intent["latest_charge"] = charge["id"]
    if decline is not None:
        intent.update(status="requires_payment_method", payment_method=None)
        intent["last_payment_error"] = _payment_error(decline, charge, pm)
        emit(sim, "charge.failed", charge, origin)
        emit(sim, "payment_intent.payment_failed", intent, origin)
        return decline
    intent.update(payment_method=pm["id"], last_payment_error=None)
    if intent.get("setup_future_usage") and intent.get("customer"):
        # The card tapped is saved for the customer: a reusable `card` PaymentMethod, named on the charge.
        generated = payment_methods.generate_card(sim, card, intent["customer"], charge, origin)
        charge["payment_method_details"][pm_type]["generated_card"] = generated["id"]
    ledger.record(sim, "authorized", intent, charge["amount"], charge=charge["id"])
    if intent["capture_method"] == "manual":
        intent.update(status="requires_capture", amount_capturable=charge["amount"])
        emit(sim, "charge.succeeded", charge, origin)
        emit(sim, "payment_intent.amount_capturable_updated", intent, origin)
        return None
    charges.mark_captured(charge, charge["amount"])
    intent.update(status="succeeded", amount_received=charge["amount"])
    ledger.record(sim, "captured", intent, charge["amount"], charge=charge["id"])
    emit(sim, "charge.succeeded", charge, origin)
    emit(sim, "payment_intent.succeeded", intent, origin)
    return None


def render(sim: Simulator, intent: JSON, expand: list[str] | None) -> JSON:
    """The intent as the API answers it, with ``latest_charge`` / ``payment_method`` expanded on request."""
    shown = copy.deepcopy(intent)
    for name, kind in (("latest_charge", "charge"), ("payment_method", "payment_method")):
        if name in (expand or []) and shown[name]:
            shown[name] = copy.deepcopy(sim.table(kind)[shown[name]])
    return shown


def _release_authorization(sim: Simulator, intent: JSON, origin: Origin) -> None:
    """Canceling an authorized intent gives the hold back: the charge shows it as refunded."""
    charge = get(sim, "charge", intent["latest_charge"])
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge.update(amount_refunded=charge["amount"], refunded=True)
    ledger.record(sim, "canceled", intent, intent["amount_capturable"], charge=charge["id"])
    emit(sim, "charge.refunded", charge, origin, previous)


def _payment_error(decline: Decline, charge: JSON, pm: JSON) -> JSON:
    return {
        "type": "card_error",
        "code": decline.code,
        "decline_code": decline.decline_code,
        "message": decline.message,
        "doc_url": f"https://docs.stripe.com/error-codes#{decline.code.replace('_', '-')}",
        "charge": charge["id"],
        "payment_method": pm,
    }


def _customer(sim: Simulator, customer_id: str | None) -> str | None:
    if not customer_id:
        return None
    return str(get(sim, "customer", customer_id, param="customer")["id"])


def _choose_types(intent: JSON, params: JSON) -> None:
    """The payment method types of ``allowed_payment_method_types`` or (before endive) ``payment_method_types``.

    Both at once is refused; the older parameter is exact: a type the payment cannot use is an
    error, where the newer one leaves it out (changelog 2026-07-29.dahlia, allowed payment method types).
    """
    if all(name in params for name in _TYPE_CHOICES):
        raise invalid(
            "You cannot pass both `payment_method_types` and `allowed_payment_method_types`.",
            param="allowed_payment_method_types",
        )
    if "payment_method_types" not in params:
        _set_payment_method_types(intent, params.get("allowed_payment_method_types"))
        return
    exact = list(params["payment_method_types"])
    if not exact:
        raise invalid("payment_method_types must not be empty.", param="payment_method_types")
    if "interac_present" in exact and intent["currency"] != "cad":
        raise invalid(
            f"The payment method type `interac_present` cannot be used with currency `{intent['currency']}`: "
            "Interac is only available in cad.",
            param="payment_method_types",
        )
    _set_payment_method_types(intent, exact)
    intent["allowed_payment_method_types"] = None


def _set_payment_method_types(intent: JSON, allowed: list[str] | None) -> None:
    """``allowed_payment_method_types`` as asked; ``payment_method_types`` the ones usable for this intent.

    Interac is only usable in cad; without a list the account's default (card) applies.
    """
    usable = [
        t for t in allowed or DEFAULT_PAYMENT_METHOD_TYPES if t != "interac_present" or intent["currency"] == "cad"
    ]
    if not usable:
        raise invalid(
            "None of the allowed_payment_method_types can be used for this PaymentIntent's currency.",
            param="allowed_payment_method_types",
        )
    intent["allowed_payment_method_types"] = list(allowed) if allowed else None
    intent["payment_method_types"] = usable
    intent["payment_method_options"] = {
        pm_type: {"request_extended_authorization": False, "request_incremental_authorization_support": False}
        if pm_type == "card_present"
        else {}
        for pm_type in usable
    }
