"""A receipt's sums from its lines, written back where every page and the payments read them.

`reprice` runs inside the till's write transaction after any change of lines or discounts: it works
out each line's discount, share of the receipt's discount, net, tax and gross (kiosk/catalogue/
taxes.py) under the warehouse's tax rules, and sets the receipt's total (gross), net and tax. The
payments charge `Receipt.total`, so what the card is asked for is always these sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.audit import trail as audit
from kiosk.catalogue import sql as catalogue_sql
from kiosk.catalogue.tables import WarehouseTax
from kiosk.catalogue.taxes import (
    EXCLUSIVE,
    INCLUSIVE,
    PER_LINE,
    PER_RECEIPT,
    LineIn,
    Totals,
    compute,
    format_rate,
    parse_rate,
    percent_of,
)
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors
from kiosk.shop import sql as shop_sql
from kiosk.shop.tables import Receipt, Warehouse


@dataclass(frozen=True)
class TaxRules:
    prices: str = INCLUSIVE
    rounding: str = PER_LINE
    default_rate: int = 0


async def tax_rules(warehouse_id: int) -> TaxRules:
    row = await catalogue_sql.tax_rules(warehouse_id)  # read at every line rung up: hand-written
    return TaxRules(row["prices"], row["rounding"], row["default_rate"]) if row else TaxRules()


def line_discount(line: dict[str, Any]) -> int:
    """What a line's own discount comes to: its percentage of the line, or its fixed amount."""
    subtotal = int(line["quantity"]) * int(line["unit_amount"])
    if line["discount_percent"]:
        return percent_of(subtotal, int(line["discount_percent"]))
    return int(line["discount_fixed"])


def receipt_discount(receipt: dict[str, Any], after_lines: int) -> int:
    """What the receipt's discount comes to on what the lines leave after their own discounts."""
    if receipt["discount_percent"]:
        return percent_of(after_lines, int(receipt["discount_percent"]))
    return min(int(receipt["discount_fixed"]), after_lines)


def totals_of(lines: list[dict[str, Any]], receipt: dict[str, Any], rules: TaxRules) -> Totals:
    inputs = [LineIn(int(x["quantity"]), int(x["unit_amount"]), int(x["tax_rate"]), line_discount(x)) for x in lines]
    after_lines = sum(max(i.quantity * i.unit_amount - i.discount, 0) for i in inputs)
    return compute(
        inputs, receipt_discount=receipt_discount(receipt, after_lines), prices=rules.prices, rounding=rules.rounding
    )


async def reprice(receipt_id: int, *, receipt: dict[str, Any] | None = None, rules: TaxRules | None = None) -> Totals:
    """Work the receipt's sums out again and store them (inside the caller's transaction). A caller
    that has read the receipt's row (its discount) and its warehouse's rules in this transaction
    passes them."""
    if receipt is None:
        receipt = await Receipt.select().where(Receipt.id == receipt_id).first()
    if receipt is None:
        raise LookupError(receipt_id)
    if rules is None:
        rules = await tax_rules(int(receipt["warehouse"]))
    lines = await shop_sql.receipt_lines(receipt_id)  # hand-written: at every line rung up
    totals = totals_of(lines, receipt, rules)
    for line, out in zip(lines, totals.lines, strict=True):
        fresh = {
            "discount": out.discount,
            "receipt_discount": out.receipt_discount,
            "net": out.net,
            "tax": out.tax,
            "gross": out.gross,
        }
        if any(line[key] != value for key, value in fresh.items()):
            await shop_sql.set_line_sums(
                int(line["id"]), out.discount, out.receipt_discount, out.net, out.tax, out.gross
            )
    await shop_sql.set_receipt_sums(receipt_id, totals.gross, totals.net, totals.tax)
    return totals


@dataclass(frozen=True)
class WarehouseRules:
    warehouse_id: int
    name: str
    currency: str
    rules: TaxRules


async def all_rules() -> list[WarehouseRules]:
    """Every warehouse with its tax rules, by name (the Taxes admin page)."""
    rules = {
        int(r["warehouse"]): TaxRules(r["prices"], r["rounding"], r["default_rate"])
        for r in await WarehouseTax.select(
            WarehouseTax.warehouse, WarehouseTax.prices, WarehouseTax.rounding, WarehouseTax.default_rate
        )
    }
    rows = await Warehouse.select(Warehouse.id, Warehouse.name, Warehouse.currency).order_by(Warehouse.name)
    return [WarehouseRules(r["id"], r["name"], r["currency"], rules.get(r["id"], TaxRules())) for r in rows]


async def set_rules(warehouse_id: int, prices: str, rounding: str, default_rate: str, actor_id: int) -> TaxRules:
    """A warehouse's tax rules, as an admin set them. Receipts already rung up keep their sums
    until a line changes; each line keeps the rate it was rung up with."""
    errors = {}
    if prices not in (INCLUSIVE, EXCLUSIVE):
        errors["prices"] = "Choose whether prices include tax."
    if rounding not in (PER_LINE, PER_RECEIPT):
        errors["rounding"] = "Choose where tax is rounded: on each line or once per receipt."
    rate = 0
    try:
        rate = parse_rate(default_rate or "0")
    except ValueError as exc:
        errors["default_rate"] = str(exc)
    if errors:
        raise FormErrors(errors)
    async with write_transaction(WarehouseTax._meta.db):
        name = await Warehouse.select(Warehouse.name).where(Warehouse.id == warehouse_id).first()
        if name is None:
            raise LookupError(warehouse_id)
        fields: dict[Any, Any] = {
            WarehouseTax.prices: prices,
            WarehouseTax.rounding: rounding,
            WarehouseTax.default_rate: rate,
        }
        if await WarehouseTax.exists().where(WarehouseTax.warehouse == warehouse_id):
            await WarehouseTax.update(fields).where(WarehouseTax.warehouse == warehouse_id)
        else:
            await WarehouseTax.insert(
                WarehouseTax(warehouse=warehouse_id, prices=prices, rounding=rounding, default_rate=rate)
            )
        await audit.record(actor_id, "catalogue.tax_rules", f"warehouse {name['name']}",
                           {"prices": prices, "rounding": rounding, "default_rate": format_rate(rate)})  # fmt: skip
    return TaxRules(prices, rounding, rate)
