"""Finding and locking one receipt of a warehouse: the reads the till and the payments share."""

from __future__ import annotations

from typing import Any

from kiosk.db.engine import is_postgres
from kiosk.shop import sql as shop_sql
from kiosk.shop.tables import Receipt


class ReceiptNotFound(LookupError):
    """No such receipt in this warehouse."""


async def receipt_row(receipt_id: int, warehouse_id: int) -> dict[str, Any]:
    """The receipt, if it belongs to this warehouse (a till never sees another's receipts)."""
    row = await shop_sql.receipt_of_warehouse(receipt_id, warehouse_id)  # one hand-written read
    if row is None:
        raise ReceiptNotFound(receipt_id)
    return row


async def lock_receipt(receipt_id: int) -> None:
    """Inside a transaction: one writer of this receipt (its cash and card tenders) at a time. A row
    lock on PostgreSQL; SQLite's write transaction (BEGIN IMMEDIATE) already admits one writer."""
    if is_postgres(Receipt._meta.db):
        await shop_sql.lock_receipt_row(receipt_id)
