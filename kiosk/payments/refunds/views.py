"""What people see of refunds: on the receipt (screen and print) and on the admin Payments page.

Read-only and database-only. A receipt lists the money given back on its card payments: refunds
(those on their way included) and authorizations canceled before capture (nothing was charged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kiosk.payments import sql
from kiosk.payments.refunds.actions import REASONS
from kiosk.payments.refunds.actions import card_label as card_label  # kept here for its users
from kiosk.payments.refunds.events import CREATING, LIVE, MADE_ELSEWHERE
from kiosk.payments.settlement import card_took
from kiosk.payments.states import CANCELED, SETTLED
from kiosk.payments.tables import Payment, Refund
from kiosk.shop.tables import Receipt

STATE_LABELS = {
    CREATING: "Not yet confirmed by Stripe",
    "pending": "Pending",
    "requires_action": "Pending",
    "succeeded": "Refunded",
    "failed": "Failed",
    "canceled": "Canceled",
    "released": "Authorization canceled: not charged",
}
RECEIPT_STATES = {"partially_refunded": "Partly refunded", "refunded": "Refunded"}
RECENT = 25


@dataclass(frozen=True)
class RefundLine:
    amount: int
    currency: str
    state: str  # a refund's state, or "released" for a canceled authorization
    reason: str
    note: str
    card: str
    at: datetime | None
    failure_message: str | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def live(self) -> bool:
        return self.state in LIVE or self.state == "released"


@dataclass(frozen=True)
class ReceiptRefunds:
    lines: list[RefundLine] = field(default_factory=list)
    returned: int = 0
    state: str = ""  # "", partially_refunded, refunded

    @property
    def label(self) -> str:
        return RECEIPT_STATES.get(self.state, "")


async def refund_lines(payment: Payment, *, everything: bool = False) -> list[RefundLine]:
    """The payment's refunds, oldest first (failed ones only with `everything`), plus what Stripe
    reports refunded beyond them and a canceled authorization."""
    refunds = await Refund.objects().where(Refund.payment == payment.id).order_by(Refund.id)
    return refund_lines_of(payment, refunds, everything=everything)


def refund_lines_of(payment: Payment, refunds: list[Refund], *, everything: bool = False) -> list[RefundLine]:
    """`refund_lines` from the payment's refund rows (oldest first) its caller has read."""
    rows = [r for r in refunds if everything or r.state in LIVE]
    card = card_label(payment)
    lines = [
        RefundLine(
            r.amount,
            r.currency,
            r.state,
            REASONS.get(r.reason, r.reason),
            r.note,
            card,
            r.created_at,
            r.failure_message,
        )
        for r in rows
    ]
    beyond = (payment.amount_refunded or 0) - sum(line.amount for line in lines if line.live)
    if beyond > 0:
        lines.append(RefundLine(beyond, payment.currency, "succeeded", "", MADE_ELSEWHERE, card, None))
    if payment.state == CANCELED and payment.settled_at is not None:
        held = card_took(payment.amount, payment.amount_charged)
        lines.append(RefundLine(held, payment.currency, "released", "", "", card, payment.updated_at))
    return lines


async def receipt_refunds(receipt_id: int, payments: list[Payment] | None = None) -> ReceiptRefunds:
    """What was given back on the receipt's card payments (`payments`, when the caller has them)."""
    if payments is None:
        payments = await Payment.objects().where(Payment.receipt == receipt_id).order_by(Payment.id)
    lines = await _lines_of(payments)
    if not sum(line.amount for line in lines):
        return ReceiptRefunds(lines)
    total = await Receipt.select(Receipt.total).where(Receipt.id == receipt_id).first()
    return _summed(lines, payments, None if total is None else int(total["total"]))


async def receipt_refunds_of(payments: list[Payment], total: int, *, any_refund: bool = True) -> ReceiptRefunds:
    """`receipt_refunds` for a receipt whose total and card payments (oldest first) the caller has
    read; `any_refund=False`: the caller has read that none of them has a refund row (no query)."""
    lines = await _lines_of(payments, any_refund)
    return _summed(lines, payments, total) if sum(line.amount for line in lines) else ReceiptRefunds(lines)


async def _lines_of(payments: list[Payment], any_refund: bool = True) -> list[RefundLine]:
    """The refund lines of these payments, their refunds read in one query (none without a payment;
    a refund made elsewhere may be told of a payment in any state)."""
    by_payment: dict[int, list[Refund]] = {payment.id: [] for payment in payments}
    for row in await sql.refunds_of(list(by_payment)) if by_payment and any_refund else []:
        by_payment[int(row["payment"])].append(Refund(**row, _exists_in_db=True))
    return [line for payment in payments for line in refund_lines_of(payment, by_payment[payment.id])]


def _summed(lines: list[RefundLine], payments: list[Payment], total: int | None) -> ReceiptRefunds:
    returned = sum(line.amount for line in lines)
    tips = sum(p.tip_amount or 0 for p in payments if p.state in SETTLED)  # given back too when all is
    whole = total is not None and returned >= total + tips
    return ReceiptRefunds(lines, returned, "refunded" if whole else "partially_refunded")


async def receipts_of(payments: list[Payment]) -> dict[int, tuple[int, str]]:
    """Receipt id -> (receipt number, warehouse name) for the payments' receipts, in one query."""
    ids = [int(p.receipt) for p in payments] or [0]
    rows = await Receipt.select(Receipt.id, Receipt.number, Receipt.warehouse._.name).where(Receipt.id.is_in(ids))
    return {int(row["id"]): (int(row["number"] or 0), str(row["warehouse.name"] or "")) for row in rows}


@dataclass(frozen=True)
class PaymentRow:
    """A captured card payment in the admin's list, with what has been given back."""

    id: int
    receipt_id: int
    receipt_number: int
    warehouse: str
    amount: int
    refunded: int
    currency: str
    card: str
    state: str
    at: datetime | None


async def captured_payments(receipt_number: int | None = None) -> list[PaymentRow]:
    """Recent captured payments (newest first), or those of receipts with this number."""
    query = Payment.objects().where(Payment.state.is_in(list(SETTLED)))
    if receipt_number is not None:
        numbered = await Receipt.select(Receipt.id).where(Receipt.number == receipt_number)
        query = query.where(Payment.receipt.is_in([row["id"] for row in numbered] or [0]))
    payments = await query.order_by(Payment.id, ascending=False).limit(RECENT)
    by_id = await receipts_of(payments)
    live = await Refund.select(Refund.payment, Refund.amount).where(
        Refund.payment.is_in([p.id for p in payments] or [0]) & Refund.state.is_in(list(LIVE))
    )
    rows = []
    for p in payments:
        number, warehouse = by_id.get(int(p.receipt), (0, ""))
        given_back = max(sum(int(r["amount"]) for r in live if r["payment"] == p.id), p.amount_refunded or 0)
        rows.append(
            PaymentRow(
                p.id,
                int(p.receipt),
                number,
                warehouse,
                card_took(p.amount, p.amount_charged),  # what Stripe took, tip included
                given_back,
                p.currency,
                card_label(p),
                p.state,
                p.settled_at,
            )
        )
    return rows
