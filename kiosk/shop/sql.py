"""The shop room's hand-written SQL (kiosk/db/sql.py runs it on either database): the receipt read
that nearly every till and payment request makes, and the lines and sums a line rung up reads and
writes, where Piccolo's query building cost more than the database. Each column is selected by
itself, so SQLite converts it by its declared type and rows come back as `Receipt.select()` and
`ReceiptLine.select()` give them.
"""

from __future__ import annotations

from typing import Any

from kiosk.db import sql
from kiosk.shop.tables import Receipt, ReceiptLine

_COLUMNS = [column._meta.db_column_name for column in Receipt._meta.columns]
RECEIPT_OF_WAREHOUSE = f"""
SELECT {", ".join(f'r."{name}" AS "{name}"' for name in _COLUMNS)}
FROM receipt r WHERE r.id = {{}} AND r.warehouse = {{}}
"""  # noqa: S608 - only the table's own column names are interpolated; values are bound parameters


async def receipt_of_warehouse(receipt_id: int, warehouse_id: int) -> dict[str, Any] | None:
    """The receipt's row when it is this warehouse's, else None."""
    return await sql.fetch_one(RECEIPT_OF_WAREHOUSE, receipt_id, warehouse_id)


_LINE_COLUMNS = [column._meta.db_column_name for column in ReceiptLine._meta.columns]
RECEIPT_LINES = f"""
SELECT {", ".join(f'l."{name}" AS "{name}"' for name in _LINE_COLUMNS)}
FROM receipt_line l WHERE l.receipt = {{}} ORDER BY l.id
"""  # noqa: S608 - only the table's own column names are interpolated; values are bound parameters
# A line's sums once priced (kiosk/catalogue/pricing.py), and the receipt's.
SET_LINE_SUMS = (
    "UPDATE receipt_line SET discount = {}, receipt_discount = {}, net = {}, tax = {}, gross = {} WHERE id = {}"
)
SET_RECEIPT_SUMS = "UPDATE receipt SET total = {}, net_total = {}, tax_total = {} WHERE id = {}"


async def receipt_lines(receipt_id: int) -> list[dict[str, Any]]:
    """The receipt's lines in the order they were rung up."""
    return await sql.fetch(RECEIPT_LINES, receipt_id)


async def set_line_sums(line_id: int, discount: int, receipt_discount: int, net: int, tax: int, gross: int) -> None:
    await sql.execute(SET_LINE_SUMS, discount, receipt_discount, net, tax, gross, line_id)


async def set_receipt_sums(receipt_id: int, total: int, net_total: int, tax_total: int) -> None:
    await sql.execute(SET_RECEIPT_SUMS, total, net_total, tax_total, receipt_id)


# Locking a receipt for its one writer (PostgreSQL; SQLite's write transaction admits one writer
# already): at every line rung up and every tender taken, as `Receipt.select(Receipt.id)
# .where(Receipt.id == id).lock_rows()` without Piccolo's query building.
LOCK_RECEIPT = "SELECT r.id FROM receipt r WHERE r.id = {} FOR UPDATE"


async def lock_receipt_row(receipt_id: int) -> None:
    """Inside the caller's transaction: waits for and holds the receipt's row lock (PostgreSQL)."""
    await sql.fetch(LOCK_RECEIPT, receipt_id)
