"""The till's hand-written SQL for the reads a sale's pages make (kiosk/db/sql.py runs it on either
database).

The receipt page and its summary are drawn several times a sale; Piccolo's query building cost
more CPU than the database for these point reads. Each column is selected by itself, so SQLite
converts it by its declared type (timestamps) and rows come back as Piccolo's own `select()` gives
them.
"""

from __future__ import annotations

from typing import Any

from kiosk.db import sql
from kiosk.shop.tables import CashTender, Receipt


def _columns(table: Any, alias: str) -> str:
    return ", ".join(f'{alias}."{c._meta.db_column_name}" AS "{c._meta.db_column_name}"' for c in table._meta.columns)


# The receipt, if it is this warehouse's, with the warehouse's name and printed header.
RECEIPT = f"""
SELECT {_columns(Receipt, "r")},
       w.name AS "w_name", w.receipt_name AS "w_receipt_name", w.address AS "w_address", w.phone AS "w_phone"
FROM receipt r JOIN warehouse w ON w.id = r.warehouse
WHERE r.id = {{}} AND r.warehouse = {{}}
"""  # noqa: S608 - only the tables' own column names are interpolated; values are bound parameters
CASH = f"SELECT {_columns(CashTender, 'c')} FROM cash_tender c WHERE c.receipt = {{}} ORDER BY c.id"  # noqa: S608


async def receipt_with_warehouse(receipt_id: int, warehouse_id: int) -> dict[str, Any] | None:
    """The receipt's row (as `Receipt.select()`) plus its warehouse's `w_name`, `w_receipt_name`,
    `w_address` and `w_phone`; None when the receipt is not this warehouse's."""
    return await sql.fetch_one(RECEIPT, receipt_id, warehouse_id)


async def cash_tenders(receipt_id: int) -> list[dict[str, Any]]:
    """The receipt's cash tenders, oldest first."""
    return await sql.fetch(CASH, receipt_id)
