"""Receipts at the till: open one, add lines (or a quick amount), take cash, close when fully paid.

Domain only: no HTTP. Every command is scoped to the caller's warehouse, so a receipt id from
another warehouse is simply not found. Amounts arrive as typed text and are parsed here
(kiosk/money/amounts.py); a refused input raises ReceiptError with a message for the cashier and
changes nothing. What is paid and spoken for (cash, and card payments settled or running) is
kiosk/payments/settlement.py's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.catalogue.pricing import reprice, tax_rules
from kiosk.db.durability import recoverable
from kiosk.db.engine import write_transaction
from kiosk.money.amounts import MoneyError, parse_amount
from kiosk.payments.settlement import balance, has_tenders, refresh_receipt_status
from kiosk.people.auth import now_utc
from kiosk.shop.lookup import ReceiptNotFound, lock_receipt, receipt_row
from kiosk.shop.tables import OPEN, VOIDED, CashTender, Receipt, ReceiptLine
from kiosk.till import sql as till_sql

MAX_QUANTITY = 9999
QUICK_AMOUNT_DESCRIPTION = "Amount"


class ReceiptError(ValueError):
    """A refused till action; the message says why, for the cashier. Nothing was saved."""


@dataclass(frozen=True)
class CashTaken:
    tender_id: int
    amount: int
    change: int
    status: str


async def open_receipt(warehouse_id: int, user_id: int) -> int:
    """A new open receipt numbered next in its warehouse; returns its id."""
    async with write_transaction(Receipt._meta.db):
        bumped = await till_sql.next_receipt_number(warehouse_id)
        if bumped is None:
            raise ReceiptError("This warehouse no longer exists.")
        number = int(bumped["next_receipt_number"]) - 1
        return await till_sql.insert_receipt(warehouse_id, number, bumped["currency"], OPEN, user_id, now_utc())


@dataclass(frozen=True)
class NewSale:
    """A sale opened at the till: its receipt, and why the amount typed with the press was not
    added (None when it was, or when none was typed)."""

    receipt_id: int
    refused: str | None = None


async def open_sale(warehouse_id: int, user_id: int, amount: str = "") -> NewSale:
    """New sale: a new receipt and, when an amount was typed with the press, that amount as its first
    line (a quick amount), in one transaction. An amount that is refused (not a sum of the currency)
    does not stop the sale: the receipt opens empty and `refused` says why, for the field.
    Recoverable (kiosk/db/durability.py): no money is taken on a receipt before its first tender,
    which commits durably and the receipt with it."""
    with recoverable():
        return await _open_sale(warehouse_id, user_id, amount)


async def _open_sale(warehouse_id: int, user_id: int, amount: str) -> NewSale:
    async with write_transaction(Receipt._meta.db):
        receipt_id = await open_receipt(warehouse_id, user_id)  # joins this transaction
        if not amount.strip():
            return NewSale(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        try:
            unit = parse_money(amount, receipt["currency"])
        except ReceiptError as error:
            return NewSale(receipt_id, str(error))
        await _ring_up(receipt, warehouse_id, QUICK_AMOUNT_DESCRIPTION, 1, unit)
        return NewSale(receipt_id)


def parse_quantity(text: str) -> int:
    cleaned = text.strip()
    if not cleaned.isdigit() or not 1 <= int(cleaned) <= MAX_QUANTITY:
        raise ReceiptError(f"The quantity must be a whole number from 1 to {MAX_QUANTITY}.")
    return int(cleaned)


def parse_money(text: str, currency: str) -> int:
    try:
        return parse_amount(text, currency)
    except MoneyError as exc:
        raise ReceiptError(str(exc)) from exc


async def check_editable(receipt: dict[str, Any]) -> None:
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
    async with write_transaction(Receipt._meta.db):
        await lock_receipt(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        count = parse_quantity(quantity)
        unit = parse_money(unit_price, receipt["currency"])
        await check_editable(receipt)
        await _ring_up(receipt, warehouse_id, description, count, unit)


async def _ring_up(receipt: dict[str, Any], warehouse_id: int, description: str, count: int, unit: int) -> None:
    """A line on an editable receipt, inside the caller's write transaction, and the sums again."""
    rules = await tax_rules(warehouse_id)
    await till_sql.insert_line(receipt["id"], description, count, unit, rules.default_rate)
    await reprice(receipt["id"], receipt=receipt, rules=rules)


async def add_quick_amount(receipt_id: int, warehouse_id: int, amount: str) -> None:
    """A single amount typed at the till, without item details (one line, quantity 1)."""
    await add_line(receipt_id, warehouse_id, QUICK_AMOUNT_DESCRIPTION, "1", amount)


async def editable_line(receipt_id: int, warehouse_id: int, line_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Inside the caller's write transaction: the receipt, locked and still editable, and one of its
    lines. ReceiptNotFound for another warehouse's receipt or a line not on it."""
    await lock_receipt(receipt_id)
    receipt = await receipt_row(receipt_id, warehouse_id)
    await check_editable(receipt)
    line = await ReceiptLine.select().where((ReceiptLine.id == line_id) & (ReceiptLine.receipt == receipt_id)).first()
    if line is None:
        raise ReceiptNotFound(line_id)
    return receipt, line


async def remove_line(receipt_id: int, warehouse_id: int, line_id: int) -> None:
    async with write_transaction(Receipt._meta.db):
        await editable_line(receipt_id, warehouse_id, line_id)
        await ReceiptLine.delete().where(ReceiptLine.id == line_id)
        await reprice(receipt_id)


async def take_cash(receipt_id: int, warehouse_id: int, user_id: int, given: str) -> CashTaken:
    """Cash handed over: applies up to what is still owed, the rest is change to give back."""
    async with write_transaction(Receipt._meta.db):
        await lock_receipt(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        if receipt["status"] != OPEN:
            raise ReceiptError(f"This receipt is {receipt['status']}: it takes no more payments.")
        given_amount = parse_money(given, receipt["currency"])
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
    async with write_transaction(Receipt._meta.db):
        await lock_receipt(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        if receipt["status"] != OPEN:
            raise ReceiptError(f"This receipt is {receipt['status']}: it cannot be voided.")
        if await has_tenders(receipt_id):
            raise ReceiptError("Payment has started on this receipt: it cannot be voided.")
        await Receipt.update({Receipt.status: VOIDED, Receipt.closed_at: now_utc()}).where(Receipt.id == receipt_id)
