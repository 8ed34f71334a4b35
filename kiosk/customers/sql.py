"""The customers room's hand-written SQL for the reads a sale's pages make (kiosk/db/sql.py runs
it on either database): the receipt page asks for the receipt's customer and the card data
setting at every draw, and Piccolo's query building cost more than the database for them.
"""

from __future__ import annotations

from typing import Any

from kiosk.db import sql

# Reads for the receipt page

# The receipt's customer link (at most one: `receipt` is unique).
RECEIPT_CUSTOMER = (
    'SELECT rc.customer AS "customer", rc.save_card AS "save_card" FROM receipt_customer rc WHERE rc.receipt = {}'
)
# A plain (not encrypted) setting's value; `encrypted` tested as a truth value (0/1 on SQLite).
PLAIN_SETTING = 'SELECT s.value AS "value" FROM kiosk_setting s WHERE s.name = {} AND NOT s.encrypted'


async def receipt_customer(receipt_id: int) -> dict[str, Any] | None:
    """The receipt's `customer` id and `save_card` (0/1 on SQLite), or None without one."""
    return await sql.fetch_one(RECEIPT_CUSTOMER, receipt_id)


async def plain_setting(name: str) -> str | None:
    """A setting stored in the clear, or None when it is not set (or stored encrypted)."""
    value = await sql.fetch_value(PLAIN_SETTING, name)
    return None if value is None else str(value)
