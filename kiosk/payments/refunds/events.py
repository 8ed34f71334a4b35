"""Stripe's news about refunds: from webhooks (charge.refunded, refund.*) or a read of Stripe.

Each refund Stripe reports is matched to its row by its Stripe id, else by the `kiosk_refund` id
the kiosk put in its metadata (the webhook may come before the create call's answer), else it was
made elsewhere (the Stripe Dashboard) and gets a row of its own. Like payments, a refund's state
only moves forward, so late or repeated news changes nothing. No Stripe call happens here.
"""

from __future__ import annotations

from typing import Any

from kiosk.payments import store
from kiosk.payments.tables import Payment, Refund
from kiosk.stripe_account.objects import EventInfo, RefundInfo

CREATING = "creating"
# How far along a refund is; news of an earlier stage than the row's is old news.
RANK = {CREATING: 0, "pending": 1, "requires_action": 1, "succeeded": 2, "failed": 3, "canceled": 3}
# Refunds that give (or will give) money back; failed and canceled ones gave nothing.
LIVE = (CREATING, "pending", "requires_action", "succeeded")
MADE_ELSEWHERE = "Made outside the kiosk"


def failure_text(info: RefundInfo) -> str | None:
    if info.status not in ("failed", "canceled"):
        return None
    reason = (info.failure_reason or "unknown").replace("_", " ")
    return f"Stripe could not refund it ({reason}): no money went back."


def is_refund_news(event: EventInfo) -> bool:
    return bool(event.refunds) or event.type == "charge.refunded"


async def _row_for(payment: Payment, info: RefundInfo) -> Refund | None:
    """The refund's row: by its Stripe id, else the kiosk's own row named in its metadata and not yet
    matched. One query, so one snapshot: a webhook committing the match between two reads (the
    create call's answer and the event racing) cannot make the row look absent."""
    match: Any = Refund.stripe_refund_id == info.id
    if info.kiosk_refund is not None:
        match = match | (
            (Refund.id == info.kiosk_refund) & (Refund.payment == payment.id) & Refund.stripe_refund_id.is_null()
        )
    rows: list[Refund] = await Refund.objects().where(match)
    return next((r for r in rows if r.stripe_refund_id == info.id), rows[0] if rows else None)


async def record_refund(payment: Payment, info: RefundInfo) -> str:
    """Record what Stripe says about one refund of `payment`; returns what it changed."""
    row = await _row_for(payment, info)
    if row is None:
        refund = Refund(
            payment=payment.id,
            amount=info.amount,
            currency=info.currency or payment.currency,
            reason=info.reason or "",
            note=MADE_ELSEWHERE,
            state=info.status,
            stripe_refund_id=info.id,
            failure_message=failure_text(info),
        )
        await Refund.insert(refund)
        return f"refund {info.id} made elsewhere: {info.status}"
    if row.payment != payment.id:
        return f"refund {info.id} belongs to another payment"
    if RANK.get(info.status, 1) < RANK.get(row.state, 0):
        return f"refund {info.id}: {info.status} is older news than {row.state}"
    fields: dict[Any, Any] = {
        Refund.stripe_refund_id: info.id,
        Refund.state: info.status,
        Refund.failure_message: failure_text(info),
        Refund.updated_at: store.now(),
    }
    await Refund.update(fields).where(Refund.id == row.id)
    return f"refund {info.id}: {info.status}"


async def apply(payment: Payment, event: EventInfo) -> str:
    """A refund webhook, inside the event's transaction (see kiosk.payments.events)."""
    outcomes = [await record_refund(payment, info) for info in event.refunds]
    if event.charge_refunded is not None:
        # Stripe's own total covers refunds whose details the event leaves out; it only grows here.
        await Payment.update({Payment.amount_refunded: event.charge_refunded, Payment.updated_at: store.now()}).where(
            (Payment.id == payment.id) & (Payment.amount_refunded < event.charge_refunded)
        )
        outcomes.append(f"refunded in all: {event.charge_refunded}")
    elif event.type == "charge.refunded":
        outcomes.append("authorization released (never captured)")
    return "; ".join(outcomes) or "nothing to change"
