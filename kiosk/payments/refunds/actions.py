"""Refunds of captured card payments, in full or in part, by an admin (no HTTP in here).

A refund is asked before it is made: `review_refund` checks the form and says exactly what would
happen ("Refund $12.50 to Visa •••• 4242?"), saving nothing; `request_refund` makes the refund the
admin confirmed, for the exact amount shown. An empty amount is never "everything": the whole of
what is left is refunded only when chosen as such (`everything`), and confirmed with its amount.

The Refund row (state `creating`) and its audit entry are written before Stripe is called; the
call carries an idempotency key derived from the payment and the refund's sequence number, so
sending it again after a lost answer never refunds twice. An uncaptured authorization is not
refunded but canceled (kiosk.payments.captures): Stripe has no refund for money it never took.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.audit import trail as audit
from kiosk.db.engine import is_postgres
from kiosk.forms import FormErrors
from kiosk.money.amounts import MoneyError, format_money, parse_amount
from kiosk.payments import store
from kiosk.payments.engine import Engine, idempotency_key
from kiosk.payments.faults import kill_point
from kiosk.payments.refunds.events import CREATING, LIVE, record_refund
from kiosk.payments.settlement import card_took
from kiosk.payments.states import SETTLED
from kiosk.payments.tables import Payment, Refund
from kiosk.stripe_account.errors import PaymentError, RateLimited, StripeUnavailable

# Stripe's refund reasons, as the admin picks them.
REASONS = {
    "requested_by_customer": "Requested by the customer",
    "duplicate": "Duplicate payment",
    "fraudulent": "Fraudulent payment",
}
MAX_NOTE = 200
IN_PERSON_ONLY = (
    "Interac is refunded only with the card present: take it back as a return at the till, where the "
    "customer taps the card on a reader."
)
UNREACHABLE = "Stripe could not be reached, so the refund is not confirmed. Check with Stripe to send it again."


@dataclass(frozen=True)
class RefundForm:
    """What the admin typed (an amount, or "refund all that is left"), or confirmed (`minor`)."""

    amount: str = ""
    reason: str = "requested_by_customer"
    note: str = ""
    # The form's one-time token: a second submit of the same form finds the first refund.
    request_key: str = ""
    # "Refund all": the whole of what is left, whatever is typed in `amount`.
    everything: bool = False
    # The amount the admin confirmed, in minor units (the confirmation carries it, not the typed figure).
    minor: int | None = None


@dataclass(frozen=True)
class RefundReview:
    """What a refund would do, for the admin to confirm: nothing is saved yet."""

    payment: Payment
    amount: int
    reason: str
    note: str
    # The amount is all that is left of the payment.
    everything: bool
    card: str

    @property
    def reason_label(self) -> str:
        return REASONS[self.reason]

    @property
    def question(self) -> str:
        return f"Refund {format_money(self.amount, self.payment.currency)} to {self.card}?"


def in_person_only(payment: Payment) -> bool:
    """Stripe refunds Interac only on a reader, with the card (kiosk.payments.refunds.on_reader)."""
    return (payment.card_brand or "").lower() == "interac"


def card_label(payment: Payment) -> str:
    """A card as people read it: "Visa •••• 4242"."""
    brand = (payment.card_brand or "card").title()
    return f"{brand} •••• {payment.card_last4}" if payment.card_last4 else brand


async def load_payment(payment_id: int) -> Payment:
    payment = await store.load(payment_id)
    if payment is None:
        raise LookupError(f"payment {payment_id} does not exist")
    return payment


async def refunded(payment: Payment) -> int:
    """Money given back or on its way back (Stripe's own total when it knows of more)."""
    rows = await Refund.select(Refund.amount).where((Refund.payment == payment.id) & Refund.state.is_in(list(LIVE)))
    return max(sum(int(row["amount"]) for row in rows), payment.amount_refunded or 0)


async def refundable(payment: Payment) -> int:
    if payment.state not in SETTLED or not payment.payment_intent_id:
        return 0
    # What Stripe took, tip included (amount_received), once the kiosk knows it.
    taken = card_took(payment.amount, payment.amount_charged)
    return max(taken - await refunded(payment), 0)


def _checked(payment: Payment, form: RefundForm, left: int) -> tuple[int, str, str]:
    """Amount, reason and note, or FormErrors by field (nothing is saved)."""
    if left <= 0:  # said for the whole form: no amount field is offered any more
        raise FormErrors({"_form": "Nothing is left to refund on this payment."})
    errors: dict[str, str] = {}
    amount = left
    if form.minor is not None:
        amount = form.minor
    elif form.everything:
        amount = left
    elif form.amount.strip():
        try:
            amount = parse_amount(form.amount, payment.currency)
        except MoneyError as exc:
            errors["amount"] = str(exc)
    else:
        everything = format_money(left, payment.currency)
        errors["amount"] = f"Enter the amount to refund (up to {everything}), or choose “Refund all {everything}”."
    if "amount" not in errors and amount <= 0:
        errors["amount"] = "The amount must be more than zero."
    elif "amount" not in errors and amount > left:
        errors["amount"] = f"At most {format_money(left, payment.currency)} can still be refunded."
    if form.reason not in REASONS:
        errors["reason"] = "Choose a reason from the list."
    note = " ".join(form.note.split())
    if len(note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    if errors:
        raise FormErrors(errors)
    return amount, form.reason, note


async def _lock(payment_id: int) -> None:
    """One refund at a time per payment: a row lock on PostgreSQL (SQLite's write transaction
    already admits one writer)."""
    if is_postgres(Payment._meta.db):
        await Payment.select(Payment.id).where(Payment.id == payment_id).lock_rows()


def subject(payment: Payment) -> str:
    return f"payment {payment.id} ({format_money(payment.amount, payment.currency)}, receipt id {payment.receipt})"


async def review_refund(payment_id: int, form: RefundForm) -> RefundReview:
    """Check the form and say what the refund would do; FormErrors by field when it cannot be made."""
    payment = await load_payment(payment_id)
    if payment.state not in SETTLED or not payment.payment_intent_id:
        raise FormErrors({"_form": "Only a captured card payment can be refunded."})
    if in_person_only(payment):
        raise FormErrors({"_form": IN_PERSON_ONLY})
    left = await refundable(payment)
    amount, reason, note = _checked(payment, form, left)
    return RefundReview(payment, amount, reason, note, amount == left, card_label(payment))


async def request_refund(engine: Engine, payment_id: int, form: RefundForm, actor_id: int) -> Refund:
    """Record the refund (with its audit entry), then ask Stripe for it."""
    async with store.atomic():
        await _lock(payment_id)
        if form.request_key and (done := await Refund.objects().get(Refund.request_key == form.request_key)):
            return done  # the same form sent twice (a double click)
        payment = await load_payment(payment_id)
        if payment.state not in SETTLED or not payment.payment_intent_id:
            raise FormErrors({"_form": "Only a captured card payment can be refunded."})
        if in_person_only(payment):
            raise FormErrors({"_form": IN_PERSON_ONLY})
        amount, reason, note = _checked(payment, form, await refundable(payment))
        refund_id, sequence = await _insert_refund(payment, amount, reason, note, form.request_key or None, actor_id)
        detail = {"amount": format_money(amount, payment.currency), "reason": REASONS[reason], "note": note}
        await audit.record(actor_id, "payment.refund", subject(payment), {**detail, "refund": sequence})
    return await send_refund(engine, refund_id)


async def _insert_refund(
    payment: Payment, amount: int, reason: str, note: str, request_key: str | None, actor_id: int
) -> tuple[int, int]:
    """The Refund row (state `creating`), numbered next for its payment; returns (id, sequence)."""
    last = (
        await Refund.select(Refund.sequence)
        .where(Refund.payment == payment.id)
        .order_by(Refund.sequence, ascending=False)
        .first()
    )
    sequence = int(last["sequence"] or 0) + 1 if last else 1
    refund = Refund(
        payment=payment.id,
        sequence=sequence,
        amount=amount,
        currency=payment.currency,
        reason=reason,
        note=note,
        request_key=request_key,
        created_by=actor_id,
    )
    rows = await Refund.insert(refund).returning(Refund.id)
    return int(rows[0]["id"]), sequence


async def add_refund(payment_id: int, amount: int, note: str, actor_id: int, *, in_person: bool = False) -> int:
    """A refund another room's action decided (a return at the till), inside the caller's write
    transaction, which holds the receipt: the row is written (state `creating`) and counts at once
    against what is left, and `send_refund` sends it after the commit (or, `in_person`, the cashier
    sends it to a reader: kiosk.payments.refunds.on_reader). Returns the refund's id.
    Refuses (ValueError) more than is left to refund on the payment."""
    await _lock(payment_id)
    payment = await load_payment(payment_id)
    if amount <= 0 or amount > await refundable(payment):
        raise ValueError(f"payment {payment_id}: {amount} is more than is left to refund")
    refund_id, _ = await _insert_refund(payment, amount, "requested_by_customer", note, None, actor_id)
    if in_person:
        await Refund.update({Refund.in_person: True}).where(Refund.id == refund_id)
    return refund_id


async def _load_refund(refund_id: int) -> Refund:
    refund: Refund | None = await Refund.objects().get(Refund.id == refund_id)
    if refund is None:
        raise LookupError(f"refund {refund_id} does not exist")
    return refund


async def _note(refund_id: int, fields: dict[str, object]) -> None:
    values = {getattr(Refund, name): value for name, value in {**fields, "updated_at": store.now()}.items()}
    await Refund.update(values).where((Refund.id == refund_id) & (Refund.state == CREATING))


async def send_refund(engine: Engine, refund_id: int) -> Refund:
    """https://docs.stripe.com/api/refunds/create, once per refund whatever happens (same key)."""
    refund = await _load_refund(refund_id)
    payment = await load_payment(int(refund.payment))
    if refund.state != CREATING or refund.sequence is None or not payment.payment_intent_id or refund.in_person:
        return refund  # (an in-person refund goes to a reader: kiosk.payments.refunds.on_reader)
    metadata = {"kiosk_refund": str(refund.id), "kiosk_payment": str(payment.id), "receipt": str(payment.receipt)}
    kill_point("before_refund")
    try:
        info = await engine.gateway.create_refund(
            payment.payment_intent_id,
            amount=refund.amount,
            reason=refund.reason,
            metadata=metadata,
            idempotency_key=idempotency_key(payment, f"refund:{refund.sequence}"),
        )
    except (StripeUnavailable, RateLimited):
        await _note(refund.id, {"failure_message": UNREACHABLE})
    except PaymentError as exc:
        await _note(refund.id, {"state": "failed", "failure_message": f"Stripe refused the refund: {exc.message}"})
    else:
        kill_point("after_refund")
        async with store.atomic():
            await record_refund(payment, info)
    return await _load_refund(refund_id)


async def check_with_stripe(engine: Engine, payment_id: int) -> None:
    """Read every refund of the payment from Stripe (states, refunds made elsewhere), then send
    again the kiosk's refunds Stripe does not know: their request never got through."""
    payment = await load_payment(payment_id)
    if not payment.payment_intent_id:
        return
    known = await engine.gateway.list_refunds(payment.payment_intent_id)
    async with store.atomic():
        for info in known:
            await record_refund(payment, info)
    unsent = await Refund.select(Refund.id).where(
        (Refund.payment == payment_id) & (Refund.state == CREATING) & (Refund.in_person == False)  # noqa: E712
    )
    for row in unsent:
        await send_refund(engine, int(row["id"]))
