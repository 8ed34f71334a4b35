"""Asking Stripe when webhooks are late or missing, finishing captures, resuming after a restart.

Webhooks are the fast path; this is the safety net. A payment whose `reconcile_after` has passed
is checked by reading the reader (our action still in progress → wait) and then the PaymentIntent
(authorized, canceled, or back to requires_payment_method → the reader's result decides). At most
one check per payment every `Timing.check_interval` seconds (an atomic claim on `last_checked_at`),
however many tills press "Check status" and however often the background task wakes.
The passes that call `check` (every tick, at start-up, `kiosk reconcile`) are in kiosk/payments/recovery.py;
`check` holds the payment's lease (kiosk/payments/leases.py), so two servers never check one payment at once.
"""

from __future__ import annotations

import logging

from kiosk.payments import store
from kiosk.payments.decline_messages import READER_OFFLINE
from kiosk.payments.driver import apply_change, attention, drive, mark_on_reader, sent_age, sync_intent
from kiosk.payments.engine import Engine, idempotency_key, next_check
from kiosk.payments.faults import kill_point
from kiosk.payments.leases import leased_or_skip
from kiosk.payments.states import (
    CANCELED,
    CHECKABLE,
    COLLECT_ACTION,
    COLLECTED,
    COLLECTING,
    CREATING,
    DECLINED,
    INTENT_CREATED,
    NEEDS_ATTENTION,
    ON_READER,
    REQUIRES_CAPTURE,
    SETTLED,
    Change,
    failure_fields,
    from_action,
    from_intent,
)
from kiosk.payments.tables import Payment
from kiosk.stripe_account.errors import IntentInvalidState, PaymentError
from kiosk.stripe_account.objects import EventInfo, ReaderInfo

logger = logging.getLogger(__name__)

# Card details are fetched for a settled payment for this long, then given up (the money is safe).
DETAILS_PATIENCE_SECONDS = 60.0


@leased_or_skip
async def check(engine: Engine, payment_id: int, *, startup: bool = False, pressed: bool = False) -> Payment | None:
    """Bring one payment up to date with Stripe (if its turn has come); returns the fresh row.
    Another server already acting on it (it holds the lease): nothing to do here. `pressed`: a
    cashier asked; when the throttle refuses (a check is running or has just run), the next check
    the throttle allows is booked for the reconciler."""
    payment = await store.load(payment_id)
    if payment is None:
        return None
    if payment.state in {CREATING, INTENT_CREATED}:
        await _resume_unsent(engine, payment, startup)
    elif payment.state == COLLECTED:
        await _settle_collected(engine, payment)
    elif payment.state in {ON_READER, COLLECTING, NEEDS_ATTENTION, REQUIRES_CAPTURE} or payment.state in SETTLED:
        if await store.claim_check(payment.id, engine.timing.check_interval):
            await _ask_stripe(engine, payment)
            found = await store.load(payment_id)
            if found is not None and found.state == COLLECTED:  # the collect's webhook was lost
                await _settle_collected(engine, found)
        elif pressed:
            await store.update(payment.id, {"reconcile_after": store.later(engine.timing.check_interval)})
    else:
        await store.update(payment.id, {"reconcile_after": None})
    return await store.load(payment_id)


async def after_event(engine: Engine, event: EventInfo) -> None:
    """A collect's webhook made a payment `collected`: confirm or refuse its card now rather than
    at the next pass (the webhook itself calls no Stripe; `reconcile_after` covers a failure here)."""
    action = event.reader.action if event.reader else None
    if action is None or action.type != COLLECT_ACTION or action.status != "succeeded":
        return
    payment = await store.by_intent(action.payment_intent_id)
    if payment is not None and payment.state == COLLECTED:
        await check(engine, payment.id)


async def _settle_collected(engine: Engine, payment: Payment) -> None:
    """Two steps: confirm or refuse the collected card. A card read long ago (the kiosk was down)
    is not charged now: the customer may have paid otherwise; the cashier decides."""
    if sent_age(payment).total_seconds() > engine.timing.resume_window:
        reason = "The card was read but the kiosk stopped before charging it. Try again or cancel."
        await attention(payment.id, reason, engine.timing.attention_recheck)
        return
    await drive(engine, payment.id)


async def _ask_stripe(engine: Engine, payment: Payment) -> None:
    try:
        if payment.state == REQUIRES_CAPTURE and not payment.keep_for_capture:
            await _capture(engine, payment)
        elif payment.state in SETTLED or payment.state == REQUIRES_CAPTURE:  # kept: an admin captures it
            await _fetch_card(engine, payment)
        else:
            await _check_reader(engine, payment)
    except PaymentError as exc:
        # Stripe unreachable or refusing: try again later; nothing is decided without Stripe's word.
        await store.log(payment.id, "check_failed", f"{type(exc).__name__}: {exc.message}")
        await store.update(payment.id, {"reconcile_after": next_check(engine, payment)})


async def _resume_unsent(engine: Engine, payment: Payment, startup: bool) -> None:
    """A payment not yet on a reader whose request died (crash, restart) is taken up again."""
    idle = (store.now() - payment.updated_at).total_seconds()
    if not startup and idle < engine.timing.in_flight:
        return  # a live request is still driving it
    if (store.now() - payment.created_at).total_seconds() > engine.timing.resume_window:
        reason = "The kiosk restarted before this payment reached the reader. Try again or cancel."
        await attention(payment.id, reason, engine.timing.attention_recheck)
        return
    await store.log(payment.id, "resume", f"from {payment.state}")
    await drive(engine, payment.id)


async def _check_reader(engine: Engine, payment: Payment) -> None:
    """Reader first (one call while the customer is still at it), then the intent when needed."""
    if not payment.payment_intent_id:
        await store.update(payment.id, {"reconcile_after": store.later(engine.timing.attention_recheck)})
        return
    action = None
    if payment.reader_id:
        reader = await engine.gateway.retrieve_reader(payment.reader_id)
        action = reader.action_for(payment.payment_intent_id)
        if action and action.status == "in_progress":
            if not reader.online:
                await _reader_offline(engine, payment)
            elif not await _authorized_while_stuck(engine, payment):
                await _still_on_reader(engine, payment, reader)
            return
        if action and action.type == COLLECT_ACTION and action.status == "succeeded":
            # The card was read and the webhook saying so is late or lost: `collected`, then decided.
            collected = from_action(action, payment.capture_method)
            if collected is not None:
                await apply_change(engine, payment, collected, step="reconciled")
            return
    intent = await engine.gateway.retrieve_intent(payment.payment_intent_id)
    change = from_intent(intent, payment.capture_method)
    if change is None and action is not None and action.status == "failed":
        if action.failure_code == "connection_error" and intent.status != "requires_payment_method":
            # Stripe has not decided yet (processing): the card may still be charged. Keep asking.
            fields = failure_fields(action.failure_code, None, action.failure_message)
            fields.update(intent_status=intent.status, reconcile_after=store.later(engine.timing.check_interval))
            await store.update(payment.id, fields, only_in=list(CHECKABLE))
            return
        # Declined, canceled by the customer, or connection_error with nothing authorized.
        code = action.failure_code or "card_declined"
        fields = failure_fields(code, action.decline_code or intent.decline_code, action.failure_message)
        change = Change(DECLINED, fields, note=f"reader action failed: {code}")
    elif change is None and action is None:
        # Our action is not on the reader (canceled there, replaced, or never arrived): not charged.
        code = "action_canceled" if payment.state == ON_READER else "not_sent"
        change = Change(DECLINED, failure_fields(code, None, None), note="no action of ours on the reader")
    if change is not None:
        await apply_change(engine, payment, change, step="reconciled")
    else:
        await store.update(payment.id, {"reconcile_after": store.later(engine.timing.attention_recheck)})


async def _reader_offline(engine: Engine, payment: Payment) -> None:
    """Our action waits on a reader Stripe calls offline: the cashier is told at once (the payment
    goes on if it reconnects, or is canceled at Stripe), and the intent is read too, so a card
    authorized before the reader dropped off is not left unseen."""
    assert payment.payment_intent_id
    change = from_intent(await engine.gateway.retrieve_intent(payment.payment_intent_id), payment.capture_method)
    if change is not None and change.state != CANCELED:
        await apply_change(engine, payment, change, step="authorized_while_offline")
        return
    if payment.failure_code != READER_OFFLINE:
        await store.log(payment.id, "reader_offline", f"{payment.reader_id} is offline with our action on it")
    fields = {**failure_fields(READER_OFFLINE, None, None), "reconcile_after": next_check(engine, payment)}
    await store.update(payment.id, fields, only_in=list(CHECKABLE))


async def _authorized_while_stuck(engine: Engine, payment: Payment) -> bool:
    """A reader that dropped off after authorizing shows its action in progress for ever: once the
    wait is long, read the intent too (one more call), so money Stripe holds is not left unseen."""
    if sent_age(payment).total_seconds() < engine.timing.stuck_after:
        return False
    assert payment.payment_intent_id
    change = from_intent(await engine.gateway.retrieve_intent(payment.payment_intent_id), payment.capture_method)
    if change is None or change.state == CANCELED:
        return False
    await apply_change(engine, payment, change, step="authorized_while_stuck")
    return True


async def _still_on_reader(engine: Engine, payment: Payment, reader: ReaderInfo) -> None:
    if payment.failure_code == READER_OFFLINE:  # back online: the customer can pay again
        await store.update(payment.id, failure_fields(None, None, None), only_in=list(CHECKABLE))
        await store.log(payment.id, "reader_online", f"{payment.reader_id} is back online")
    if payment.state == NEEDS_ATTENTION and sent_age(payment).total_seconds() < engine.timing.stuck_after:
        await mark_on_reader(engine, payment, reader)
    elif payment.state in {ON_READER, COLLECTING} and sent_age(payment).total_seconds() >= engine.timing.stuck_after:
        reason = (
            "The reader has shown this payment for a long time without an answer. Look at the reader: "
            "Check status, or Cancel on reader to stop it."
        )
        await attention(payment.id, reason, engine.timing.attention_recheck)
        return
    await store.update(payment.id, {"reconcile_after": next_check(engine, payment)})


async def _capture(engine: Engine, payment: Payment) -> None:
    """Manual capture mode: capture the authorization now (the key makes a repeat a replay)."""
    assert payment.payment_intent_id
    kill_point("before_capture")
    try:
        intent = await engine.gateway.capture_intent(
            payment.payment_intent_id, idempotency_key=idempotency_key(payment, "capture")
        )
    except IntentInvalidState:
        await sync_intent(engine, payment)
        return
    kill_point("after_capture")
    change = from_intent(intent, payment.capture_method)
    if change is not None:
        await apply_change(engine, payment, change, step="captured")


async def _fetch_card(engine: Engine, payment: Payment) -> None:
    """Brand, last4, EMV fields and the tip for the printed receipt, when no webhook brought them:
    the intent is read only once the webhook grace after settling has passed without them."""
    settled = payment.settled_at or payment.updated_at
    # The tip and what Stripe took come with the intent (payment_intent.* webhooks), the card with
    # the charge: both are needed before the receipt is complete.
    if (payment.card_brand and payment.amount_charged is not None) or not payment.payment_intent_id:
        await store.update(payment.id, {"reconcile_after": None})
        return
    waited = (store.now() - settled).total_seconds()
    if payment.settled_at and waited < engine.timing.webhook_grace:
        # E.g. an authorization kept for an admin's capture is looked at as soon as it settles.
        await store.update(payment.id, {"reconcile_after": store.later(engine.timing.webhook_grace - waited)})
        return
    intent = await engine.gateway.retrieve_intent(payment.payment_intent_id)
    change = from_intent(intent, payment.capture_method)
    if change is not None and intent.card is not None:
        await apply_change(engine, payment, change, step="card_details")
        await store.update(payment.id, {"reconcile_after": None})
    elif waited > DETAILS_PATIENCE_SECONDS:
        await store.update(payment.id, {"reconcile_after": None})
    else:
        await store.update(payment.id, {"reconcile_after": next_check(engine, payment)})
