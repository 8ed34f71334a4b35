"""Authorizations waiting for capture: the admin's list with each one's deadline, and capturing or
canceling one (manual capture mode, "keep for capture"). No HTTP in here.

Stripe lets a Terminal authorization wait 2 days; after `capture_before` it can no longer be
captured and the hold goes back to the customer. Capturing or canceling twice is harmless (Stripe
captures once; a second try is refused and the intent read instead), so each press gets a fresh
idempotency key: a refused or failed press is never replayed to the next one.
Both hold the payment's lease (kiosk/payments/leases.py): the reconciler or another server never acts on it meanwhile.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.audit import trail as audit
from kiosk.money.amounts import format_money
from kiosk.payments import store
from kiosk.payments.driver import apply_change
from kiosk.payments.engine import Engine, idempotency_key
from kiosk.payments.leases import leased
from kiosk.payments.refunds.actions import load_payment, subject
from kiosk.payments.refunds.views import card_label, receipts_of
from kiosk.payments.states import CANCELED, CAPTURED, REQUIRES_CAPTURE, from_intent
from kiosk.payments.tables import Payment
from kiosk.stripe_account.errors import PaymentError, RateLimited, StripeUnavailable
from kiosk.stripe_account.objects import IntentInfo

CAPTURE_WINDOW = timedelta(days=2)
# Within this of the deadline the list warns that the money will be lost if not captured.
WARN_WITHIN = timedelta(hours=12)


class CaptureRefused(Exception):
    """Capture or cancel did not happen; the message says why, for the admin."""


@dataclass(frozen=True)
class Uncaptured:
    payment_id: int
    receipt_id: int
    receipt_number: int
    warehouse: str
    amount: int
    currency: str
    card: str
    authorized_at: datetime
    capture_before: datetime
    # The deadline is authorization + 2 days because Stripe's own has not been read yet.
    estimated: bool
    now: datetime

    @property
    def urgency(self) -> str:
        """ok, soon (the deadline is near) or expired."""
        left = self.capture_before - self.now
        return "expired" if left <= timedelta(0) else "soon" if left <= WARN_WITHIN else "ok"

    @property
    def time_left(self) -> str:
        left = self.capture_before - self.now
        if left <= timedelta(0):
            return "deadline passed"
        hours = int(left.total_seconds() // 3600)
        return f"{hours} h {int(left.total_seconds() % 3600 // 60)} min left" if hours < 24 else f"{hours} h left"


async def uncaptured() -> list[Uncaptured]:
    """Every authorization still waiting for capture, the nearest deadline first."""
    payments = await Payment.objects().where(Payment.state == REQUIRES_CAPTURE)
    by_id = await receipts_of(payments)
    now = store.now()
    found = []
    for payment in payments:
        number, warehouse = by_id.get(int(payment.receipt), (0, ""))
        authorized = payment.settled_at or payment.updated_at
        found.append(
            Uncaptured(
                payment_id=payment.id,
                receipt_id=int(payment.receipt),
                receipt_number=number,
                warehouse=warehouse,
                amount=payment.amount,
                currency=payment.currency,
                card=card_label(payment),
                authorized_at=authorized,
                capture_before=payment.capture_before or authorized + CAPTURE_WINDOW,
                estimated=payment.capture_before is None,
                now=now,
            )
        )
    return sorted(found, key=lambda u: u.capture_before)


async def _authorized(payment_id: int) -> Payment:
    payment = await load_payment(payment_id)
    if payment.state != REQUIRES_CAPTURE or not payment.payment_intent_id:
        raise CaptureRefused(f"This payment is {payment.state.replace('_', ' ')}: it is not waiting for capture.")
    return payment


async def _settle(engine: Engine, payment: Payment, intent: IntentInfo, actor_id: int, wanted: str) -> Payment:
    """Record Stripe's answer; the audit entry is written with the change when the admin's action
    took effect (a refused one changed nothing of the admin's doing)."""
    change = from_intent(intent, payment.capture_method)
    action = "payment.capture" if wanted == CAPTURED else "payment.cancel"
    async with store.atomic():
        if change is not None:
            await apply_change(engine, payment, change, step=action)
        done = await load_payment(payment.id)
        if done.state == wanted:
            detail = {"amount": format_money(payment.amount, payment.currency), "payment_intent": intent.id}
            await audit.record(actor_id, action, subject(payment), detail)
    if done.state != wanted:
        verb = "captured" if wanted == CAPTURED else "canceled"
        raise CaptureRefused(f"Stripe reports this payment as {intent.status.replace('_', ' ')}: it was not {verb}.")
    return done


async def _after_refusal(engine: Engine, payment: Payment, exc: PaymentError) -> IntentInfo:
    """Stripe refused: read the intent, which may already be where the admin wanted it."""
    if isinstance(exc, StripeUnavailable | RateLimited):
        raise CaptureRefused(f"Stripe could not be reached ({exc.message}). Nothing changed: try again.") from exc
    assert payment.payment_intent_id
    intent = await engine.gateway.retrieve_intent(payment.payment_intent_id)
    if intent.status == "requires_capture":
        raise CaptureRefused(f"Stripe refused: {exc.message}") from exc
    return intent


async def _act(engine: Engine, payment_id: int, actor_id: int, wanted: str) -> Payment:
    """Capture (`wanted` CAPTURED) or cancel (CANCELED) the authorization at Stripe."""
    payment = await _authorized(payment_id)
    assert payment.payment_intent_id
    verb = "capture" if wanted == CAPTURED else "cancel"
    key = idempotency_key(payment, f"{verb}:admin:{uuid.uuid4().hex[:8]}")
    call = engine.gateway.capture_intent if wanted == CAPTURED else engine.gateway.cancel_intent
    try:
        intent = await call(payment.payment_intent_id, idempotency_key=key)
    except PaymentError as exc:
        intent = await _after_refusal(engine, payment, exc)
    return await _settle(engine, payment, intent, actor_id, wanted)


@leased()
async def capture(engine: Engine, payment_id: int, actor_id: int) -> Payment:
    """Take the authorized money. https://docs.stripe.com/api/payment_intents/capture"""
    return await _act(engine, payment_id, actor_id, CAPTURED)


@leased()
async def cancel(engine: Engine, payment_id: int, actor_id: int) -> Payment:
    """Release the authorization: nothing is charged. https://docs.stripe.com/api/payment_intents/cancel"""
    return await _act(engine, payment_id, actor_id, CANCELED)
