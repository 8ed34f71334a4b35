"""The figures of a warehouse's day, added up in SQL: a few GROUP BY queries, never a loop over
receipts, so a day of thousands of receipts reads in milliseconds.

Each source is one async function from the day's `Scope` to a `Part`: the blocks it adds to the
report (sales by tender, by card brand, refunds, declines by reason, canceled payments, per
cashier) and what it does to the cash drawer. A new source of figures (returns at the till, tips)
is one more function in `SOURCES`: the pages, the print, the CSV and the Z report's frozen copy show
every block the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from kiosk.catalogue.taxes import format_rate, plain_rate
from kiosk.money.amounts import format_money
from kiosk.payments.settlement import CARD_SETTLED
from kiosk.payments.states import CANCELED
from kiosk.payments.tables import Payment, PaymentLog, Refund
from kiosk.shop.tables import OPEN, PAID, VOIDED, CashTender, Receipt, ReceiptLine
from kiosk.till.tables import CASH as CASH_BACK
from kiosk.till.tables import ReturnTender

# A refund's receipt, joined through its payment (Piccolo types joins past `Payment.receipt` loosely).
REFUND_RECEIPT: Any = Refund.payment.receipt
LOG_RECEIPT: Any = PaymentLog.payment.receipt
RETURN_RECEIPT: Any = ReturnTender.receipt_return.receipt
# Refund states in which the money is on its way back or returned.
REFUND_GIVEN = ("pending", "requires_action", "succeeded")


@dataclass(frozen=True)
class Scope:
    """Which figures: a warehouse, its currency, and its day as UTC bounds [start, end)."""

    warehouse_id: int
    currency: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Row:
    """One line of a block: `key` is the machine's name (a brand, a code, a user id) for the CSV."""

    label: str
    count: int
    amount: int
    key: str = ""


@dataclass(frozen=True)
class Block:
    key: str
    title: str
    rows: tuple[Row, ...]
    # Whether the block ends with a total line (a per-cashier split would count sales twice otherwise).
    totalled: bool = True
    # Said under the title when the block is empty.
    empty: str = "None."

    @property
    def count(self) -> int:
        return sum(r.count for r in self.rows)

    @property
    def amount(self) -> int:
        return sum(r.amount for r in self.rows)


@dataclass(frozen=True)
class Part:
    """What one source adds: blocks, the cash it put in (or took out of) the drawer, and the net
    takings it stands for (sales count up, money given back counts down)."""

    blocks: tuple[Block, ...] = ()
    cash: int = 0
    takings: int = 0
    notes: tuple[str, ...] = field(default=())


Source = Callable[[Scope], Awaitable[Part]]


def _within(column: Any, scope: Scope) -> Any:
    return (column >= scope.start) & (column < scope.end)


def _int(value: Any) -> int:
    return int(value or 0)


async def tenders(scope: Scope) -> Part:
    """Sales by tender and by card brand: cash applied to receipts (change handed back is not a
    sale), and card payments that took the money on this day (authorized ones kept for capture too)."""
    cash = await CashTender.select(Count(), Sum(CashTender.amount).as_alias("amount")).where(
        (CashTender.receipt.warehouse == scope.warehouse_id) & _within(CashTender.created_at, scope)
    )
    brand = Payment.card_brand
    cards = (
        await Payment.select(
            brand, Count(), Sum(Payment.amount).as_alias("amount"), Sum(Payment.tip_amount).as_alias("tips")
        )
        .where(
            (Payment.receipt.warehouse == scope.warehouse_id)
            & Payment.state.is_in(list(CARD_SETTLED))
            & _within(Payment.settled_at, scope)
        )
        .group_by(brand)
        .order_by(brand)
    )
    cash_row = Row("Cash", _int(cash[0]["count"]), _int(cash[0]["amount"]), "cash")
    # What the cards took: the amounts asked and the tips customers added on the reader.
    brands = tuple(
        Row(
            _brand_label(r["card_brand"]),
            _int(r["count"]),
            _int(r["amount"]) + _int(r["tips"]),
            r["card_brand"] or "unknown",
        )
        for r in cards
    )
    tips = Row("Tips added on the reader", 0, sum(_int(r["tips"]) for r in cards), "tips")
    card_row = Row("Card", sum(b.count for b in brands), sum(b.amount for b in brands), "card")
    return Part(
        blocks=(
            Block("tenders", "Sales by tender", (cash_row, card_row)),
            Block("brands", "Card sales by brand", brands, empty="No card sales."),
            Block("tips", "Tips", (tips,) if tips.amount else (), empty="No tips."),
        ),
        cash=cash_row.amount,
        takings=cash_row.amount + card_row.amount,
    )


def _brand_label(brand: str | None) -> str:
    names = {
        "visa": "Visa",
        "mastercard": "Mastercard",
        "amex": "American Express",
        "discover": "Discover",
        "interac": "Interac",
        "jcb": "JCB",
        "diners": "Diners Club",
        "unionpay": "UnionPay",
    }
    return names.get(brand or "", (brand or "Brand not known yet").capitalize())


async def card_refunds(scope: Scope) -> Part:
    """Money given back on this day: card refunds (through Stripe, on the kiosk's Payments admin or
    a return at the till) and cash handed back over the counter by returns (out of the drawer)."""
    rows = await Refund.select(Count(), Sum(Refund.amount).as_alias("amount")).where(
        (REFUND_RECEIPT.warehouse == scope.warehouse_id)
        & Refund.state.is_in(list(REFUND_GIVEN))
        & _within(Refund.created_at, scope)
    )
    card = Row("Card refunds", _int(rows[0]["count"]), _int(rows[0]["amount"]), "card_refund")
    handed = await ReturnTender.select(Count(), Sum(ReturnTender.amount).as_alias("amount")).where(
        (RETURN_RECEIPT.warehouse == scope.warehouse_id)
        & (ReturnTender.kind == CASH_BACK)
        & _within(ReturnTender.receipt_return.created_at, scope)
    )
    cash = Row("Cash handed back (returns)", _int(handed[0]["count"]), _int(handed[0]["amount"]), "cash_return")
    found = tuple(row for row in (card, cash) if row.count)
    block = Block("refunds", "Returns and refunds", found, empty="No refunds.")
    return Part(blocks=(block,), cash=-cash.amount, takings=-(card.amount + cash.amount))


async def taxes(scope: Scope) -> Part:
    """Receipts paid on this day: net, tax and gross, tax by rate, and the discounts given — from
    their lines as they were charged (kiosk/catalogue/pricing.py)."""
    line_receipt: Any = ReceiptLine.receipt
    paid = (line_receipt.warehouse == scope.warehouse_id) & (line_receipt.status == PAID)
    rows = (
        await ReceiptLine.select(
            ReceiptLine.tax_rate,
            Count(),
            Sum(ReceiptLine.net).as_alias("net"),
            Sum(ReceiptLine.tax).as_alias("tax"),
            Sum(ReceiptLine.gross).as_alias("gross"),
            Sum(ReceiptLine.discount).as_alias("line_discounts"),
            Sum(ReceiptLine.receipt_discount).as_alias("receipt_discounts"),
        )
        .where(paid & _within(line_receipt.closed_at, scope))
        .group_by(ReceiptLine.tax_rate)
        .order_by(ReceiptLine.tax_rate)
    )
    net, tax, gross = (sum(_int(r[k]) for r in rows) for k in ("net", "tax", "gross"))
    lines = sum(_int(r["count"]) for r in rows)
    summary = (Row("Net", lines, net, "net"), Row("Tax", lines, tax, "tax"), Row("Gross", lines, gross, "gross"))
    by_rate = tuple(
        Row(
            f"Tax {format_rate(int(r['tax_rate']))} on {format_money(_int(r['net']), scope.currency)} net "
            f"({format_money(_int(r['gross']), scope.currency)} gross)",
            _int(r["count"]),
            _int(r["tax"]),
            f"tax_{plain_rate(int(r['tax_rate']))}",
        )
        for r in rows
    )
    off = (
        Row("Line discounts", 0, sum(_int(r["line_discounts"]) for r in rows), "line_discounts"),
        Row("Receipt discounts", 0, sum(_int(r["receipt_discounts"]) for r in rows), "receipt_discounts"),
    )
    return Part(
        blocks=(
            Block(
                "sales_tax",
                "Paid receipts: net, tax and gross",
                summary if lines else (),
                totalled=False,
                empty="No paid receipts.",
            ),
            Block("tax_rates", "Tax by rate", by_rate, empty="No tax."),
            Block("discounts", "Discounts given", tuple(r for r in off if r.amount), empty="No discounts."),
        )
    )


async def declines(scope: Scope) -> Part:
    """Every declined attempt of the day by its reason (a retry that paid later still counts once
    for the decline), from the payment log."""
    code = PaymentLog.code
    rows = (
        await PaymentLog.select(code, Count(), Sum(PaymentLog.payment.amount).as_alias("amount"))
        .where((LOG_RECEIPT.warehouse == scope.warehouse_id) & code.is_not_null() & _within(PaymentLog.at, scope))
        .group_by(code)
        .order_by(code)
    )
    found = tuple(Row(_reason(r["code"]), _int(r["count"]), _int(r["amount"]), r["code"]) for r in rows)
    ordered = tuple(sorted(found, key=lambda r: (-r.count, r.label)))
    return Part(blocks=(Block("declines", "Declines by reason", ordered, empty="No declines."),))


def _reason(code: str) -> str:
    return code.replace("_", " ").capitalize()


async def canceled(scope: Scope) -> Part:
    """Card payments canceled on this day: before the card paid, or an authorization released."""
    found: list[Row] = []
    for key, label, settled in (
        ("unpaid", "Canceled before the card paid", False),
        ("released", "Authorization released", True),
    ):
        rows = await Payment.select(Count(), Sum(Payment.amount).as_alias("amount")).where(
            (Payment.receipt.warehouse == scope.warehouse_id)
            & (Payment.state == CANCELED)
            & (Payment.settled_at.is_not_null() if settled else Payment.settled_at.is_null())
            & _within(Payment.updated_at, scope)
        )
        if _int(rows[0]["count"]):
            found.append(Row(label, _int(rows[0]["count"]), _int(rows[0]["amount"]), key))
    return Part(blocks=(Block("canceled", "Canceled card payments", tuple(found), empty="No canceled payments."),))


async def cashiers(scope: Scope) -> Part:
    """Sales per cashier: the cash each one took and the card payments each one started."""
    cash = (
        await CashTender.select(
            CashTender.taken_by, CashTender.taken_by.username, Count(), Sum(CashTender.amount).as_alias("amount")
        )
        .where((CashTender.receipt.warehouse == scope.warehouse_id) & _within(CashTender.created_at, scope))
        .group_by(CashTender.taken_by, CashTender.taken_by.username)
    )
    cards = (
        await Payment.select(
            Payment.created_by, Payment.created_by.username, Count(), Sum(Payment.amount).as_alias("amount")
        )
        .where(
            (Payment.receipt.warehouse == scope.warehouse_id)
            & Payment.state.is_in(list(CARD_SETTLED))
            & _within(Payment.settled_at, scope)
        )
        .group_by(Payment.created_by, Payment.created_by.username)
    )
    people: dict[str, Row] = {}
    for r in [*cash, *cards]:
        user = r.get("taken_by", r.get("created_by"))
        name = r.get("taken_by.username") or r.get("created_by.username") or "(removed user)"
        key = str(user or "")
        before = people.get(key, Row(name, 0, 0, key))
        people[key] = Row(before.label, before.count + _int(r["count"]), before.amount + _int(r["amount"]), key)
    rows = tuple(sorted(people.values(), key=lambda r: r.label.lower()))
    return Part(blocks=(Block("cashiers", "Sales per cashier", rows, totalled=False, empty="No sales."),))


# Every source of the day's figures, in the order the report shows them.
SOURCES: tuple[Source, ...] = (tenders, card_refunds, taxes, declines, canceled, cashiers)


@dataclass(frozen=True)
class ReceiptCounts:
    paid: int
    paid_total: int
    voided: int
    still_open: int


async def receipt_counts(scope: Scope) -> ReceiptCounts:
    """Receipts closed on the day (paid, voided), and those still open at its end (not in the figures)."""
    closed = (
        await Receipt.select(Receipt.status, Count(), Sum(Receipt.total).as_alias("amount"))
        .where((Receipt.warehouse == scope.warehouse_id) & _within(Receipt.closed_at, scope))
        .group_by(Receipt.status)
    )
    by_status = {r["status"]: r for r in closed}
    still_open = await Receipt.count().where(
        (Receipt.warehouse == scope.warehouse_id) & (Receipt.status == OPEN) & (Receipt.opened_at < scope.end)
    )
    paid = by_status.get(PAID, {})
    return ReceiptCounts(
        _int(paid.get("count")), _int(paid.get("amount")), _int(by_status.get(VOIDED, {}).get("count")), still_open
    )
