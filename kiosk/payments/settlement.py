"""What a receipt's tenders add up to, and closing it when they cover its total.

Cash tenders are the till's rows; card tenders are this package's `Payment` rows. A card payment
counts as paid once Stripe has confirmed the money (`states.counts_as_paid`); the payments engine
closes the receipt in the same transaction as the state move that settles its last payment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.payments import sql as payments_sql
from kiosk.payments.states import counts_as_paid
from kiosk.payments.tables import Payment
from kiosk.people.auth import now_utc
from kiosk.shop.lookup import ReceiptNotFound
from kiosk.shop.tables import OPEN, PAID, CashTender, Receipt

# Card payments whose money Stripe has confirmed: captured, or authorized and kept for capture
# (an authorization being captured at once counts once captured: payment_states.counts_as_paid).
CARD_SETTLED = frozenset({"succeeded", "requires_capture", "captured"})
# Card payments that hold nothing: every other state (running, declined awaiting a retry,
# needs attention) keeps its amount reserved until it settles or is canceled.
CARD_RELEASED = frozenset({"canceled"})


@dataclass(frozen=True)
class Balance:
    currency: str
    total: int
    paid: int  # cash applied plus settled card payments
    pending: int  # card payments not settled yet and not canceled
    # Tips the customers added on the reader (amount_details.tip), on top of `paid`.
    tips: int = 0
    # What Stripe took beyond the amounts applied to the total (the tips, from amount_received).
    over: int = 0

    @property
    def taken(self) -> int:
        """The receipt's paid total: cash applied plus what Stripe took for its cards, tips included."""
        return self.paid + self.over

    @property
    def due(self) -> int:
        """Still owed on the receipt."""
        return max(self.total - self.paid, 0)

    @property
    def tenderable(self) -> int:
        """What a new tender may still take: owed, minus what running card payments will bring."""
        return max(self.due - self.pending, 0)


@dataclass(frozen=True)
class CardTenderSums:
    """What `balance_of` needs of one card payment (a `Payment` row has these columns)."""

    amount: int
    state: str
    keep_for_capture: bool
    tip_amount: int | None
    amount_charged: int | None


# A card tender as the hand-written reads give it: amount, state, kept for capture, tip, what Stripe took.
CardTender = tuple[int, str, bool, int | None, int | None]


def balance_of(currency: str, total: int, cash: Iterable[int], cards: Iterable[CardTenderSums | Payment]) -> Balance:
    """The receipt's balance from rows its caller has already read: its cash tenders' amounts and
    its card payments (all of them, canceled ones included)."""
    settled = pending = tips = over = 0
    for card in cards:
        if counts_as_paid(card.state, bool(card.keep_for_capture)):
            settled += card.amount
            tips += card.tip_amount or 0
            # Stripe's amount_received, not the amount asked: a tip the kiosk did not ask for still counts.
            if card.amount_charged is not None:
                over += card.amount_charged - card.amount
        elif card.state not in CARD_RELEASED:
            pending += card.amount
    return Balance(currency, total, sum(cash) + settled, pending, tips=tips, over=over)


def balance_from(currency: str, total: int, cash: int, cards: Sequence[CardTender]) -> Balance:
    """`balance_of` with the cash applied as one sum and the card tenders as tuples."""
    return balance_of(currency, total, [cash], [CardTenderSums(*card) for card in cards])


def card_tenders(payments: Iterable[Payment]) -> list[CardTender]:
    """The balance's view of the receipt's payment rows."""
    return [(p.amount, p.state, bool(p.keep_for_capture), p.tip_amount, p.amount_charged) for p in payments]


async def balance(receipt_id: int) -> Balance:
    receipt = await Receipt.select(Receipt.total, Receipt.currency).where(Receipt.id == receipt_id).first()
    if receipt is None:
        raise ReceiptNotFound(receipt_id)
    cash = await CashTender.select(CashTender.amount).where(CashTender.receipt == receipt_id)
    cards = await Payment.select(
        Payment.amount, Payment.state, Payment.keep_for_capture, Payment.tip_amount, Payment.amount_charged
    ).where(Payment.receipt == receipt_id)
    tenders = [
        CardTenderSums(c["amount"], c["state"], bool(c["keep_for_capture"]), c["tip_amount"], c["amount_charged"])
        for c in cards
    ]
    return balance_of(receipt["currency"], receipt["total"], [c["amount"] for c in cash], tenders)


async def has_tenders(receipt_id: int) -> bool:
    """Any cash taken or card payment not canceled: the lines are then what the customer agreed to."""
    return bool(await payments_sql.has_tenders(receipt_id, CARD_RELEASED))  # at every line rung up


async def refresh_receipt_status(receipt_id: int) -> str:
    """Close an open receipt once its tenders cover the total; returns the receipt's status.

    The payments engine calls this after a card payment settles. Safe to call any time, twice,
    or inside the caller's transaction."""
    owed = await balance(receipt_id)
    if owed.total > 0 and owed.due == 0:
        await Receipt.update({Receipt.status: PAID, Receipt.closed_at: now_utc()}).where(
            (Receipt.id == receipt_id) & (Receipt.status == OPEN)
        )
    row = await Receipt.select(Receipt.status).where(Receipt.id == receipt_id).first()
    if row is None:
        raise ReceiptNotFound(receipt_id)
    return str(row["status"])


def card_took(amount: int, amount_charged: int | None) -> int:
    """What a card payment took at Stripe: `amount_charged` (tip included) once Stripe said it,
    else the amount asked."""
    return amount if amount_charged is None else amount_charged
