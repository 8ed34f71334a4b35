"""Applying Stripe's webhook events: recorded once, in the same transaction as what they change.

Events are hints. Each is matched to a payment by its PaymentIntent id, ignored when it is about
another intent or another reader than the payment's current one, ignored when it reports the
failure of an earlier attempt (older than the current send), and otherwise turned into a `Change`
that the state machine applies only if the move is forward from the row's state at write time.
The card (brand, last4, the receipt's EMV fields, capture_before) comes with `charge.succeeded`,
before or after the event that settles the payment: it is written whatever the state, never moves
it, and the same card written twice is the same card. No Stripe call happens here: anything that
needs one (capture, connection_error, a card whose charge event is late) is left to the reconciler
by setting `reconcile_after`.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import UTC, datetime

from kiosk.db.durability import recoverable
from kiosk.payments import sql, store
from kiosk.payments.driver import apply_change
from kiosk.payments.engine import Engine
from kiosk.payments.faults import kill_point
from kiosk.payments.refunds import events as refund_events
from kiosk.payments.refunds import on_reader
from kiosk.payments.states import (
    COLLECT_ACTION,
    Change,
    card_fields,
    from_action,
    from_failed_intent,
    from_intent,
)
from kiosk.payments.tables import Payment, WebhookEvent
from kiosk.readers.snapshot import reader_news
from kiosk.stripe_account.objects import REFUND_ACTION, EventInfo

logger = logging.getLogger(__name__)

DUPLICATE = "duplicate"


def _is_unique_violation(exc: Exception) -> bool:
    # sqlite3.IntegrityError / asyncpg's UniqueViolationError: the event id is already recorded.
    return type(exc).__name__ in {"IntegrityError", "UniqueViolationError"}


async def record_event(engine: Engine, event: EventInfo) -> str:
    """Record and apply one verified event; returns what it did (stored with the event)."""
    try:
        with recoverable() if _recoverable(event) else nullcontext():
            async with store.atomic():
                seen, payment = await sql.event_and_payment(event.id, _intent_of(event))
                if seen:
                    return DUPLICATE
                outcome = await _apply(engine, payment, event) if payment else "not a kiosk payment"
                # Then, written together: the event's row, and what else it tells.
                last = [
                    sql.insert_event(event.id, event.type, store.now(), payment.id if payment else None, outcome[:255])
                ]
                if payment is not None and (event.intent is not None or event.charge_card is not None):
                    last.append(sql.details_complete(payment.id))  # the card and the amount taken: nothing to ask
                if event.reader is not None:  # the reader picker's snapshot learns the reader's status too
                    last.append(reader_news(event.reader, datetime.fromtimestamp(event.created, UTC)))
                await sql.together(*last)
                kill_point("webhook_applied")
    except Exception as exc:
        # The same event delivered twice at once: the other one won. Any other conflict (two events
        # about one refund racing to record it) is raised: the 5xx makes Stripe deliver it again,
        # and then the winner's row is there to update.
        if _is_unique_violation(exc) and await WebhookEvent.exists().where(WebhookEvent.event_id == event.id):
            return DUPLICATE
        raise
    return outcome


def _recoverable(event: EventInfo) -> bool:
    """May a power cut take this event's transaction back (kiosk/db/durability.py)? A card payment's
    news, yes: what a power cut takes back is a prefix of the commits, and every prefix leaves the
    payment due for a check with Stripe (`reconcile_after`, committed durably before Stripe was
    called; the card's details are read from the PaymentIntent when its charge event is missing).
    Refund news, no: a refund made in Stripe's Dashboard on a settled payment is not looked for again."""
    if event.reader is not None and event.reader.action is not None and event.reader.action.type == REFUND_ACTION:
        return False
    return not refund_events.is_refund_news(event)


def _intent_of(event: EventInfo) -> str | None:
    """The PaymentIntent an event is about: a reader's action, the intent itself, or a charge's."""
    if event.reader and event.reader.action:
        return event.reader.action.payment_intent_id
    if event.intent:
        return event.intent.id
    return event.charge_intent_id


STALE, UNSURE, CURRENT = "stale", "unsure", "current"


def _attempt_of(payment: Payment, event: EventInfo) -> str:
    """Which attempt a failure belongs to. Events carry whole seconds: one created before the
    current attempt was sent is an earlier attempt's; in the very same second nobody can tell,
    so the reconciler reads the reader instead of trusting the event."""
    if payment.sent_at is None:
        return CURRENT
    sent = int(payment.sent_at.timestamp())
    return STALE if event.created < sent else UNSURE if event.created == sent else CURRENT


def _failure(payment: Payment, event: EventInfo, change: Change) -> Change | str:
    attempt = _attempt_of(payment, event)
    if attempt == STALE:
        return "failure of an earlier attempt"
    if attempt == UNSURE:
        return Change(None, check_now=True, note="failure in the second of the send: ask Stripe")
    return change


def _collected(payment: Payment, event: EventInfo, change: Change) -> Change | str:
    """A card read by an earlier attempt's collect must not be confirmed (or refused) in place of
    the one the customer is presenting now; in the very second of the send, the reader is read."""
    attempt = _attempt_of(payment, event)
    if attempt == STALE:
        return "card collected by an earlier attempt"
    if attempt == UNSURE:
        return Change(None, check_now=True, note="card collected in the second of the send: ask Stripe")
    return change


async def _apply(engine: Engine, payment: Payment, event: EventInfo) -> str:
    if event.reader is not None and event.reader.action and event.reader.action.type == REFUND_ACTION:
        return await on_reader.apply_action(payment, event.reader, event.reader.action)
    if refund_events.is_refund_news(event):
        return await refund_events.apply(payment, event)
    change = _change_for(payment, event)
    if isinstance(change, str):
        return change
    if change.state == payment.state and not change.fields and not change.check_now:
        return "no change"  # there already (as read in this transaction): the move would write nothing
    moved = await apply_change(engine, payment, change, step=f"webhook {event.type}")
    if change.state is None:
        return f"noted: {change.note}"
    return f"applied: {payment.state} → {change.state}" if moved else "no change"


def _change_for(payment: Payment, event: EventInfo) -> Change | str:
    """The change an event asks for, or why it asks for none."""
    if event.reader is not None:
        action = event.reader.action_for(payment.payment_intent_id)
        if action is None:
            return "action about another PaymentIntent"
        if event.reader.id != payment.reader_id:
            return "from a reader this payment has left"
        change = from_action(action, payment.capture_method)
        if change is None:
            return "action still in progress"
        if action.type == COLLECT_ACTION and action.status == "succeeded":
            return _collected(payment, event, change)
        return _failure(payment, event, change) if action.status == "failed" else change
    if event.intent is not None:
        change = from_intent(event.intent, payment.capture_method)
        if change is not None:
            return change
        if event.type == "payment_intent.payment_failed":
            return _failure(payment, event, from_failed_intent(event.intent))
        return "nothing to change"
    if event.charge_card is not None:
        return Change(None, card_fields(event.charge_card), note="card details")
    return "ignored"
