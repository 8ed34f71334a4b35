"""The steps that push a payment forward on Stripe: create the intent, send it to the reader
(with a restriction on card brands: collect the card, then confirm it or refuse its brand).

`drive` resumes from whatever state the row records, so the cashier's request, a retry, and the
reconciler after a crash all run the same code with the same idempotency keys: a step that already
happened at Stripe replays instead of happening twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from kiosk.customers import cards as customer_cards
from kiosk.db.durability import recoverable
from kiosk.payments import brands, leases, sql, store
from kiosk.payments.cart_display import wait_for_display
from kiosk.payments.decline_messages import READER_TIMEOUT
from kiosk.payments.engine import Engine, idempotency_key
from kiosk.payments.faults import kill_point
from kiosk.payments.leases import leased
from kiosk.payments.states import (
    BRAND_NOT_ACCEPTED,
    CANCELED,
    COLLECT_ACTION,
    COLLECTED,
    COLLECTING,
    CONFIRM_ACTION,
    CREATING,
    DECLINED,
    DETAIL_COLUMNS,
    INTENT_CREATED,
    NEEDS_ATTENTION,
    ON_READER,
    RECEIPT_SETTLED,
    REQUIRES_CAPTURE,
    Change,
    failure_fields,
    from_action,
    from_intent,
)
from kiosk.payments.tables import Payment, PaymentLog
from kiosk.readers.snapshot import remember_reader
from kiosk.stripe_account.errors import (
    IntentInvalidState,
    PaymentError,
    RateLimited,
    ReaderBusy,
    ReaderTimeout,
    StripeUnavailable,
)
from kiosk.stripe_account.objects import IntentInfo, ReaderInfo

logger = logging.getLogger(__name__)

UNREACHABLE = "Stripe could not be reached, so it is not known whether the reader got the payment. Check status."


async def apply_change(engine: Engine, payment: Payment, change: Change, *, step: str) -> bool:
    """Record what Stripe said; returns whether the state moved. Safe inside a transaction."""
    fields = dict(change.fields)
    await keep_saved_card(payment, fields)
    if change.check_now:
        await store.update(payment.id, {"reconcile_after": store.now()})
    if change.state is None:
        if fields:
            await store.update(payment.id, fields, only_in=list(change.only_in) if change.only_in else None)
        return False
    if change.state in RECEIPT_SETTLED:
        fields.setdefault("settled_at", store.now())
        # A note of the wait (the reader offline, the kiosk checking) ends with the money taken.
        fields = {**failure_fields(None, None, None), **fields}
        # A capture still to do: the reconciler picks it up at once. Card details only: the
        # payment_intent webhook normally brings them moments later, so Stripe is asked for them
        # only if it has not after the webhook grace (one Stripe call per payment saved).
        known = fields.get("card_brand") and "amount_charged" in fields
        details_only = change.state != REQUIRES_CAPTURE and not known
        fields["reconcile_after"] = store.later(engine.timing.webhook_grace) if details_only else store.now()
    elif change.state in {DECLINED, CANCELED}:
        fields["reconcile_after"] = None
    elif change.state == COLLECTED:
        # Confirmed or refused right away (reconciler.after_event); else by the reconciler's next pass.
        fields["reconcile_after"] = store.now()
    moved = await store.transition(payment.id, change.state, fields, step=step, detail=change.note)
    if not moved:
        # Already in that state (e.g. a webhook got there first): keep the card details, the tip
        # and what Stripe took anyway.
        card = {k: v for k, v in change.fields.items() if k.startswith("card_") or k in DETAIL_COLUMNS}
        if not change.fields.get("card_brand"):
            card = {k: v for k, v in card.items() if not k.startswith("card_")}
        if card:
            await store.update(payment.id, card, only_in=list(RECEIPT_SETTLED))
    return moved


async def keep_saved_card(payment: Payment, fields: dict[str, Any]) -> None:
    """The card the customer agreed to save (Stripe's `generated_card`) joins their saved cards."""
    details = fields.get("card_details")
    if not (payment.save_card and payment.stripe_customer and isinstance(details, dict)):
        return
    generated = details.get("generated_card")
    if generated and details.get("exp_month") and details.get("exp_year"):
        await customer_cards.remember_generated(
            payment.stripe_customer,
            str(generated),
            str(fields.get("card_brand") or ""),
            str(fields.get("card_last4") or ""),
            int(details["exp_month"]),
            int(details["exp_year"]),
            payment.created_by or 0,
        )


async def attention(payment_id: int, reason: str, recheck_after: float, *, code: str | None = None) -> bool:
    fields = {"attention_reason": reason, "failure_code": code, "reconcile_after": store.later(recheck_after)}
    return await store.transition(payment_id, NEEDS_ATTENTION, fields, step="needs_attention", detail=reason)


@leased()
async def drive(
    engine: Engine,
    payment_id: int,
    *,
    sent_now: bool = False,
    written: Payment | None = None,
    receipt: Mapping[str, Any] | None = None,
) -> Payment:
    """Take the payment as far as the reader, from whatever step it was left at (holding its lease:
    no other server sends it meanwhile). `sent_now`: the caller just stamped it sent (a retry).
    `written`: the row as the caller just wrote it, holding the lease (a new payment), not read again;
    likewise a step's move answers with the row it wrote. `receipt`: the payment's receipt's `number`
    and `warehouse` as the caller read them (else read for the create)."""
    payment = written or await _must_load(payment_id)
    created = sent_now
    if payment.state == CREATING:
        moved = await create_intent(engine, payment, receipt)
        created = moved is not None
        payment = moved or await _must_load(payment_id)
    if payment.state == INTENT_CREATED and payment.saved_card:
        # Charged off-session (no reader): the create confirmed it; Stripe's word on the intent decides.
        await sync_intent(engine, payment)
        payment = await _must_load(payment_id)
    elif payment.state == INTENT_CREATED:
        # An intent created just now was stamped sent as it moved to `intent_created`.
        payment = await send_to_reader(engine, payment, stamped=created) or await _must_load(payment_id)
    if payment.state == COLLECTED:
        await settle_collected(engine, payment)
        payment = await _must_load(payment_id)
    return payment


async def _must_load(payment_id: int) -> Payment:
    payment = await store.load(payment_id)
    if payment is None:
        raise LookupError(f"payment {payment_id} does not exist")
    return payment


async def intent_request(payment: Payment, receipt: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The create call's arguments: the same for every repeat, as the idempotency key requires (a
    receipt's number and warehouse never change: `receipt`, when the caller read them, is not read again)."""
    if receipt is None:
        receipt = await sql.receipt_for_intent(int(payment.receipt))
    metadata = {"receipt": str(payment.receipt), "payment": str(payment.id), "kiosk_payment_key": str(payment.key)}
    if receipt:
        metadata["warehouse"] = str(receipt["warehouse"])
    return {
        "amount": payment.amount,
        "currency": payment.currency,
        "capture_method": payment.capture_method,
        "metadata": metadata,
        "description": f"Receipt {receipt['number'] if receipt else payment.receipt}",
        "idempotency_key": idempotency_key(payment, "create"),
        "customer": payment.stripe_customer or None,
        "receipt_email": payment.receipt_email or None,
        "save_card": payment.save_card,
        "saved_card": payment.saved_card,
    }


async def create_intent(engine: Engine, payment: Payment, receipt: Mapping[str, Any] | None = None) -> Payment | None:
    """One PaymentIntent per card tender, whatever happens (the key makes a repeat a replay).
    The row as written when the payment moved to `intent_created`, stamped as sent now
    (`send_to_reader` follows); None when it did not. `receipt`: as `intent_request`."""
    kill_point("before_intent")
    try:
        intent = await engine.gateway.create_intent(**await intent_request(payment, receipt))
    except (StripeUnavailable, RateLimited) as exc:
        reason = "Stripe could not be reached; nothing was charged. Try again or cancel."
        await attention(payment.id, reason, engine.timing.attention_recheck, code=exc.code)
        return None
    except PaymentError as exc:
        # A saved card declined off-session (or needing the customer: authentication_required) ends
        # here too: nothing was charged, and the reason is the reader's plain-language one.
        fields = failure_fields(exc.code, exc.decline_code, exc.message)
        await store.transition(payment.id, CANCELED, fields, step="create_refused", detail=exc.message)
        return None
    kill_point("after_intent")
    fields = {"payment_intent_id": intent.id, "intent_status": intent.status}
    if payment.saved_card:
        await _record_off_session(engine, payment, intent, fields)
        return None
    sent = {**fields, "sent_at": store.now()}
    moved = await store.transition_row(payment.id, INTENT_CREATED, sent, step="intent_created", detail=intent.id)
    if moved is None:
        # Canceled by the cashier while Stripe was answering: abandon the intent just made.
        await store.update(payment.id, {"payment_intent_id": intent.id}, only_in=[CANCELED])
        await engine.gateway.cancel_intent(intent.id, idempotency_key=idempotency_key(payment, "cancel"))
    return moved


async def _record_off_session(engine: Engine, payment: Payment, intent: IntentInfo, fields: dict[str, Any]) -> None:
    """A saved card's intent was confirmed by its create: Stripe's answer settles the payment now.
    (A cancel cannot slip in between: it takes the payment's lease, which the driver holds.)"""
    if not await store.transition(payment.id, INTENT_CREATED, fields, step="intent_created", detail=intent.id):
        await store.update(payment.id, {"payment_intent_id": intent.id}, only_in=[CANCELED])
        logger.error("payment %s: off-session intent %s answered after the payment ended", payment.id, intent.id)
        return
    change = from_intent(intent, payment.capture_method)
    if change is not None:
        await apply_change(engine, payment, change, step="off_session_confirmed")


async def send_to_reader(
    engine: Engine, payment: Payment, *, retried: bool = False, stamped: bool = False
) -> Payment | None:
    """process_payment_intent for the current attempt (with a restriction on card brands,
    collect_payment_method: step one of two); each failure has its own answer. `stamped`: its
    `sent_at` was just written (as the intent was created). The row as written when the action is on
    the reader and nothing more was learnt with it (else None: read it again)."""
    assert payment.payment_intent_id and payment.reader_id
    if not stamped:
        await store.update(payment.id, {"sent_at": store.now()}, only_in=[INTENT_CREATED])
    # A cart display under way reaches the reader first; this payment then replaces it.
    await wait_for_display(payment.reader_id)
    # What Stripe answers of the reader joins the snapshot in the move's transaction (`mark_on_reader`).
    asked = store.now()
    try:
        if payment.accepted_brands:
            reader = await engine.gateway.collect_on_reader(
                payment.reader_id,
                payment.payment_intent_id,
                customer_cancellation=payment.customer_cancellation,
                idempotency_key=idempotency_key(payment, f"collect:{payment.attempt}"),
                tipping=payment.tipping,
                report=False,
            )
        else:
            reader = await engine.gateway.process_on_reader(
                payment.reader_id,
                payment.payment_intent_id,
                customer_cancellation=payment.customer_cancellation,
                idempotency_key=idempotency_key(payment, f"process:{payment.attempt}"),
                tipping=payment.tipping,
                report=False,
            )
    except ReaderTimeout:
        await _after_timeout(engine, payment, retried)
    except ReaderBusy as exc:
        await _after_busy(engine, payment, exc)
    except IntentInvalidState:
        await sync_intent(engine, payment)
    except (StripeUnavailable, RateLimited) as exc:
        await attention(payment.id, UNREACHABLE, engine.timing.webhook_grace, code=exc.code)
    except PaymentError as exc:
        fields = failure_fields(exc.code, None, exc.message)
        await store.transition(payment.id, DECLINED, fields, step="reader_refused", detail=exc.message)
    else:
        kill_point("after_collect" if payment.accepted_brands else "after_send")
        return await mark_on_reader(engine, payment, reader, seen_at=asked)
    return None


async def mark_on_reader(
    engine: Engine, payment: Payment, reader: ReaderInfo, *, seen_at: datetime | None = None
) -> Payment | None:
    """Our action is on the reader: `on_reader` (`collecting` while a collect waits for the card).
    The row as the move wrote it, unless the reader's answer moved it further (then None).
    `seen_at`: when Stripe was asked for this answer of the reader, which the reader snapshot learns
    in the move's own transaction (a caller that did not let the gateway report it)."""
    fields = {
        **failure_fields(None, None, None),
        "attention_reason": None,
        "reconcile_after": store.later(engine.timing.webhook_grace),
    }
    action = reader.action_for(payment.payment_intent_id)
    collecting = action.type == COLLECT_ACTION if action else bool(payment.accepted_brands)
    target = COLLECTING if collecting else ON_READER
    change = from_action(action, payment.capture_method) if action else None
    # Nothing more to do after this move (the reader has no result yet): a start or a retry gives
    # its lease back with it, not in a write of its own.
    give_back = leases.given_back_with(payment.id) if change is None else None
    # Recoverable: taken back by a power cut, the payment is as it was sent (its intent and
    # `reconcile_after` committed durably before the call), due for a check with Stripe.
    with recoverable():
        async with store.atomic():
            if seen_at is not None:
                await remember_reader(reader, seen_at)
            moved = await store.transition_row(
                payment.id,
                target,
                fields,
                step=target,
                detail=f"attempt {payment.attempt}",
                also=[give_back] if give_back else (),
            )
    if moved is not None and give_back is not None:
        leases.gave_back(payment.id)
    if change is not None:
        await apply_change(engine, payment, change, step="reader_result")
        return None
    return moved


async def _after_timeout(engine: Engine, payment: Payment, retried: bool) -> None:
    """Reader timeout can be a false negative: read the reader's action before sending again."""
    assert payment.reader_id
    try:
        reader = await engine.gateway.retrieve_reader(payment.reader_id)
    except PaymentError:
        await attention(payment.id, UNREACHABLE, engine.timing.check_interval, code=READER_TIMEOUT)
        return
    action = reader.action_for(payment.payment_intent_id)
    # A failed action about our intent on a later attempt is the previous attempt's result.
    if action and (action.status != "failed" or payment.attempt == 1):
        await store.log(payment.id, "timeout_false_negative", "the reader has our payment after all")
        await mark_on_reader(engine, payment, reader)
    elif not retried:
        await store.update(payment.id, {"attempt": payment.attempt + 1}, only_in=[INTENT_CREATED])
        await store.log(payment.id, "timeout_resend", f"attempt {payment.attempt + 1}")
        await send_to_reader(engine, await _must_load(payment.id), retried=True)
    else:
        # Sent twice, and the reader read after each time does not have it: it never reached the
        # reader (e.g. unplugged: Stripe shows such a reader online for up to 2 minutes). Nothing was
        # charged; a retry, here or on another reader, uses the same PaymentIntent.
        fields = failure_fields(READER_TIMEOUT, None, "The reader did not answer.")
        await store.transition(payment.id, DECLINED, fields, step="reader_silent", detail=payment.reader_id)


async def _after_busy(engine: Engine, payment: Payment, exc: ReaderBusy) -> None:
    """Busy with our own action (a replay after a crash) is fine; anyone else's is left alone."""
    assert payment.reader_id
    try:
        reader = await engine.gateway.retrieve_reader(payment.reader_id)
    except PaymentError:
        reader = None
    action = reader.action_for(payment.payment_intent_id) if reader else None
    if reader and action and action.status == "in_progress":
        await mark_on_reader(engine, payment, reader)
        return
    fields = failure_fields(exc.code or "terminal_reader_busy", None, exc.message)
    await store.transition(payment.id, DECLINED, fields, step="reader_busy", detail=exc.message)


async def sync_intent(engine: Engine, payment: Payment) -> None:
    """Stripe refused a step for the intent's state: read the intent and take its word."""
    assert payment.payment_intent_id
    try:
        intent = await engine.gateway.retrieve_intent(payment.payment_intent_id)
    except PaymentError:
        await attention(payment.id, UNREACHABLE, engine.timing.check_interval)
        return
    change = from_intent(intent, payment.capture_method)
    if change is not None:
        await apply_change(engine, payment, change, step="intent_read")
        return
    reason = f"Stripe reports this payment as {intent.status.replace('_', ' ')}. Check status or cancel."
    await attention(payment.id, reason, engine.timing.attention_recheck)


def sent_age(payment: Payment) -> timedelta:
    return store.now() - payment.sent_at if payment.sent_at else timedelta(0)


# Two steps (a restriction on card brands): the reader has read the card; the kiosk decides.


async def settle_collected(engine: Engine, payment: Payment) -> None:
    """Confirm the collected card when the payment accepts its brand; else cancel the reader's
    action and tell the cashier which brand is refused (Try again collects another card on the same
    PaymentIntent). The brand comes with the collect's webhook or reader; failing that, from the
    intent's collected PaymentMethod."""
    assert payment.payment_intent_id and payment.reader_id
    brand: str | None = payment.card_brand
    if not brand:
        try:
            intent = await engine.gateway.retrieve_collected(payment.payment_intent_id)
        except PaymentError:
            await attention(payment.id, UNREACHABLE, engine.timing.check_interval)
            return
        if intent.collected is None:  # no card on the intent any more (canceled, or paid after all)
            change = from_intent(intent, payment.capture_method)
            if change is None:
                change = Change(DECLINED, failure_fields("action_canceled", None, None), note="collected card gone")
            await apply_change(engine, payment, change, step="collected_card_gone")
            return
        brand = intent.collected.brand
        card = {"card_brand": brand, "card_last4": intent.collected.last4}
        await store.update(payment.id, card, only_in=[COLLECTED])
    if brands.accepts(payment.accepted_brands, brand):
        await _confirm(engine, payment)
    else:
        await _refuse_brand(engine, payment, brand)


async def _confirm_key(payment: Payment) -> str:
    """confirm:<attempt>, then a new key after each answer that left it unknown whether the reader
    confirmed (a replayed timeout would never let it through); a crash replays the key in use."""
    unsure = await PaymentLog.count().where(
        (PaymentLog.payment == payment.id) & (PaymentLog.step == f"confirm_unsure:{payment.attempt}")
    )
    return idempotency_key(payment, f"confirm:{payment.attempt}" + (f":{unsure}" if unsure else ""))


async def _confirm(engine: Engine, payment: Payment, *, retried: bool = False) -> None:
    """confirm_payment_intent: step two, the card is authorized now."""
    assert payment.payment_intent_id and payment.reader_id
    try:
        reader = await engine.gateway.confirm_on_reader(
            payment.reader_id, payment.payment_intent_id, idempotency_key=await _confirm_key(payment)
        )
    except (ReaderTimeout, ReaderBusy) as exc:
        await _confirm_unsure(engine, payment, exc, retried)
    except IntentInvalidState:
        await sync_intent(engine, payment)
    except (StripeUnavailable, RateLimited) as exc:
        await store.log(payment.id, f"confirm_unsure:{payment.attempt}", exc.code or "stripe unavailable")
        await attention(payment.id, UNREACHABLE, engine.timing.webhook_grace, code=exc.code)
    except PaymentError as exc:  # offline, or refused: nothing was authorized
        fields = failure_fields(exc.code, None, exc.message)
        await store.transition(payment.id, DECLINED, fields, step="confirm_refused", detail=exc.message)
    else:
        kill_point("after_confirm")
        await _mark_confirming(engine, payment, reader)


async def _mark_confirming(engine: Engine, payment: Payment, reader: ReaderInfo) -> None:
    fields = {
        **failure_fields(None, None, None),
        "attention_reason": None,
        "sent_at": store.now(),
        "reconcile_after": store.later(engine.timing.webhook_grace),
    }
    await store.transition(payment.id, ON_READER, fields, step="confirming", detail=f"attempt {payment.attempt}")
    action = reader.action_for(payment.payment_intent_id)
    change = from_action(action, payment.capture_method) if action and action.type == CONFIRM_ACTION else None
    if change is not None:
        await apply_change(engine, payment, change, step="reader_result")


async def _confirm_unsure(engine: Engine, payment: Payment, exc: PaymentError, retried: bool) -> None:
    """A timeout can be a false negative, and busy may be our own confirm: read the reader."""
    assert payment.reader_id
    await store.log(payment.id, f"confirm_unsure:{payment.attempt}", exc.code or "")
    try:
        reader = await engine.gateway.retrieve_reader(payment.reader_id)
    except PaymentError:
        await attention(payment.id, UNREACHABLE, engine.timing.check_interval, code=exc.code)
        return
    action = reader.action_for(payment.payment_intent_id)
    if action is not None and action.type == CONFIRM_ACTION:
        await store.log(payment.id, "confirm_false_negative", "the reader is confirming our payment after all")
        await _mark_confirming(engine, payment, reader)
    elif action is not None and action.type == COLLECT_ACTION and action.status == "succeeded" and not retried:
        await _confirm(engine, await _must_load(payment.id), retried=True)  # the card waits: once more
    elif isinstance(exc, ReaderBusy):
        fields = failure_fields(exc.code or "terminal_reader_busy", None, exc.message)
        await store.transition(payment.id, DECLINED, fields, step="reader_busy", detail=exc.message)
    else:
        reason = "The reader did not answer. Check it is on and connected, then try again or choose another reader."
        await attention(payment.id, reason, engine.timing.attention_recheck, code=exc.code)


async def _refuse_brand(engine: Engine, payment: Payment, brand: str | None) -> None:
    """A brand the shop does not take: the reader's action is canceled (the card is given back and
    the intent needs a payment method again), then the payment is declined with the reason."""
    assert payment.payment_intent_id and payment.reader_id
    try:
        reader = await engine.gateway.retrieve_reader(payment.reader_id)
        action = reader.action_for(payment.payment_intent_id)
        if action is not None and action.type == COLLECT_ACTION and reader.online:
            key = idempotency_key(payment, f"refuse:{payment.attempt}")
            await engine.gateway.cancel_action(payment.reader_id, idempotency_key=key)
    except PaymentError as exc:
        # Nothing can be charged without our confirm; the next collect replaces the card anyway.
        await store.log(payment.id, "refuse_cancel_failed", f"{type(exc).__name__}: {exc.message}")
    fields = {**failure_fields(BRAND_NOT_ACCEPTED, None, brands.refusal(brand)), "card_brand": brand}
    await store.transition(payment.id, DECLINED, fields, step="brand_refused", detail=brand or "unknown")
