"""Charging a customer's saved card from their page, without the card present.

The cashier types an amount (in the warehouse's currency, read like every typed amount) and what it
is for; the kiosk opens a receipt with that amount as one line, attaches the customer, and takes it
off-session through `payments.saved_cards` (the same payment rows, messages and settlement as a
receipt's "Charge saved card"). Everything is checked before the receipt is opened, so a refused
form changes nothing; the form's one-time key makes a double press find the first receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.audit import trail as audit
from kiosk.customers import attach, cards, directory
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors
from kiosk.money.amounts import MoneyError, format_money, parse_amount
from kiosk.payments.engine import Engine
from kiosk.payments.saved_cards import SavedCardOutcome, charge_saved_card
from kiosk.payments.views import card_refusal
from kiosk.till.receipts import add_line, open_receipt
from kiosk.till.tables import CustomerCharge

DESCRIPTION_MAX = 200


@dataclass(frozen=True)
class ChargeForm:
    card_id: int
    amount: int
    amount_text: str
    reason: str
    request_key: str


@dataclass(frozen=True)
class ChargeDone:
    receipt_id: int
    outcome: SavedCardOutcome | None  # None: the same form came again, the first one's receipt


def parse_form(form: Any, currency: str) -> ChargeForm:
    """The typed fields, each checked (FormErrors names every field refused)."""
    errors: dict[str, str] = {}
    card_text = str(form.get("card_id") or "").strip()
    if not card_text.isdigit():
        errors["saved_card"] = "Choose the saved card to charge."
    amount_text = str(form.get("amount") or "").strip()
    amount = 0
    try:
        amount = parse_amount(amount_text, currency)
        if amount <= 0:
            errors["amount"] = "Type the amount to charge."
        elif refusal := card_refusal(amount, currency):
            errors["amount"] = f"{refusal}: a smaller amount cannot be charged to a card."
    except MoneyError as exc:
        errors["amount"] = str(exc) if amount_text else "Type the amount to charge."
    reason = " ".join(str(form.get("reason") or "").split())
    if not reason:
        errors["reason"] = "Say what the charge is for: it is the receipt's line and the customer sees it."
    elif len(reason) > DESCRIPTION_MAX:
        errors["reason"] = f"At most {DESCRIPTION_MAX} characters."
    request_key = str(form.get("request_key") or "").strip()
    if not request_key or len(request_key) > 64:
        errors["_form"] = "This form is out of date: reload the page and try again."
    if errors:
        raise FormErrors(errors)
    return ChargeForm(int(card_text), amount, amount_text, reason, request_key)


async def charge_customer(
    engine: Engine, warehouse_id: int, currency: str, customer_id: int, form: ChargeForm, user_id: int, today: date
) -> ChargeDone:
    """Open the receipt (the amount as one line, the customer attached) and charge the saved card."""
    customer = await directory.get(customer_id)
    done = await CustomerCharge.select(CustomerCharge.receipt).where(CustomerCharge.request_key == form.request_key)
    if done:
        return ChargeDone(int(done[0]["receipt"]), None)
    card = await cards.card_to_charge(form.card_id, customer_id, today)  # removed or expired: refused here
    async with write_transaction(CustomerCharge._meta.db):
        # Checked again under the write lock: two presses at once open one receipt.
        again = await CustomerCharge.select(CustomerCharge.receipt).where(
            CustomerCharge.request_key == form.request_key
        )
        if again:
            return ChargeDone(int(again[0]["receipt"]), None)
        receipt_id = await open_receipt(warehouse_id, user_id)
        await CustomerCharge.insert(
            CustomerCharge(request_key=form.request_key, receipt=receipt_id, customer=customer_id, created_by=user_id)
        )
        await add_line(receipt_id, warehouse_id, form.reason, "1", form.amount_text)
        await attach.attach(receipt_id, warehouse_id, customer_id, user_id)
        detail = {
            "customer": customer_id,
            "receipt": receipt_id,
            "card": card.label,
            "amount": format_money(form.amount, currency),
            "reason": form.reason,
        }
        await audit.record(user_id, "customer.charge_saved_card", customer.name, detail)
    outcome = await charge_saved_card(engine, receipt_id, card.id, user_id, today)
    return ChargeDone(receipt_id, outcome)
