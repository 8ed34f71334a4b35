"""The shop room's hand-written SQL (kiosk/db/sql.py runs it on either database): the receipt read
that nearly every till and payment request makes, where Piccolo's query building cost more than the
database. Each column is selected by itself, so SQLite converts it by its declared type and the row
comes back as `Receipt.select()` gives it.
"""

from __future__ import annotations

from typing import Any

from kiosk.db import sql
from kiosk.shop.tables import Receipt

_COLUMNS = [column._meta.db_column_name for column in Receipt._meta.columns]
RECEIPT_OF_WAREHOUSE = f"""
SELECT {", ".join(f'r."{name}" AS "{name}"' for name in _COLUMNS)}
FROM receipt r WHERE r.id = {{}} AND r.warehouse = {{}}
"""  # noqa: S608 - only the table's own column names are interpolated; values are bound parameters


async def receipt_of_warehouse(receipt_id: int, warehouse_id: int) -> dict[str, Any] | None:
    """The receipt's row when it is this warehouse's, else None."""
    return await sql.fetch_one(RECEIPT_OF_WAREHOUSE, receipt_id, warehouse_id)
