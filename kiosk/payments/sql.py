"""The payments room's hand-written SQL for hot paths (kiosk/db/sql.py runs it on either database).

Piccolo's query building costs more CPU than the database for the point reads a sale makes. The
statements below are grouped by the path that uses them; rows come back as Piccolo's own queries
give them (on SQLite, booleans as 0/1).
"""

from __future__ import annotations

from collections.abc import Collection

from kiosk.db import sql
from kiosk.payments.tables import Payment

_PAYMENT_COLUMNS = [column._meta.db_column_name for column in Payment._meta.columns]

# Reads for the receipt page

# Every card payment of a receipt, oldest first, each column by itself (so SQLite converts it by
# its declared type, as Piccolo's own query would).
RECEIPT_PAYMENTS = f"""
SELECT {", ".join(f'p."{name}" AS "{name}"' for name in _PAYMENT_COLUMNS)}
FROM payment p WHERE p.receipt = {{}} ORDER BY p.id
"""  # noqa: S608 - only the table's own column names are interpolated; values are bound parameters


async def receipt_payments(receipt_id: int) -> list[Payment]:
    """The receipt's card payments, oldest first, as `Payment.objects()` would give them."""
    rows = await sql.fetch(RECEIPT_PAYMENTS, receipt_id)
    return [Payment(**{name: row[name] for name in _PAYMENT_COLUMNS}, _exists_in_db=True) for row in rows]


# Whether the receipt has a tender: cash taken, or a card payment in none of the `released` states
# (the caller's; the placeholders are made for them, the states are bound).
HAS_TENDERS = """
SELECT CASE WHEN EXISTS (SELECT 1 FROM cash_tender c WHERE c.receipt = {{}})
         OR EXISTS (SELECT 1 FROM payment p WHERE p.receipt = {{}} AND p.state NOT IN ({released}))
       THEN 1 ELSE 0 END AS "tendered"
"""


async def has_tenders(receipt_id: int, released: Collection[str]) -> bool:
    """Any cash tender, or any card payment whose state is not in `released`, on the receipt."""
    states = sorted(released) or [""]
    text = HAS_TENDERS.format(released=", ".join("{}" for _ in states))
    return bool(await sql.fetch_value(text, receipt_id, receipt_id, *states))
