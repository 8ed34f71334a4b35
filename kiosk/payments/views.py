"""What the cashier sees of card payments: the progress panel and the card part of a receipt.

Read-only and database-only: the progress fragment is polled every second by every open till, so
it must never cost a Stripe call.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.money.amounts import MoneyError, card_minimum, check_card_amount, format_money
from kiosk.payments import brands, poll_cache, sql, store
from kiosk.payments.decline_messages import (
    CHECKING,
    READER_OFFLINE,
    READER_TIMEOUT,
    cashier_message,
    reader_offline_refusal,
    reader_offline_wait,
    reader_silent_refusal,
)
from kiosk.payments.refunds.views import ReceiptRefunds, receipt_refunds
from kiosk.payments.settlement import Balance, balance_from, card_tenders
from kiosk.payments.states import (
    BRAND_NOT_ACCEPTED,
    CANCELED,
    COLLECTED,
    COLLECTING,
    CREATING,
    DECLINED,
    INTENT_CREATED,
    NEEDS_ATTENTION,
    ON_READER,
    REQUIRES_CAPTURE,
    SETTLED,
    is_unresolved,
)
from kiosk.payments.tables import Payment
from kiosk.shop.lookup import ReceiptNotFound
from kiosk.shop.tables import OPEN

# After this long on the reader the cashier is told the payment may not have completed.
SLOW_AFTER_SECONDS = 120.0


@dataclass(frozen=True)
class PaymentView:
    id: int
    receipt_id: int
    state: str
    amount: int
    currency: str
    reader_label: str
    attempt: int
    headline: str
    detail: str
    failure_code: str | None
    decline_code: str | None
    card_brand: str | None
    card_last4: str | None
    capture_before: datetime | None
    # Manual capture: the authorization waits for an admin to capture it (the till is done).
    kept_for_capture: bool
    # Polling stops here: nothing more will happen without the cashier.
    final: bool
    slow: bool
    can_cancel: bool
    can_retry: bool
    can_check: bool
    # The reader is offline: refused at the start (the other readers are offered at once), or
    # gone offline with the payment on it (Cancel cancels at Stripe).
    reader_offline: bool
    # The payment never reached its reader (offline, or silent: it did not answer): the other
    # readers are offered at once.
    offer_others: bool
    # The tip the customer added on the reader, and what Stripe took in all (None: not said yet).
    tip: int = 0
    charged: int | None = None

    @functools.cached_property
    def version(self) -> str:
        """What the running fragment's poll carries in its address (kiosk/payments/poll_cache.py):
        computed once per view, though the route compares it and the fragment then writes it."""
        return poll_cache.version_of(self)


def _headline(payment: Payment, slow: bool) -> tuple[str, str]:
    label = payment.reader_label or "the reader"
    state = payment.state
    if state == CREATING:
        return "Starting the payment…", ""
    if state == INTENT_CREATED:
        return f"Sending to {label}…", ""
    if state == COLLECTED:
        return "Checking the card…", f"{brands.label(payment.card_brand)} read; checking it is accepted here."
    if state == ON_READER and payment.accepted_brands and payment.card_brand:
        # Two steps: the card was read and accepted; confirm_payment_intent is authorizing it.
        if payment.failure_code == READER_OFFLINE:
            return f"{label} is offline", reader_offline_wait(label)
        if payment.failure_code in CHECKING:
            return "Checking with Stripe…", CHECKING[payment.failure_code]
        return "Processing…", f"{brands.label(payment.card_brand)} is being authorized."
    if state in {ON_READER, COLLECTING}:
        if payment.failure_code in CHECKING:
            return "Checking with Stripe…", CHECKING[payment.failure_code]
        if payment.failure_code == READER_OFFLINE:
            return f"{label} is offline", reader_offline_wait(label)
        if payment.intent_status == "processing":
            return "Processing…", "The card is being authorized."
        if slow:
            return "Still waiting…", "This is taking a long time: it may not have completed. Check status."
        return f"Present card on {label}", "Waiting for the customer."
    if state in SETTLED:
        return "Approved", ""
    if state == REQUIRES_CAPTURE and payment.keep_for_capture:
        return "Approved", "Authorized; kept for capture by an admin."
    if state == REQUIRES_CAPTURE:
        return "Approved", "Authorized; capturing the payment…"
    if state == DECLINED and payment.failure_code == BRAND_NOT_ACCEPTED:
        return "Card not accepted", brands.refusal(payment.card_brand)
    if state == DECLINED and payment.failure_code == READER_OFFLINE:
        return "Not charged", reader_offline_refusal(label)
    if state == DECLINED and payment.failure_code == READER_TIMEOUT:
        return "Not charged", reader_silent_refusal(label)
    if state == DECLINED:
        verb = "Not completed" if payment.failure_code != "card_declined" and not payment.decline_code else "Declined"
        return verb, cashier_message(payment.failure_code, payment.decline_code)
    if state == CANCELED:
        return "Canceled", "No money was taken."
    return "Needs attention", payment.attention_reason or "The result is not known yet. Check status."


def payment_view(payment: Payment, slow_after: float = SLOW_AFTER_SECONDS) -> PaymentView:
    sent = payment.sent_at
    kept = bool(payment.keep_for_capture)
    waiting = payment.state in {ON_READER, COLLECTING}
    slow = waiting and sent is not None and (store.now() - sent).total_seconds() > slow_after
    headline, detail = _headline(payment, slow)
    return PaymentView(
        id=payment.id,
        receipt_id=int(payment.receipt),
        state=payment.state,
        amount=payment.amount,
        currency=payment.currency,
        reader_label=payment.reader_label or payment.reader_id or "",
        attempt=payment.attempt,
        headline=headline,
        detail=detail,
        failure_code=payment.failure_code,
        decline_code=payment.decline_code,
        card_brand=payment.card_brand,
        card_last4=payment.card_last4,
        capture_before=payment.capture_before,
        kept_for_capture=payment.keep_for_capture,
        final=payment.state == DECLINED or not is_unresolved(payment.state, kept),
        slow=slow,
        can_cancel=payment.state in {INTENT_CREATED, ON_READER, COLLECTING, COLLECTED, DECLINED, NEEDS_ATTENTION},
        can_retry=payment.state in {DECLINED, NEEDS_ATTENTION},
        can_check=payment.state == NEEDS_ATTENTION or slow,
        reader_offline=payment.failure_code == READER_OFFLINE and payment.state in {ON_READER, COLLECTING, DECLINED},
        offer_others=payment.state == DECLINED and payment.failure_code in {READER_OFFLINE, READER_TIMEOUT},
        tip=payment.tip_amount or 0,
        charged=payment.amount_charged,
    )


async def card_tenders_context(receipt_id: int, money: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """For the receipt page (`partials/card_tenders.html`): the running card payment, the finished
    ones, and whether "+ Card" is offered. `money`: the receipt's currency, total, status and cash
    (`sql.receipt_money`), when the caller has just read them."""
    payments = await sql.of_receipt(receipt_id)
    receipt = money if money is not None else await sql.receipt_money(receipt_id)
    if receipt is None:
        raise ReceiptNotFound(receipt_id)
    owed = balance_from(receipt["currency"], receipt["total"], receipt["cash"], card_tenders(payments))
    # A closed receipt takes no more cards, even when an admin later canceled its authorization.
    return card_tenders_of(payments, owed, receipt["status"], await receipt_refunds(receipt_id, payments))


def card_tenders_of(
    payments: list[Payment], owed: Balance, status: str | None, refunds: ReceiptRefunds
) -> dict[str, Any]:
    """`card_tenders_context` from what its caller has read: the receipt's card payments (oldest
    first), its balance, status and refunds."""
    views = [payment_view(p) for p in payments]
    active = next((v for v in reversed(views) if is_unresolved(v.state, v.kept_for_capture)), None)
    still_open = status == OPEN
    short = card_refusal(owed.tenderable, owed.currency) if owed.tenderable > 0 else ""
    return {
        # The running card payment, else the last one (how it ended stays visible).
        "card_payment": active or (views[-1] if views else None),
        "card_due": owed.tenderable,
        "card_currency": owed.currency,
        "can_add_card": active is None and owed.tenderable > 0 and still_open and not short,
        # Said in the place of "+ Card" when no card can pay what is due ("Card needs at least €0.50").
        "card_refusal": short if active is None and still_open else "",
        "refunds": refunds,
    }


def card_refusal(amount: int, currency: str) -> str:
    """Why no card can pay `amount` (below the currency's card minimum, Stripe's or raised by an
    admin; not a multiple of 10 in a three-decimal currency), or "" when one can."""
    minimum = card_minimum(currency)
    if minimum is not None and 0 < amount < minimum:
        return f"Card needs at least {format_money(minimum, currency)}"
    try:
        check_card_amount(amount, currency)
    except MoneyError as exc:
        return str(exc)
    return ""
