"""The day's card figures checked against Stripe's own records, receipt by receipt.

Stripe is read once when a report is made: the charges and the refunds created in the day's span
(`created[gte]`/`created[lt]`, a page of 100 per call), each page taken from the reports' call
budget (kiosk/stripe_account/budget.py) so closing the day never spends the rate limit the tills
need. The account may serve other warehouses (and other software): a charge belongs to this
warehouse when its PaymentIntent is one of the warehouse's payments, or, unknown to the kiosk, when
its metadata names the warehouse. Every difference is listed with its receipt: a charge the kiosk
does not count on this day, a payment Stripe did not charge on this day, an amount that differs,
the same for refunds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from kiosk.payments.settlement import CARD_SETTLED, card_took
from kiosk.payments.tables import Payment, Refund
from kiosk.reports.figures import REFUND_GIVEN, REFUND_RECEIPT, Scope
from kiosk.stripe_account.day_objects import DayCharge, DayRefund
from kiosk.stripe_account.errors import PaymentError
from kiosk.stripe_account.gateway import StripeGateway

T = TypeVar("T")
# Ids per IN (...) lookup: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
# Pages read at most per list (100 objects a page): a day beyond this is not checked rather than
# spending the account's rate limit for minutes.
MAX_PAGES = 200


@dataclass(frozen=True)
class Mismatch:
    receipt: str  # the receipt's number, "" when no receipt of this warehouse is known
    problem: str
    kiosk: int | None  # what the kiosk counts (None: nothing)
    stripe: int | None  # what Stripe says (None: nothing)
    reference: str  # the Stripe object it is about (pi_, ch_, re_)


@dataclass(frozen=True)
class StripeCheck:
    checked: bool
    unchecked: str  # why Stripe was not asked, or could not answer ("" when checked)
    charged: int = 0  # what Stripe says it charged this warehouse on the day
    refunded: int = 0
    kiosk_charged: int = 0
    kiosk_refunded: int = 0
    mismatches: tuple[Mismatch, ...] = ()


def not_checked(reason: str) -> StripeCheck:
    return StripeCheck(False, reason)


async def _all_pages(
    read: Callable[[str | None], Awaitable[tuple[list[T], bool]]], id_of: Callable[[T], str]
) -> list[T]:
    found: list[T] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        page, more = await read(after)
        found.extend(page)
        if not more:
            return found
        after = id_of(page[-1])
    raise OverflowError(f"more than {MAX_PAGES * 100} objects in one day")


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def _payments_by_intent(intent_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Kiosk payments (any warehouse, any day) for these PaymentIntents, with their receipt."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(intent_ids):
        rows = await Payment.select(
            Payment.payment_intent_id,
            Payment.amount,
            Payment.state,
            Payment.settled_at,
            Payment.receipt.warehouse,
            Payment.receipt.number,
        ).where(Payment.payment_intent_id.is_in(chunk))
        found.update({str(r["payment_intent_id"]): r for r in rows})
    return found


async def check_day(gateway: StripeGateway, scope: Scope) -> StripeCheck:
    """Read Stripe's charges and refunds of the day and compare them with the kiosk's."""
    start, end = int(scope.start.timestamp()), int(scope.end.timestamp())
    try:
        charges = await _all_pages(lambda after: gateway.charges_page(start, end, after), lambda c: c.id)
        refunds = await _all_pages(lambda after: gateway.refunds_page(start, end, after), lambda r: r.id)
    except PaymentError as exc:
        return not_checked(f"Stripe could not be asked: {exc}")
    except OverflowError as exc:
        return not_checked(f"Stripe lists {exc}; check this day in the Stripe Dashboard.")
    charge_problems, charged, kiosk_charged = await _compare_charges(scope, charges)
    refund_problems, refunded, kiosk_refunded = await _compare_refunds(scope, refunds)
    mismatches = tuple(sorted([*charge_problems, *refund_problems], key=_receipt_order))
    return StripeCheck(True, "", charged, refunded, kiosk_charged, kiosk_refunded, mismatches)


def _receipt_order(m: Mismatch) -> tuple[int, str]:
    return (int(m.receipt) if m.receipt.isdigit() else 0, m.reference)


async def _compare_charges(scope: Scope, charges: list[DayCharge]) -> tuple[list[Mismatch], int, int]:
    day = await Payment.select(
        Payment.payment_intent_id, Payment.amount, Payment.amount_charged, Payment.receipt.number
    ).where(
        (Payment.receipt.warehouse == scope.warehouse_id)
        & Payment.state.is_in(list(CARD_SETTLED))
        & (Payment.settled_at >= scope.start)
        & (Payment.settled_at < scope.end)
    )
    ours = {str(r["payment_intent_id"]): r for r in day if r["payment_intent_id"]}
    taken = [c for c in charges if c.taken and c.payment_intent_id]
    known = await _payments_by_intent(str(c.payment_intent_id) for c in taken if c.payment_intent_id not in ours)
    problems: list[Mismatch] = []
    charged = 0
    seen: set[str] = set()
    for charge in taken:
        intent = str(charge.payment_intent_id)
        payment = ours.get(intent) or known.get(intent)
        if payment is None and charge.warehouse != str(scope.warehouse_id):
            continue  # another warehouse's, or another program's on the same account
        if payment is not None and intent not in ours and int(payment["receipt.warehouse"]) != scope.warehouse_id:
            continue
        charged += charge.taken
        seen.add(intent)
        receipt = str(payment["receipt.number"]) if payment else ""
        if payment is None:
            problems.append(
                Mismatch(
                    receipt, "Stripe charged it; the kiosk has no such card payment.", None, charge.taken, charge.id
                )
            )
        elif intent not in ours:
            state = str(payment["state"])
            problem = (
                "Stripe charged it on this day; the kiosk counts it on another day."
                if state in CARD_SETTLED
                else f"Stripe charged it; the kiosk has the payment as {state}."
            )
            problems.append(Mismatch(receipt, problem, None, charge.taken, charge.id))
        elif _took(payment) != charge.taken:
            problems.append(Mismatch(receipt, "The amounts differ.", _took(payment), charge.taken, charge.id))
    for intent, row in ours.items():
        if intent not in seen:
            problems.append(
                Mismatch(
                    str(row["receipt.number"]),
                    "The kiosk counts it; Stripe has no charge for it on this day.",
                    _took(row),
                    None,
                    intent,
                )
            )
    return problems, charged, sum(_took(r) for r in day)


def _took(payment: dict[str, Any]) -> int:
    """What the kiosk recorded Stripe took (a tip on the reader included), else what it asked."""
    return card_took(int(payment["amount"]), payment.get("amount_charged"))


async def _compare_refunds(scope: Scope, refunds: list[DayRefund]) -> tuple[list[Mismatch], int, int]:
    day = await Refund.select(
        Refund.stripe_refund_id, Refund.amount, Refund.payment.payment_intent_id, REFUND_RECEIPT.number
    ).where(
        (REFUND_RECEIPT.warehouse == scope.warehouse_id)
        & Refund.state.is_in(list(REFUND_GIVEN))
        & (Refund.created_at >= scope.start)
        & (Refund.created_at < scope.end)
    )
    ours = {str(r["stripe_refund_id"]): r for r in day if r["stripe_refund_id"]}
    given = [r for r in refunds if r.given_back and r.payment_intent_id]
    payments = await _payments_by_intent(str(r.payment_intent_id) for r in given if r.id not in ours)
    problems: list[Mismatch] = []
    refunded = 0
    for refund in given:
        row = ours.get(refund.id)
        payment = payments.get(str(refund.payment_intent_id))
        if row is None and (payment is None or int(payment["receipt.warehouse"]) != scope.warehouse_id):
            continue
        refunded += refund.given_back
        if row is None:
            receipt = str(payment["receipt.number"]) if payment else ""
            problems.append(
                Mismatch(
                    receipt,
                    "Stripe refunded it on this day; the kiosk has no such refund that day.",
                    None,
                    refund.given_back,
                    refund.id,
                )
            )
        elif int(row["amount"]) != refund.given_back:
            problems.append(
                Mismatch(
                    str(row["payment.receipt.number"]),
                    "The refunded amounts differ.",
                    int(row["amount"]),
                    refund.given_back,
                    refund.id,
                )
            )
    listed = {r.id for r in given}
    for refund_id, row in ours.items():
        if refund_id not in listed:
            problems.append(
                Mismatch(
                    str(row["payment.receipt.number"]),
                    "The kiosk counts this refund; Stripe has none like it on this day.",
                    int(row["amount"]),
                    None,
                    refund_id,
                )
            )
    return problems, refunded, sum(int(r["amount"]) for r in day)
