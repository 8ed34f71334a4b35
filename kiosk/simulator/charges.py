"""Charges, the card_present payment methods behind them, and refunds of captured charges."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from kiosk.simulator import ledger
from kiosk.simulator.cards import Card, Decline, receipt
from kiosk.simulator.core import new_id
from kiosk.simulator.currencies import format_amount
from kiosk.simulator.errors import invalid
from kiosk.simulator.objects import Origin, emit, get

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
CAPTURE_WINDOW_SECONDS = 2 * 24 * 3600  # Terminal authorizations must be captured within 2 days
RECEIPT_BASE = "https://pay.stripe.com/receipts/payment/"


def new_payment_method(sim: Simulator, card: Card, pm_type: str) -> JSON:
    pm_id = new_id("pm")
    pm = {
        "id": pm_id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": _empty_billing(),
        "created": sim.now(),
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": pm_type,
        pm_type: {"brand": card.brand, "last4": card.last4, "exp_month": 12, "exp_year": _exp_year(sim)},
    }
    sim.table("payment_method")[pm_id] = pm
    return pm


def new_charge(sim: Simulator, intent: JSON, card: Card, pm: JSON, reader: JSON, decline: Decline | None) -> JSON:
    """The charge of one tap on ``reader``: authorized (not yet captured) or failed with ``decline``."""
    charge_id = new_id("ch")
    created = sim.now()
    manual = intent["capture_method"] == "manual"
    details = {
        "amount_authorized": None if decline else intent["amount"],
        "brand": card.brand,
        "brand_product": None,
        "capture_before": created + CAPTURE_WINDOW_SECONDS if manual and not decline else None,
        "cardholder_name": None,
        "country": "US",
        "description": None,
        "emv_auth_data": secrets.token_hex(16).upper(),
        "exp_month": 12,
        "exp_year": _exp_year(sim),
        "fingerprint": secrets.token_hex(8),
        "funding": card.funding,
        "generated_card": None,
        "iin": None,
        "incremental_authorization_supported": False,
        "issuer": None,
        "last4": card.last4,
        "location": reader.get("location"),
        "network": card.brand,
        "network_transaction_id": None if decline else secrets.token_hex(8),
        "offline": None,
        "overcapture_supported": False,
        "preferred_locales": ["en"],
        "read_method": "contactless_emv",
        "reader": reader["id"],
        "receipt": receipt(card, approved=decline is None),
        "wallet": None,
    }
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": _empty_billing(),
        "calculated_statement_descriptor": intent.get("statement_descriptor") or "KIOSK SIMULATOR",
        "captured": False,
        "created": created,
        "currency": intent["currency"],
        "customer": intent.get("customer"),
        "description": intent.get("description"),
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent.get("metadata") or {}),
        "on_behalf_of": None,
        "outcome": _outcome(decline),
        "paid": decline is None,
        "payment_intent": intent["id"],
        "payment_method": pm["id"],
        "payment_method_details": {"type": pm["type"], pm["type"]: details},
        "receipt_email": intent.get("receipt_email"),
        "receipt_number": None,
        "receipt_url": RECEIPT_BASE + secrets.token_urlsafe(24),
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": intent.get("statement_descriptor"),
        "statement_descriptor_suffix": intent.get("statement_descriptor_suffix"),
        "status": "failed" if decline else "succeeded",
        "transfer_data": None,
        "transfer_group": intent.get("transfer_group"),
    }
    sim.table("charge")[charge_id] = charge
    return charge


def mark_captured(charge: JSON, amount: int) -> None:
    """Capture ``amount``; an uncaptured remainder is released and shows as refunded, as on Stripe."""
    charge["captured"] = True
    charge["amount_captured"] = amount
    charge["amount_refunded"] = charge["amount"] - amount
    charge["balance_transaction"] = new_id("txn")


def refundable_charge(sim: Simulator, payment_intent: str | None, charge_id: str | None) -> JSON:
    """The charge a refund of ``payment_intent`` or ``charge`` applies to, refused when nothing can be refunded."""
    if not payment_intent and not charge_id:
        raise invalid("One of the following params should be provided for this request: payment_intent or charge.")
    if charge_id:
        charge = get(sim, "charge", charge_id, param="charge")
        if payment_intent and charge["payment_intent"] != payment_intent:
            raise invalid(f"Charge {charge_id} does not belong to PaymentIntent {payment_intent}.", param="charge")
    else:
        intent = get(sim, "payment_intent", str(payment_intent), param="payment_intent")
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise invalid(
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        charge = get(sim, "charge", intent["latest_charge"])
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise invalid(
            f"Charge {charge['id']} has not been captured; cancel its PaymentIntent to release the authorization.",
            code="charge_not_refundable",
        )
    return charge


def check_refund_amount(charge: JSON, amount: int | None) -> int:
    """The amount a refund will move: all that is left by default, never more than is left."""
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    if amount is None:
        return int(remaining)
    if amount < 1:
        raise invalid("Refund amount must be a positive integer.", code="parameter_invalid_integer", param="amount")
    if amount > remaining:
        raise invalid(
            f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than unrefunded amount "
            f"on charge ({format_amount(remaining, charge['currency'])})",
            code="amount_too_large",
            param="amount",
        )
    return amount


def create_refund(sim: Simulator, charge: JSON, amount: int | None, extra: JSON, origin: Origin) -> JSON:
    """Refund ``amount`` of a captured charge (``extra``: reason, metadata).

    Emits refund.created and charge.refunded.
    """
    amount = check_refund_amount(charge, amount)
    refund_id = new_id("re")
    refund = {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": charge["id"],
        "created": sim.now(),
        "currency": charge["currency"],
        "customer": None,
        "customer_account": None,
        "destination_details": {"card": {"type": "refund"}, "type": charge["payment_method_details"]["type"]},
        "metadata": dict(extra.get("metadata") or {}),
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": extra.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    sim.table("refund")[refund_id] = refund
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    intent = sim.table("payment_intent").get(charge["payment_intent"])
    if intent is not None:
        ledger.record(sim, "refunded", intent, amount, charge=charge["id"], refund=refund_id)
    emit(sim, "refund.created", refund, origin)
    emit(sim, "charge.refunded", charge, origin, previous)
    return refund


def _outcome(decline: Decline | None) -> JSON:
    outcome = {"advice_code": None, "network_advice_code": None, "network_decline_code": None, "risk_level": "normal"}
    if decline is None:
        return outcome | {
            "network_status": "approved_by_network",
            "reason": None,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return outcome | {
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def _empty_billing() -> JSON:
    address = dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))
    return {"address": address, "email": None, "name": None, "phone": None, "tax_id": None}


def _exp_year(sim: Simulator) -> int:
    return time.gmtime(sim.clock()).tm_year + 3
