"""Ringing items up: from the catalogue by search, a favourite's button or a scanner, quantities,
line discounts and a discount on the whole receipt.

Domain only, scoped to the till's warehouse like kiosk.till.receipts, in the same write
transaction and receipt lock; after each change the receipt's sums are worked out again
(kiosk/catalogue/pricing.py). A refused action raises ReceiptError and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.catalogue import items as catalogue
from kiosk.catalogue.barcodes import scanned_digits_problem
from kiosk.catalogue.pricing import line_discount, reprice, tax_rules
from kiosk.catalogue.taxes import BASIS, parse_rate, percent_of
from kiosk.db.engine import write_transaction
from kiosk.money.amounts import format_money
from kiosk.shop.lookup import lock_receipt, receipt_row
from kiosk.shop.tables import Receipt, ReceiptLine
from kiosk.till.receipts import (
    MAX_QUANTITY,
    ReceiptError,
    check_editable,
    editable_line,
    parse_money,
    parse_quantity,
)

MAX_REASON = 100
PERCENT, AMOUNT = "percent", "amount"


@dataclass(frozen=True)
class Rung:
    """What a scan or a press added: the item's name and the line's quantity now."""

    item_id: int
    name: str
    quantity: int


async def _add(receipt_id: int, warehouse_id: int, item: catalogue.ItemView) -> Rung:
    async with write_transaction(Receipt._meta.db):
        await lock_receipt(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        await check_editable(receipt)
        price = item.prices.get(receipt["currency"])
        if price is None:
            raise ReceiptError(f"{item.name} has no price in {receipt['currency'].upper()}: nothing was added.")
        # Scanned again: one more of the same line, as long as the line is the item as it was rung up.
        same = (
            await ReceiptLine.select(ReceiptLine.id, ReceiptLine.quantity)
            .where(
                (ReceiptLine.receipt == receipt_id)
                & (ReceiptLine.item_id == item.id)
                & (ReceiptLine.unit_amount == price)
                & (ReceiptLine.discount_percent == 0)
                & (ReceiptLine.discount_fixed == 0)
            )
            .first()
        )
        if same is not None:
            quantity = int(same["quantity"]) + 1
            if quantity > MAX_QUANTITY:
                raise ReceiptError(f"At most {MAX_QUANTITY} of one item on a line.")
            await ReceiptLine.update({ReceiptLine.quantity: quantity}).where(ReceiptLine.id == same["id"])
        else:
            quantity = 1
            rate = item.tax_rate if item.tax_rate is not None else (await tax_rules(warehouse_id)).default_rate
            await ReceiptLine.insert(
                ReceiptLine(
                    receipt=receipt_id,
                    description=item.name,
                    quantity=1,
                    unit_amount=price,
                    item_id=item.id,
                    sku=item.sku,
                    tax_rate=rate,
                )
            )
        await reprice(receipt_id)
    return Rung(item.id, item.name, quantity)


async def add_item(receipt_id: int, warehouse_id: int, item_id: int) -> Rung:
    """A found or favourite item pressed: one more of it."""
    try:
        item = await catalogue.item(item_id)
    except catalogue.ItemNotFound as exc:
        raise ReceiptError("That item is no longer in the catalogue.") from exc
    if not item.active:
        raise ReceiptError(f"{item.name} is no longer sold (inactive in the catalogue).")
    return await _add(receipt_id, warehouse_id, item)


async def scan(receipt_id: int, warehouse_id: int, code: str) -> Rung:
    """A barcode or SKU sent by a scanner (or typed, then Enter): the item with exactly that code."""
    currency = (await receipt_row(receipt_id, warehouse_id))["currency"]
    code = code.strip()
    if not code:
        raise ReceiptError("Scan a barcode, or type a name, SKU or barcode to search.")
    found = await catalogue.by_code(code, currency)
    if found is None:
        problem = scanned_digits_problem(code)
        hint = f" {problem}" if problem else " Search by name, or add it as a line with its price."
        raise ReceiptError(f"No item has the code {code[:48]}: nothing was added.{hint}")
    return await _add(receipt_id, warehouse_id, found)


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if len(reason) > MAX_REASON:
        raise ReceiptError(f"The reason is too long (at most {MAX_REASON} characters).")
    return reason


def parse_discount(value: str, kind: str, currency: str, reason: str) -> tuple[int, int, str]:
    """A typed discount: (percentage in thousandths of a percent, fixed amount, reason); empty means none.
    A discount needs its reason (it is on the receipt and in the day's figures)."""
    if not value.strip() or value.strip() in ("0", "0%"):
        return 0, 0, ""
    why = _reason(reason)
    if kind == PERCENT:
        try:
            points = parse_rate(value)
        except ValueError as exc:
            raise ReceiptError("A discount in percent is a number from 0 to 100, e.g. 10 or 12.5.") from exc
        percent, fixed = points, 0
    elif kind == AMOUNT:
        if value.strip().startswith("-"):
            raise ReceiptError("A discount is a positive amount.")
        percent, fixed = 0, parse_money(value, currency)
    else:
        raise ReceiptError("Choose whether the discount is a percentage or an amount.")
    if not why:
        raise ReceiptError("A discount needs a reason: it is printed on the receipt.")
    return percent, fixed, why


async def change_line(receipt_id: int, warehouse_id: int, line_id: int, quantity: str, discount: str,
                      kind: str, reason: str) -> None:  # fmt: skip
    """A line's quantity and discount, as the cashier set them."""
    async with write_transaction(Receipt._meta.db):
        receipt, line = await editable_line(receipt_id, warehouse_id, line_id)
        count = parse_quantity(quantity)
        percent, fixed, why = parse_discount(discount, kind, receipt["currency"], reason)
        subtotal = count * int(line["unit_amount"])
        off = line_discount({**line, "quantity": count, "discount_percent": percent, "discount_fixed": fixed})
        if off > subtotal:
            raise ReceiptError(
                f"The discount ({format_money(off, receipt['currency'])}) is larger than the line "
                f"({format_money(subtotal, receipt['currency'])})."
            )
        await ReceiptLine.update(
            {
                ReceiptLine.quantity: count,
                ReceiptLine.discount_percent: percent,
                ReceiptLine.discount_fixed: fixed,
                ReceiptLine.discount_reason: why,
            }
        ).where(ReceiptLine.id == line_id)
        await reprice(receipt_id)


async def set_receipt_discount(receipt_id: int, warehouse_id: int, discount: str, kind: str, reason: str) -> None:
    """A discount on the whole receipt (empty or 0 removes it)."""
    async with write_transaction(Receipt._meta.db):
        await lock_receipt(receipt_id)
        receipt = await receipt_row(receipt_id, warehouse_id)
        await check_editable(receipt)
        percent, fixed, why = parse_discount(discount, kind, receipt["currency"], reason)
        lines = await ReceiptLine.select().where(ReceiptLine.receipt == receipt_id)
        if (percent or fixed) and not lines:
            raise ReceiptError("Add what is sold before giving a discount.")
        left = sum(max(int(x["quantity"]) * int(x["unit_amount"]) - line_discount(x), 0) for x in lines)
        off = percent_of(left, percent) if percent else fixed
        if percent > BASIS or off > left:
            raise ReceiptError(
                f"The discount ({format_money(off, receipt['currency'])}) is larger than the receipt "
                f"({format_money(left, receipt['currency'])})."
            )
        await Receipt.update(
            {Receipt.discount_percent: percent, Receipt.discount_fixed: fixed, Receipt.discount_reason: why}
        ).where(Receipt.id == receipt_id)
        await reprice(receipt_id)
