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


# The receipt, if it is this warehouse's, with the warehouse's name and printed header; which of its
# rows of other tables exist (each read only when it does: an index probe costs far less than a
# query); its customer link (at most one: `receipt` is unique there); a plain setting's value (the
# card data protection); and the return rights of a user (active, admin, allowed on their own row).
RECEIPT = f"""
SELECT {_columns(Receipt, "r")},
       w.name AS "w_name", w.receipt_name AS "w_receipt_name", w.address AS "w_address", w.phone AS "w_phone",
       EXISTS (SELECT 1 FROM receipt_line l WHERE l.receipt = r.id) AS "has_lines",
       EXISTS (SELECT 1 FROM cash_tender c WHERE c.receipt = r.id) AS "has_cash",
       EXISTS (SELECT 1 FROM payment p WHERE p.receipt = r.id) AS "has_payments",
       EXISTS (SELECT 1 FROM refund f JOIN payment p ON p.id = f.payment WHERE p.receipt = r.id) AS "has_refunds",
       EXISTS (SELECT 1 FROM receipt_return x WHERE x.receipt = r.id) AS "has_returns",
       rc.customer AS "rc_customer", rc.save_card AS "rc_save_card",
       (SELECT s.value FROM kiosk_setting s WHERE s.name = {{}} AND NOT s.encrypted) AS "setting",
       u.active AS "u_active", u.admin AS "u_admin",
       EXISTS (SELECT 1 FROM user_permission up WHERE up."user" = u.id AND up.take_returns) AS "u_returns"
FROM receipt r JOIN warehouse w ON w.id = r.warehouse
LEFT JOIN receipt_customer rc ON rc.receipt = r.id
LEFT JOIN piccolo_user u ON u.id = {{}}
WHERE r.id = {{}} AND r.warehouse = {{}}
"""  # noqa: S608 - only the tables' own column names are interpolated; values are bound parameters
CASH = f"SELECT {_columns(CashTender, 'c')} FROM cash_tender c WHERE c.receipt = {{}} ORDER BY c.id"  # noqa: S608


async def receipt_with_warehouse(
    receipt_id: int, warehouse_id: int, setting: str = "", user_id: int = 0
) -> dict[str, Any] | None:
    """The receipt's row (as `Receipt.select()`) plus its warehouse's `w_name`, `w_receipt_name`,
    `w_address` and `w_phone`; `has_lines`, `has_cash`, `has_payments`, `has_refunds` (of its
    payments), `has_returns` (truthy ints on SQLite); its customer link `rc_customer` and
    `rc_save_card` (NULL without one); the plain setting `setting`'s value (NULL when unset); the
    user's `u_active`, `u_admin` and `u_returns` (NULL, NULL, false for no such user). None when
    the receipt is not this warehouse's."""
    return await sql.fetch_one(RECEIPT, setting, user_id, receipt_id, warehouse_id)


async def cash_tenders(receipt_id: int) -> list[dict[str, Any]]:
    """The receipt's cash tenders, oldest first."""
    return await sql.fetch(CASH, receipt_id)


# Opening a receipt and ringing up a line: the writes every sale makes, inside the caller's
# transaction. The columns Piccolo would fill from their defaults are spelled out.
NEXT_RECEIPT_NUMBER = """
UPDATE warehouse SET next_receipt_number = next_receipt_number + 1
WHERE id = {}
RETURNING next_receipt_number, currency
"""
INSERT_RECEIPT = """
INSERT INTO receipt (warehouse, number, currency, total, status, opened_by, opened_at, closed_at,
    discount_percent, discount_fixed, discount_reason, net_total, tax_total)
VALUES ({}, {}, {}, 0, {}, {}, {}, NULL, 0, 0, '', 0, 0)
RETURNING id
"""
INSERT_LINE = """
INSERT INTO receipt_line (receipt, description, quantity, unit_amount, item_id, sku, tax_rate,
    discount_percent, discount_fixed, discount, discount_reason, receipt_discount, net, tax, gross)
VALUES ({}, {}, {}, {}, NULL, '', {}, 0, 0, 0, '', 0, 0, 0, 0)
"""


async def next_receipt_number(warehouse_id: int) -> dict[str, Any] | None:
    """Takes the warehouse's next receipt number: the row's `next_receipt_number` after the bump,
    and its `currency`; None when there is no such warehouse."""
    rows = await sql.execute(NEXT_RECEIPT_NUMBER, warehouse_id)
    return rows[0] if rows else None


async def insert_receipt(warehouse_id: int, number: int, currency: str, status: str, user_id: int, at: Any) -> int:
    rows = await sql.execute(INSERT_RECEIPT, warehouse_id, number, currency, status, user_id, at)
    return int(rows[0]["id"])


async def insert_line(receipt_id: int, description: str, quantity: int, unit_amount: int, tax_rate: int) -> None:
    """A typed line (no catalogue item), its sums worked out afterwards by `reprice`."""
    await sql.execute(INSERT_LINE, receipt_id, description, quantity, unit_amount, tax_rate)


RETURN_IDS = "SELECT id FROM receipt_return WHERE receipt = {} ORDER BY id"


async def return_ids(receipt_id: int) -> list[int]:
    """The receipt's returns, oldest first (a paid receipt's page asks each time it is drawn)."""
    return [int(row["id"]) for row in await sql.fetch(RETURN_IDS, receipt_id)]
