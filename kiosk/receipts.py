"""Receipts at the till: open one, add lines (or a quick amount), take cash, close when fully paid.

Domain only: no HTTP. Every command is scoped to the caller's warehouse, so a receipt id from
another warehouse is simply not found. Amounts arrive as typed text and are parsed here (money.py);
a refused input raises ReceiptError with a message for the cashier and changes nothing.
Card tenders are the payments engine's `Payment` rows; this module only reads them to know how much
is paid (settled card payments) and how much is spoken for (card payments still running).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.auth import now_utc
from kiosk.db import is_postgres, write_transaction
from kiosk.money import MoneyError, parse_amount
from kiosk.payment_states import counts_as_paid
from kiosk.payment_tables import Payment
from kiosk.tables import CashTender, Receipt, ReceiptLine, Warehouse

OPEN, PAID, VOIDED = "open", "paid", "voided"
# Card payments whose money Stripe has confirmed: captured, or authorized and kept for capture
# (an authorization being captured at once counts once captured: payment_states.counts_as_paid).
CARD_SETTLED = frozenset({"succeeded", "requires_capture", "captured"})
# Card payments that hold nothing: every other state (running, declined awaiting a retry,
# needs attention) keeps its amount reserved until it settles or is canceled.
CARD_RELEASED = frozenset({"canceled"})
MAX_QUANTITY = 9999
QUICK_AMOUNT_DESCRIPTION = "Amount"


class ReceiptError(ValueError):
    """A refused till action; the message says why, for the cashier. Nothing was saved."""


class ReceiptNotFound(LookupError):
    """No such receipt in this warehouse."""


@dataclass(frozen=True)
class Balance:
    currency: str
    total: int
    paid: int  # cash applied plus settled card payments
    pending: int  # card payments not settled yet and not canceled

    @property
    def due(self) -> int:
        """Still owed on the receipt."""
        return max(self.total - self.paid, 0)

    @property
    def tenderable(self) -> int:
        """What a new tender may still take: owed, minus what running card payments will bring."""
        return max(self.due - self.pending, 0)


@dataclass(frozen=True)
class CashTaken:
    tender_id: int
    amount: int
    change: int
    status: str


def engine() -> Any:
    return Receipt._meta.db


async def _lock(receipt_id: int) -> None:
    """Serialize writers of one receipt: a row lock on PostgreSQL; SQLite's write transaction
    (BEGIN IMMEDIATE) already admits one writer at a time."""
    if is_postgres(engine()):
        await Receipt.select(Receipt.id).where(Receipt.id == receipt_id).lock_rows()


async def receipt_row(receipt_id: int, warehouse_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Receipt.select().where((Receipt.id == receipt_id) & (Receipt.warehouse == warehouse_id)).first()
    )
    if row is None:
        raise ReceiptNotFound(receipt_id)
    return row


async def balance(receipt_id: int) -> Balance:
    receipt = await Receipt.select(Receipt.total, Receipt.currency).where(Receipt.id == receipt_id).first()
    if receipt is None:
        raise ReceiptNotFound(receipt_id)
    cash = await CashTender.select(CashTender.amount).where(CashTender.receipt == receipt_id)
    cards = await Payment.select(Payment.amount, Payment.state, Payment.keep_for_capture).where(
        Payment.receipt == receipt_id
    )
    paid_cards = [c for c in cards if counts_as_paid(c["state"], c["keep_for_capture"])]
    settled = sum(c["amount"] for c in paid_cards)
    pending = sum(c["amount"] for c in cards if c not in paid_cards and c["state"] not in CARD_RELEASED)
    paid = sum(c["amount"] for c in cash) + settled
    return Balance(receipt["currency"], receipt["total"], paid, pending)


async def has_tenders(receipt_id: int) -> bool:
    """Any cash taken or card payment not canceled: the lines are then what the customer agreed to."""
    if await CashTender.exists().where(CashTender.receipt == receipt_id):
        return True
    return bool(
        await Payment.exists().where((Payment.receipt == receipt_id) & Payment.state.not_in(list(CARD_RELEASED)))
    )


async def open_receipt(warehouse_id: int, user_id: int) -> int:
    """A new open receipt numbered next in its warehouse; returns its id."""
    async with write_transaction(engine()):
        bumped = (
            await Warehouse.update({Warehouse.next_receipt_number: Warehouse.next_receipt_number + 1})
            .where(Warehouse.id == warehouse_id)
            .returning(Warehouse.next_receipt_number, Warehouse.currency)
        )
        if not bumped:
            raise ReceiptError("This warehouse no longer exists.")
        number = bumped[0]["next_receipt_number"] - 1
        receipt = Receipt(
            warehouse=warehouse_id, number=number, currency=bumped[0]["currency"], opened_by=user_id, status=OPEN
        )
        rows = await Receipt.insert(receipt).returning(Receipt.id)
    return int(rows[0]["id"])


def _parse_quantity(text: str) -> int:
    cleaned = text.strip()
    if not cleaned.isdigit() or not 1 <= int(cleaned) <= MAX_QUANTITY:
        raise ReceiptError(f"The quantity must be a whole number from 1 to {MAX_QUANTITY}.")
    return int(cleaned)


def _parse_money(text: str, currency: str) -> int:
    try:
        return parse_amount(text, currency)
    except MoneyError as exc:
        raise ReceiptError(str(exc)) from exc


async def _check_editable(receipt: dict[str, Any]) -> None:
    if receipt["status"] != OPEN:
        raise ReceiptError(f"This receipt is {receipt['status']}: its lines can no longer change.")
    if await has_tenders(receipt["id"]):
        raise ReceiptError("Payment has started on this receipt: its lines can no longer change.")


async def add_line(receipt_id: int, warehouse_id: int, description: str, quantity: str, unit_price: str) -> None:
    """A sold item: description, quantity and unit price (typed), added to the total."""
    description = " ".join(description.split())
    if not description:
        raise ReceiptError("Describe what is sold.")
    if len(description) > 200:
        raise ReceiptError("The description is too long (at most 200 characters).")
    async with write_transaction(engine()):
        await _lock(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        count = _parse_quantity(quantity)
        unit = _parse_money(unit_price, receipt["currency"])
        await _check_editable(receipt)
        await ReceiptLine.insert(
            ReceiptLine(receipt=receipt_id, description=description, quantity=count, unit_amount=unit)
        )
        await Receipt.update({Receipt.total: Receipt.total + count * unit}).where(Receipt.id == receipt_id)


async def add_quick_amount(receipt_id: int, warehouse_id: int, amount: str) -> None:
    """A single amount typed at the till, without item details (one line, quantity 1)."""
    await add_line(receipt_id, warehouse_id, QUICK_AMOUNT_DESCRIPTION, "1", amount)


async def remove_line(receipt_id: int, warehouse_id: int, line_id: int) -> None:
    async with write_transaction(engine()):
        await _lock(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        await _check_editable(receipt)
        line = (
            await ReceiptLine.select().where((ReceiptLine.id == line_id) & (ReceiptLine.receipt == receipt_id)).first()
        )
        if line is None:
            raise ReceiptNotFound(line_id)
        await ReceiptLine.delete().where(ReceiptLine.id == line_id)
        amount = line["quantity"] * line["unit_amount"]
        await Receipt.update({Receipt.total: Receipt.total - amount}).where(Receipt.id == receipt_id)


async def take_cash(receipt_id: int, warehouse_id: int, user_id: int, given: str) -> CashTaken:
    """Cash handed over: applies up to what is still owed, the rest is change to give back."""
    async with write_transaction(engine()):
        await _lock(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        if receipt["status"] != OPEN:
            raise ReceiptError(f"This receipt is {receipt['status']}: it takes no more payments.")
        given_amount = _parse_money(given, receipt["currency"])
        owed = await balance(receipt_id)
        if owed.total <= 0:
            raise ReceiptError("Add what is sold before taking payment.")
        if owed.tenderable <= 0:
            raise ReceiptError("Nothing is left to pay in cash: a card payment is running for the rest.")
        applied = min(given_amount, owed.tenderable)
        change = given_amount - applied
        rows = await CashTender.insert(
            CashTender(receipt=receipt_id, amount=applied, given=given_amount, change=change, taken_by=user_id)
        ).returning(CashTender.id)
        status = await refresh_receipt_status(receipt_id)
    return CashTaken(int(rows[0]["id"]), applied, change, status)


async def void_receipt(receipt_id: int, warehouse_id: int) -> None:
    """Abandon an open receipt nobody has paid anything on (it keeps its number)."""
    async with write_transaction(engine()):
        await _lock(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        if receipt["status"] != OPEN:
            raise ReceiptError(f"This receipt is {receipt['status']}: it cannot be voided.")
        if await has_tenders(receipt_id):
            raise ReceiptError("Payment has started on this receipt: it cannot be voided.")
        await Receipt.update({Receipt.status: VOIDED, Receipt.closed_at: now_utc()}).where(Receipt.id == receipt_id)


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
