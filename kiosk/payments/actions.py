"""The payments engine's commands: start, try again, cancel, check status (no HTTP in here).

A card tender is one `Payment` row and one PaymentIntent. The row (and the reader's lease) is
written before Stripe is called; the steps themselves live in payment_driver (sending), reconciler
(asking Stripe) and payment_events (webhooks). The receipt page's view is in payment_views.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.customers.attach import PaymentTerms, payment_terms
from kiosk.payments import brands, leases, sql, store
from kiosk.payments import policy as payment_policy
from kiosk.payments.decline_messages import READER_OFFLINE, reader_offline_refusal
from kiosk.payments.driver import apply_change, create_intent, drive
from kiosk.payments.engine import Engine, idempotency_key
from kiosk.payments.leases import leased
from kiosk.payments.picker import location_of
from kiosk.payments.policy import CAPTURE_NOW, PaymentPolicy
from kiosk.payments.reconciler import check
from kiosk.payments.states import (
    CANCELED,
    COLLECT_ACTION,
    CREATING,
    DECLINED,
    FINAL,
    INTENT_CREATED,
    NEEDS_ATTENTION,
    REQUIRES_CAPTURE,
    UNRESOLVED,
    from_intent,
)
from kiosk.payments.tables import Payment
from kiosk.payments.views import card_tenders_context, payment_view
from kiosk.readers import snapshot as reader_snapshot
from kiosk.shop.lookup import lock_receipt
from kiosk.stripe_account.errors import IntentInvalidState, PaymentNotAllowed, ReaderBusy, ReaderOffline, ReaderTimeout
from kiosk.stripe_account.objects import ReaderInfo

NO_CUSTOMER = PaymentTerms()
STILL_DECIDING = (
    "Stripe is still deciding whether the card is charged, so it cannot be canceled now. Wait for the result."
)

__all__ = [
    "cancel_payment",
    "card_tenders_context",
    "check_payment",
    "find_reader",
    "location_of",
    "payment_view",
    "retry_payment",
    "start_payment",
]


async def find_reader(engine: Engine, location_id: str, reader_id: str) -> ReaderInfo:
    """A reader of this location that can take a payment now (readers elsewhere do not exist here),
    as the picker just showed it: no listing at Stripe per payment. One that went offline since is
    refused by Stripe when the payment is sent, with `terminal_reader_offline`."""
    reader = (
        await reader_snapshot.reader_for_payment(engine.gateway, location_id, reader_id, store.reader_holds)
        if location_id
        else None
    )
    if reader is None:
        raise LookupError(f"no reader {reader_id} at this location")
    if not reader.online:
        raise ReaderOffline(reader_offline_refusal(reader.label), READER_OFFLINE)
    return reader


async def unresolved_payment(receipt_id: int) -> Payment | None:
    """The receipt's open card tender (running, declined or needing attention), if any. An
    authorization kept for an admin's capture is done as far as the till is concerned."""
    return await sql.unresolved(receipt_id, UNRESOLVED, REQUIRES_CAPTURE)


@dataclass(frozen=True)
class StartFacts:
    """What a new payment fixes on its row, read before its transaction: a later change of a setting
    cannot strand it, and a retry sends the same process_config."""

    terms: PaymentTerms
    policy: PaymentPolicy
    accepted_brands: str
    tipping: bool


async def start_facts(engine: Engine, receipt_id: int) -> StartFacts:
    """The receipt's customer (if any), the admin's policy (else the environment's), the accepted
    brands and the warehouse's tips setting: one read when the receipt has no customer."""
    read = await sql.start_reads(receipt_id, sorted(UNRESOLVED), REQUIRES_CAPTURE, SETTINGS)
    return await _facts_of(engine, receipt_id, read[0] if read else None, read[1] if read else {})


# The admin's settings a new payment fixes on its row.
SETTINGS = (*payment_policy.NAMES, brands.SETTING)


async def _facts_of(
    engine: Engine, receipt_id: int, facts: Mapping[str, Any] | None, stored: Mapping[str, str]
) -> StartFacts:
    # The receipt's customer, if any (a Stripe Customer is created now when the card is to be saved).
    terms = await payment_terms(engine.gateway, receipt_id) if facts and facts["customer_link"] else NO_CUSTOMER
    default = PaymentPolicy(engine.capture_method, CAPTURE_NOW, engine.customer_cancellation)
    policy = payment_policy.with_stored(default, stored)
    accepted = brands.encode(brands.decode(stored[brands.SETTING]) if brands.SETTING in stored else brands.ALL)
    tipping = bool(facts and facts["tipping"] not in (None, "", "off"))
    return StartFacts(terms, policy, accepted, tipping)


async def start_payment(
    engine: Engine, *, receipt_id: int, reader: ReaderInfo, amount: int, currency: str, user_id: int, holder: str
) -> Payment:
    """Take `amount` for the receipt on `reader`. A second click returns the payment already started."""
    if amount <= 0:
        raise PaymentNotAllowed("Nothing is left to pay by card on this receipt.")
    # One read: the receipt's open card tender, if any, and what a new one fixes on its row.
    read = await sql.start_reads(receipt_id, sorted(UNRESOLVED), REQUIRES_CAPTURE, SETTINGS)
    existing = await unresolved_payment(receipt_id) if read and read[0]["open_payment"] is not None else None
    if existing is not None:
        return await retry_payment(engine, existing.id, reader, holder) if existing.state == DECLINED else existing
    facts = await _facts_of(engine, receipt_id, read[0] if read else None, read[1] if read else {})
    try:
        row, lease = await _record(engine, receipt_id, reader, amount, currency, user_id, holder, facts)
    except Exception as exc:
        twin = await unresolved_payment(receipt_id)  # a double-click racing this one won
        if twin is not None and (isinstance(exc, ReaderBusy) or _is_conflict(exc)):
            return twin
        raise
    async with leases.holding(lease, row.id):  # taken with the row: no claim to make
        return await drive(engine, row.id, written=row, receipt=read[0] if read else None)


def _is_conflict(exc: Exception) -> bool:
    return type(exc).__name__ in {"IntegrityError", "UniqueViolationError"}


async def record_payment(
    engine: Engine,
    receipt_id: int,
    reader: ReaderInfo,
    amount: int,
    currency: str,
    user_id: int,
    holder: str,
    terms: PaymentTerms = NO_CUSTOMER,
) -> int:
    """Step one, before any Stripe call: the row (state `creating`, its idempotency key) and the
    reader's lease, in one transaction (no payment lease: whoever drives it next claims one)."""
    facts = await start_facts(engine, receipt_id)
    facts = StartFacts(terms, facts.policy, facts.accepted_brands, facts.tipping)
    row, _ = await _record(engine, receipt_id, reader, amount, currency, user_id, holder, facts, lease=False)
    return int(row.id)


async def _record(
    engine: Engine,
    receipt_id: int,
    reader: ReaderInfo,
    amount: int,
    currency: str,
    user_id: int,
    holder: str,
    facts: StartFacts,
    *,
    lease: bool = True,
) -> tuple[Payment, leases.Lease]:
    """The row (as written), the reader's lease and (with `lease`) the payment's own lease, for the
    caller to drive it at once, all in one transaction committed before Stripe is called."""
    stamp = store.now()
    row = {
        "receipt": receipt_id,
        "amount": amount,
        "currency": currency,
        "state": CREATING,
        "capture_method": facts.policy.capture_mode,
        "keep_for_capture": facts.policy.keep_for_capture,
        "customer_cancellation": facts.policy.customer_cancellation,
        "accepted_brands": facts.accepted_brands,
        "reader_id": reader.id,
        "reader_label": reader.label,
        "tipping": facts.tipping,
        "created_by": user_id,
        "sent_at": stamp,
        "reconcile_after": store.later(engine.timing.in_flight),
        "receipt_email": facts.terms.receipt_email,
        "stripe_customer": facts.terms.stripe_customer,
        "save_card": facts.terms.save_card,
    }
    async with store.atomic():
        await lock_receipt(receipt_id)  # a double-submitted form waits here, then finds the first
        if await sql.has_unresolved(receipt_id, UNRESOLVED, REQUIRES_CAPTURE):
            raise ReaderBusy("A card payment is already running for this receipt.", "kiosk_reader_leased")
        payment = await sql.insert_payment_row(row, stamp)
        payment_id = int(payment.id)
        await store.acquire_lease(reader.id, payment_id, holder, engine.timing.lease_seconds, new_payment=True)
        await store.log(payment_id, "created", f"{amount} {currency} on {reader.id} by user {user_id}")
        taken = await leases.take_new(payment_id) if lease else leases.Lease("")
    return payment, taken


async def retry_payment(engine: Engine, payment_id: int, reader: ReaderInfo, holder: str) -> Payment:
    """Try again on the same PaymentIntent, on the same or another reader."""
    payment = await _load(payment_id)
    if payment.state == NEEDS_ATTENTION:
        payment = await check(engine, payment_id) or payment  # it may have completed after all
    if payment.state not in {DECLINED, NEEDS_ATTENTION}:
        return payment  # a double-click, or it moved on: show where it is
    target = INTENT_CREATED if payment.payment_intent_id else CREATING
    fields = {
        "state": target,
        "attempt": payment.attempt + 1,
        "reader_id": reader.id,
        "reader_label": reader.label,
        "failure_code": None,
        "decline_code": None,
        "failure_message": None,
        "attention_reason": None,
        "card_brand": None,
        "card_last4": None,
        "card_details": {},
        "sent_at": store.now(),
        "reconcile_after": store.later(engine.timing.in_flight),
    }
    async with store.atomic():
        # The state first: a retry that lost the race to another (a double press, two tills) leaves
        # the winner's reader lease alone. A busy reader raises, and the whole retry rolls back.
        if not await store.update(payment.id, fields, only_in=[payment.state]):
            return await _load(payment_id)
        await store.acquire_lease(reader.id, payment.id, holder, engine.timing.lease_seconds)
        await store.log(payment.id, "retry", f"attempt {payment.attempt + 1} on {reader.id}")
        # The payment's own lease with it, unless another server holds it now (then drive waits for it).
        lease = await leases.try_take(payment.id)
    if lease is None:
        return await drive(engine, payment_id)
    async with leases.holding(lease, payment_id):
        return await drive(engine, payment_id, sent_now=True)


@leased()
async def cancel_payment(engine: Engine, payment_id: int, *, by: str = "the cashier") -> Payment:
    """Abandon the card tender: stop our action on the reader (never anyone else's), cancel the
    intent. It ends canceled only once Stripe says the intent is (or finds it paid): a reader's
    lease is never given up while the payment could still be charged."""
    payment = await _load(payment_id)
    if payment.state in FINAL:
        return payment
    if payment.reader_id and payment.payment_intent_id:
        await _cancel_reader_action(engine, payment)
    intent_id = payment.payment_intent_id
    if intent_id is None and payment.state == NEEDS_ATTENTION:
        # Creating it may have reached Stripe: replaying the create (same key) names the intent to cancel.
        await _recreate_intent(engine, payment)
        intent_id = (await _load(payment_id)).payment_intent_id
    if intent_id:
        try:
            intent = await engine.gateway.cancel_intent(intent_id, idempotency_key=idempotency_key(payment, "cancel"))
        except IntentInvalidState:
            intent = await engine.gateway.retrieve_intent(intent_id)
        change = from_intent(intent, payment.capture_method)
        if change is not None and change.state != CANCELED:
            await apply_change(engine, payment, change, step="cancel_found_paid")  # too late: it was paid
            return await _load(payment_id)
        if change is None:  # e.g. processing: Stripe is still deciding whether the card is charged
            raise PaymentNotAllowed(STILL_DECIDING, "intent_invalid_state")
    fields = {"intent_status": "canceled" if intent_id else "", "reconcile_after": None}
    await store.transition(payment.id, CANCELED, fields, step="canceled", detail=f"by {by}")
    return await _load(payment_id)


async def _cancel_reader_action(engine: Engine, payment: Payment) -> None:
    assert payment.reader_id
    reader = await engine.gateway.retrieve_reader(payment.reader_id)
    action = reader.action_for(payment.payment_intent_id)
    holding_card = action is not None and action.type == COLLECT_ACTION and action.status == "succeeded"
    if action is None or (action.status != "in_progress" and not holding_card):
        return  # nothing of ours to stop; another till's action stays untouched
    if not reader.online:
        # An offline reader cannot be told; canceling the intent at Stripe ends our action for good
        # (a card tapped once it reconnects is refused), and the intent's answer says if it was paid.
        await store.log(payment.id, "cancel_action_offline", f"{payment.reader_id} is offline: canceling at Stripe")
        return
    # A fresh key per press: a refused cancel (busy) must not be replayed to the next press.
    key = idempotency_key(payment, f"cancel_action:{payment.attempt}:{uuid.uuid4().hex[:8]}")
    try:
        await engine.gateway.cancel_action(payment.reader_id, idempotency_key=key)
    except ReaderOffline:
        await store.log(payment.id, "cancel_action_offline", f"{payment.reader_id} went offline: canceling at Stripe")
        return
    except ReaderTimeout:
        # A reader that lost power or network is shown online by Stripe for up to 2 minutes but
        # answers nothing. Canceling the intent at Stripe ends our action all the same (a card tapped
        # once it is back is refused); if it is authorizing, Stripe refuses that cancel and the
        # intent's answer says so (STILL_DECIDING), so nothing that could be charged is let go.
        await store.log(payment.id, "cancel_action_silent", f"{payment.reader_id} did not answer: canceling at Stripe")
        return
    except ReaderBusy as exc:
        raise PaymentNotAllowed(
            "The reader is finishing this payment and cannot stop now. Wait for the result.", exc.code
        ) from exc
    await store.log(payment.id, "cancel_action", payment.reader_id)


async def _recreate_intent(engine: Engine, payment: Payment) -> None:
    """Replay the create (same key): names the intent if the first create reached Stripe."""
    await store.update(payment.id, {"state": CREATING}, only_in=[NEEDS_ATTENTION])
    await create_intent(engine, await _load(payment.id))


async def check_payment(engine: Engine, payment_id: int) -> Payment:
    """The cashier's "Check status": ask Stripe now (within the per-payment throttle)."""
    payment = await _load(payment_id)
    if payment.state in FINAL | {DECLINED}:
        return payment
    return await check(engine, payment_id, pressed=True) or payment


async def _load(payment_id: int) -> Payment:
    payment = await store.load(payment_id)
    if payment is None:
        raise LookupError(f"payment {payment_id} does not exist")
    return payment
