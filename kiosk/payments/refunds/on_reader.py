"""In-person refunds on a reader (no HTTP in here): Interac, which Stripe refunds only when the
customer taps the card that paid (`refund_payment`), never through refunds.create.

The Refund row is written first, like any refund (state `creating`, counting against what is left),
with `in_person` set; nothing is sent until the cashier picks a reader. Then, like a payment:
- `start`: in one transaction the reader is leased to this refund (no payment or other refund can
  start on it) and the row moves to `sending` with a new attempt; then the action goes to the reader
  with a key derived from the payment, the refund and the attempt, and metadata naming the refund
  and the attempt (the action and the refund it makes carry them back);
- the customer taps: `terminal.reader.action_succeeded` (`apply_action`) and `refund.created` /
  `charge.refunded` (kiosk.payments.refunds.events) settle the row; a failed action (customer
  canceled, another card, declined) makes it `failed`, with its reason, and frees the reader;
- `cancel`: the cashier takes the action off the reader;
- `check`: what the reconciler and "Check with Stripe" do when news is late or lost: the refunds
  Stripe made for the intent first (one carrying our refund's id settles it), then the reader.
"Try again" is `start` again on the same row: a new attempt, a new key. An attempt is only ever
followed by another once Stripe shows the first one ended without a refund, so the card is
refunded once; Stripe itself refuses to refund more than the charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.money.amounts import format_money
from kiosk.payments import store, wakeup
from kiosk.payments.engine import Engine, idempotency_key
from kiosk.payments.faults import kill_point
from kiosk.payments.leases import leased
from kiosk.payments.refunds.actions import card_label, load_payment
from kiosk.payments.refunds.events import CREATING, record_refund
from kiosk.payments.tables import Payment, Refund
from kiosk.stripe_account.errors import (
    PaymentError,
    PaymentNotAllowed,
    RateLimited,
    ReaderBusy,
    ReaderTimeout,
    StripeUnavailable,
)
from kiosk.stripe_account.objects import REFUND_ACTION, ReaderAction, ReaderInfo, RefundInfo

SENDING, ON_READER, FAILED = "sending", "on_reader", "failed"
WAITING = (SENDING, ON_READER)
# Failure codes of the kiosk's own (the reader's come from Stripe).
CANCELED_AT_TILL = "canceled_at_till"
LOST = "action_lost"
# The reader refused a card that is not the one that paid. Stripe's code for it is not documented
# (FACTS.md [?]): this is the embedded Stripe's, any other code says the reader's own message.
CARD_MISMATCH = "card_mismatch"
NOTHING = "nothing was refunded."
REASONS = {
    "terminal_reader_offline": "{reader} is offline: "
    + NOTHING
    + " Check its power and network, or choose another reader.",
    "terminal_reader_busy": "{reader} is busy: " + NOTHING + " Wait for it, or choose another reader.",
    "kiosk_reader_leased": "{reader} is taking a payment for another till: " + NOTHING + " Choose another reader.",
    "terminal_reader_timeout": "{reader} did not answer: " + NOTHING + " Try again.",
    "customer_canceled": "The customer canceled on the reader: " + NOTHING,
    CARD_MISMATCH: "The card tapped is not the Interac card that paid: "
    + NOTHING
    + " Ask for the card used for the payment.",
    "card_declined": "The card was declined for the refund: " + NOTHING,
    CANCELED_AT_TILL: "Canceled at the till: " + NOTHING,
    LOST: "{reader} no longer shows the refund: " + NOTHING + " Try again.",
}
GIVEN_UP = "Given up at the till: nothing went back to the card; it can be returned again when the customer has it."


class RefundNotOnReader(PaymentNotAllowed):
    """The refund is not in a state where this can be done (already refunded, or on a reader)."""


def reason_for(code: str | None, message: str | None, reader: str) -> str:
    """A failure said plainly, for the cashier."""
    known = REASONS.get(code or "")
    if known:
        return known.format(reader=reader or "The reader")
    detail = f" ({message.rstrip('.')})" if message else ""
    return f"The reader refused the refund{detail}: {NOTHING}"


@dataclass(frozen=True)
class ReaderRefundView:
    """An in-person refund as the return page shows it."""

    id: int
    payment_id: int
    amount: int
    currency: str
    card: str
    state: str  # the refund's: creating, succeeded, failed, ...
    step: str  # "", sending, on_reader, failed
    reader_label: str
    failure_code: str | None
    failure_message: str | None

    @property
    def phase(self) -> str:
        """pick (choose a reader, first time or again), waiting, refunded, or ended (no refund)."""
        if self.state in ("succeeded", "pending", "requires_action"):
            return "refunded"
        if self.state != CREATING:
            return "ended"
        return "waiting" if self.step in WAITING else "pick"

    @property
    def amount_text(self) -> str:
        return format_money(self.amount, self.currency)


async def view(refund_id: int) -> ReaderRefundView:
    refund = await _load(refund_id)
    payment = await load_payment(int(refund.payment))
    return ReaderRefundView(
        refund.id,
        payment.id,
        refund.amount,
        refund.currency,
        card_label(payment),
        refund.state,
        refund.reader_step,
        refund.reader_label,
        refund.failure_code,
        refund.failure_message,
    )


async def _load(refund_id: int) -> Refund:
    refund: Refund | None = await Refund.objects().get(Refund.id == refund_id)
    if refund is None or not refund.in_person:
        raise LookupError(f"no in-person refund {refund_id}")
    return refund


def _key(payment: Payment, refund: Refund, step: str) -> str:
    return idempotency_key(payment, f"reader_refund:{refund.sequence}:{refund.attempt}:{step}")


def _metadata(payment: Payment, refund: Refund) -> dict[str, str]:
    return {
        "kiosk_refund": str(refund.id),
        "kiosk_attempt": str(refund.attempt),
        "kiosk_payment": str(payment.id),
        "receipt": str(payment.receipt),
    }


async def _note(refund_id: int, fields: dict[str, Any], *, only_steps: tuple[str, ...] | None = None) -> bool:
    """Write columns of a refund still `creating` (and in `only_steps`); False when nothing matched."""
    where: Any = (Refund.id == refund_id) & (Refund.state == CREATING)
    if only_steps is not None:
        where = where & Refund.reader_step.is_in(list(only_steps))
    values = {getattr(Refund, name): value for name, value in {**fields, "updated_at": store.now()}.items()}
    if "reconcile_after" in fields:
        wakeup.due_at(fields["reconcile_after"])
    return bool(await Refund.update(values).where(where).returning(Refund.id))


async def _fail(refund: Refund, code: str | None, message: str | None, *, attempt: int | None = None) -> None:
    """The attempt ended without a refund: say why, free the reader (the cashier may try again)."""
    async with store.atomic():
        where: Any = (Refund.id == refund.id) & (Refund.state == CREATING) & Refund.reader_step.is_in(list(WAITING))
        if attempt is not None:
            where = where & (Refund.attempt == attempt)
        fields: dict[Any, Any] = {
            Refund.reader_step: FAILED,
            Refund.failure_code: code,
            Refund.failure_message: reason_for(code, message, refund.reader_label),
            Refund.reconcile_after: None,
            Refund.updated_at: store.now(),
        }
        if await Refund.update(fields).where(where).returning(Refund.id):
            await store.release_refund_lease(refund.id)
            await store.log(int(refund.payment), "reader_refund_failed", f"refund {refund.id}: {code} {message or ''}")


async def _settled(refund_id: int) -> None:
    """Stripe made the refund: the reader is free, nothing is left to check."""
    await Refund.update({Refund.reconcile_after: None}).where(Refund.id == refund_id)
    await store.release_refund_lease(refund_id)


@leased()
async def start(engine: Engine, payment_id: int, refund_id: int, reader: ReaderInfo, holder: str) -> None:
    """Send the refund to `reader` (first time or "Try again"): the customer then taps their card."""
    async with store.atomic():
        refund = await _load(refund_id)
        if int(refund.payment) != payment_id or refund.state != CREATING or refund.reader_step in WAITING:
            raise RefundNotOnReader("This refund is already on a reader or done: see its state on the return.")
        await store.acquire_lease(reader.id, payment_id, holder, engine.timing.lease_seconds, refund_id=refund_id)
        fields = {
            "reader_step": SENDING,
            "reader_id": reader.id,
            "reader_label": reader.label,
            "attempt": refund.attempt + 1,
            "failure_code": None,
            "failure_message": None,
            "sent_at": store.now(),
            "reconcile_after": store.later(engine.timing.webhook_grace),
        }
        await _note(refund_id, fields)
        await store.log(
            payment_id, "reader_refund", f"refund {refund_id} to {reader.label}, attempt {refund.attempt + 1}"
        )
    kill_point("before_reader_refund")
    await _send(engine, await _load(refund_id))


async def _send(engine: Engine, refund: Refund) -> None:
    payment = await load_payment(int(refund.payment))
    assert payment.payment_intent_id and refund.reader_id
    try:
        await engine.gateway.refund_on_reader(
            refund.reader_id,
            payment.payment_intent_id,
            amount=refund.amount,
            metadata=_metadata(payment, refund),
            idempotency_key=_key(payment, refund, "send"),
        )
    except ReaderTimeout:
        # Maybe a false negative: the reader may have taken it. Ask the reader before saying no.
        await check_now(engine, payment, refund)
        return
    except (StripeUnavailable, RateLimited):
        # The answer was lost: the reconciler reads the reader and Stripe's refunds (same key on resend).
        await _note(refund.id, {"reconcile_after": store.later(engine.timing.check_interval)})
        return
    except PaymentError as exc:
        await _fail(refund, exc.code or "refused", exc.message, attempt=refund.attempt)
        return
    kill_point("after_reader_refund")
    await _note(refund.id, {"reader_step": ON_READER}, only_steps=(SENDING,))


@leased()
async def cancel(engine: Engine, payment_id: int, refund_id: int) -> None:
    """The cashier takes the refund off the reader; refused (ReaderBusy) while it is processing."""
    refund = await _load(refund_id)
    if int(refund.payment) != payment_id or refund.state != CREATING or refund.reader_step not in WAITING:
        return
    payment = await load_payment(payment_id)
    assert refund.reader_id
    try:
        await engine.gateway.cancel_action(refund.reader_id, idempotency_key=_key(payment, refund, "cancel"))
    except ReaderBusy as exc:
        raise ReaderBusy("The reader is processing the refund now: wait for its answer.", exc.code) from exc
    # The customer may have tapped just before: what the reader and Stripe say wins over the cancel.
    await _from_stripe(engine, payment, refund)
    await _fail(await _load(refund_id), CANCELED_AT_TILL, None, attempt=refund.attempt)


async def give_up(payment_id: int, refund_id: int, actor_id: int) -> None:
    """No reader refund after all (the customer has not got the card): the refund is canceled and
    its money can be returned another way. Only when it is not on a reader."""
    async with store.atomic():
        refund = await _load(refund_id)
        if int(refund.payment) != payment_id or refund.state != CREATING or refund.reader_step in WAITING:
            raise RefundNotOnReader("This refund is on a reader or done: it cannot be given up now.")
        fields: dict[Any, Any] = {
            Refund.state: "canceled",
            Refund.failure_message: GIVEN_UP,
            Refund.updated_at: store.now(),
        }
        await Refund.update(fields).where(Refund.id == refund_id)
        await store.log(payment_id, "reader_refund_given_up", f"refund {refund_id} by user {actor_id}")


def _is_attempt(action: ReaderAction, refund: Refund) -> bool:
    """The action is this attempt of this refund (by the metadata the kiosk gave it)."""
    return action.metadata.get("kiosk_refund") == str(refund.id) and action.metadata.get("kiosk_attempt") == str(
        refund.attempt
    )


async def apply_action(payment: Payment, reader: ReaderInfo, action: ReaderAction) -> str:
    """A reader's refund_payment action reported by a webhook (inside the event's transaction)."""
    ours = action.metadata.get("kiosk_refund", "")
    refund: Refund | None = (
        await Refund.objects().get((Refund.id == int(ours)) & (Refund.payment == payment.id))
        if ours.isdigit()
        else None
    )
    if refund is None or not refund.in_person:
        return "refund on a reader that is not the kiosk's"
    if action.metadata.get("kiosk_attempt") != str(refund.attempt) or reader.id != refund.reader_id:
        return "an earlier attempt of the refund"
    if action.status == "succeeded" and action.refund_id:
        info = RefundInfo(
            action.refund_id,
            refund.amount,
            refund.currency,
            "succeeded",
            None,
            payment.payment_intent_id,
            kiosk_refund=refund.id,
        )
        outcome = await record_refund(payment, info)
        await _settled(refund.id)
        return f"on the reader: {outcome}"
    if action.status == "failed":
        await _fail(refund, action.failure_code, action.failure_message, attempt=refund.attempt)
        return f"refund on the reader failed: {action.failure_code}"
    await _note(refund.id, {"reader_step": ON_READER}, only_steps=(SENDING,))
    return "refund on the reader in progress"


@leased(wait=1.0)
async def check(engine: Engine, payment_id: int, refund_id: int) -> None:
    """Bring one in-person refund up to date with Stripe (late or lost news)."""
    refund = await _load(refund_id)
    if int(refund.payment) != payment_id:
        return
    await check_now(engine, await load_payment(payment_id), refund)


async def check_now(engine: Engine, payment: Payment, refund: Refund) -> None:
    if refund.state != CREATING or refund.reader_step not in WAITING or not refund.reader_id:
        await Refund.update({Refund.reconcile_after: None}).where(Refund.id == refund.id)
        return
    reader = await engine.gateway.retrieve_reader(refund.reader_id)
    await _from_stripe(engine, payment, refund)
    fresh = await _load(refund.id)
    if fresh.state != CREATING or fresh.reader_step not in WAITING:
        return
    action = reader.action
    current = action is not None and action.type == REFUND_ACTION and _is_attempt(action, fresh)
    if action is not None and current and action.status == "in_progress":
        later = store.later(engine.timing.max_check_interval)
        await _note(refund.id, {"reader_step": ON_READER, "reconcile_after": later})
        return
    if action is not None and current and action.status in ("succeeded", "failed"):
        async with store.atomic():
            await apply_action(payment, reader, action)
        return
    # Not on the reader, not made at Stripe: this attempt ended without a refund.
    await _fail(
        fresh, LOST if refund.reader_step == ON_READER else "terminal_reader_timeout", None, attempt=refund.attempt
    )


async def _from_stripe(engine: Engine, payment: Payment, refund: Refund) -> None:
    """Record the refunds Stripe made for the intent (ours among them, by its metadata)."""
    assert payment.payment_intent_id
    known = await engine.gateway.list_refunds(payment.payment_intent_id)
    async with store.atomic():
        for info in known:
            await record_refund(payment, info)
    if any(info.kiosk_refund == refund.id for info in known):
        await _settled(refund.id)


async def due(limit: int = 20) -> list[tuple[int, int]]:
    """(payment id, refund id) of in-person refunds whose webhook is overdue."""
    rows = (
        await Refund.select(Refund.id, Refund.payment)
        .where(
            (Refund.in_person == True)  # noqa: E712
            & (Refund.state == CREATING)
            & Refund.reader_step.is_in(list(WAITING))
            & (Refund.reconcile_after <= store.now())
        )
        .order_by(Refund.reconcile_after)
        .limit(limit)
    )
    return [(int(row["payment"]), int(row["id"])) for row in rows]


async def check_due(engine: Engine) -> int:
    """The reconciler's pass over overdue in-person refunds; returns how many were checked."""
    checked = 0
    for payment_id, refund_id in await due():
        try:
            await check(engine, payment_id, refund_id)
            checked += 1
        except PaymentError:
            await _note(refund_id, {"reconcile_after": store.later(engine.timing.max_check_interval)})
    return checked
