"""Charging a customer's saved card without the card present, and the receipt's customer cards.

An off-session charge is a card tender like any other: one `Payment` row (no reader) written
before Stripe is called, one PaymentIntent created and confirmed at once with a key derived from
the row, and the receipt closed by the same move to `succeeded` (payments/settlement.py). A
decline, or a bank asking for the customer (`authentication_required`), ends the payment canceled
with the reader's plain-language message: nothing was charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.customers import attach, cards
from kiosk.customers.cards import SavedCardView
from kiosk.forms import FormErrors
from kiosk.payments import store, wakeup
from kiosk.payments.actions import unresolved_payment
from kiosk.payments.decline_messages import cashier_message
from kiosk.payments.driver import drive
from kiosk.payments.engine import Engine
from kiosk.payments.states import CANCELED, SETTLED
from kiosk.payments.tables import Payment
from kiosk.payments.views import card_tenders_context
from kiosk.shop.lookup import lock_receipt

DETACHED = "payment_method_unexpected_state"
REMOVED_AT_STRIPE = "This card was removed at Stripe, so it was not charged; it is no longer offered here."
RUNNING = "A card payment is already running for this receipt: finish or cancel it first."


@dataclass(frozen=True)
class SavedCardOutcome:
    payment: Payment
    approved: bool
    message: str


async def charge_saved_card(
    engine: Engine, receipt_id: int, card_id: int, user_id: int, today: date
) -> SavedCardOutcome:
    """Take what the receipt still owes on the receipt's customer's saved card."""
    current = await attach.of_receipt(receipt_id)
    if current is None:
        raise FormErrors({"saved_card": "Attach the customer first."})
    card = await cards.card_to_charge(card_id, current.customer.id, today)
    stripe_customer = await attach.stripe_customer_of(current.customer.id)
    context = await card_tenders_context(receipt_id)
    if not context["can_add_card"]:
        raise FormErrors({"saved_card": context["card_refusal"] or RUNNING})
    payment_id = await _record(
        engine, receipt_id, card, context, stripe_customer or "", current.customer.email, user_id
    )
    payment = await drive(engine, payment_id)
    if payment.state in SETTLED:
        return SavedCardOutcome(payment, True, f"{card.label} was charged.")
    if payment.state == CANCELED and payment.failure_code == DETACHED:
        # Removed at Stripe meanwhile (its Dashboard, another system): it is forgotten here too.
        await cards.forget_detached(card.id, payment.created_by or user_id)
        return SavedCardOutcome(payment, False, REMOVED_AT_STRIPE)
    if payment.state == CANCELED:
        return SavedCardOutcome(payment, False, cashier_message(payment.failure_code, payment.decline_code))
    return SavedCardOutcome(payment, False, payment.attention_reason or "Stripe has not answered yet: check status.")


async def _record(
    engine: Engine,
    receipt_id: int,
    card: SavedCardView,
    context: dict[str, Any],
    stripe_customer: str,
    email: str,
    user_id: int,
) -> int:
    async with store.atomic():
        await lock_receipt(receipt_id)  # a double press waits here, then finds the first payment
        if await unresolved_payment(receipt_id) is not None:
            raise FormErrors({"saved_card": RUNNING})
        payment = Payment(
            receipt=receipt_id,
            amount=context["card_due"],
            currency=context["card_currency"],
            capture_method="automatic",  # no card to keep an authorization for: taken at once
            customer_cancellation=False,
            reader_id=None,
            reader_label=card.label,
            attempt=1,
            created_by=user_id,
            sent_at=store.now(),
            reconcile_after=store.later(engine.timing.in_flight),
            receipt_email=email,
            stripe_customer=stripe_customer,
            saved_card=card.payment_method_id,
        )
        wakeup.due_at(payment.reconcile_after)
        rows = await Payment.insert(payment).returning(Payment.id)
        payment_id = int(rows[0]["id"])
        await store.log(payment_id, "created", f"{payment.amount} {payment.currency} on saved card {card.label}")
    return payment_id


async def customer_cards_context(receipt_id: int, today: date) -> dict[str, Any]:
    """For the receipt page (`partials/saved_cards.html`): the customer's cards that may pay what
    is due, and who Stripe sent (or will send) its receipts to."""
    current = await attach.of_receipt(receipt_id)
    context = await card_tenders_context(receipt_id)
    emails = await Payment.select(Payment.receipt_email).where(
        (Payment.receipt == receipt_id) & Payment.state.is_in(list(SETTLED)) & (Payment.receipt_email != "")
    )
    return await customer_cards_of(receipt_id, today, current, context, [row["receipt_email"] for row in emails])


def receipt_sent_to(payments: list[Payment]) -> list[str]:
    """The emails Stripe sent (or will send) the receipt's card receipts to, from its card payments."""
    return [p.receipt_email for p in payments if p.state in SETTLED and p.receipt_email]


async def customer_cards_of(
    receipt_id: int,
    today: date,
    current: attach.ReceiptCustomerView | None,
    card_context: dict[str, Any],
    sent_to: list[str],
) -> dict[str, Any]:
    """`customer_cards_context` from what its caller has read: the receipt's customer, its card
    section (`card_tenders_of`) and the emails its card receipts were sent to (`receipt_sent_to`)."""
    # The customer's cards are read only when one may be charged now.
    offered = await cards.chargeable(current.customer.id, today) if current and card_context["can_add_card"] else []
    return {
        "receipt_id": receipt_id,
        "saved_card_error": "",
        "saved_cards": offered,
        "saved_card_due": card_context["card_due"],
        "saved_card_currency": card_context["card_currency"],
        "receipt_sent_to": sorted(set(sent_to)),
    }
