"""The catalogue's hand-written SQL for the reads a sale's pages make (kiosk/db/sql.py runs it on
either database): the receipt page shows the favourites' touch grid at every draw while items can
be added, and every line rung up reads the warehouse's tax rules; Piccolo's query building cost
more than the database for these reads.
"""

from __future__ import annotations

from typing import Any

from kiosk.db import sql

# Reads for the receipt page

# Active favourite items, by category then name, each with its price in one currency (NULL: none).
# Booleans are tested as truth values: 0/1 on SQLite, boolean on PostgreSQL.
FAVOURITES = """
SELECT i.id AS "id", i.name AS "name", i.sku AS "sku", i.barcode AS "barcode", i.barcode_kind AS "barcode_kind",
       i.category AS "category", i.tax_rate AS "tax_rate", i.active AS "active", i.favourite AS "favourite",
       p.amount AS "price"
FROM catalogue_item i
LEFT JOIN item_price p ON p.item = i.id AND p.currency = {}
WHERE i.active AND i.favourite
ORDER BY i.category, i.search_name
LIMIT {}
"""

# How the warehouse prices and taxes (no row: the defaults).
TAX_RULES = """
SELECT t.prices AS "prices", t.rounding AS "rounding", t.default_rate AS "default_rate"
FROM warehouse_tax t WHERE t.warehouse = {}
"""


async def tax_rules(warehouse_id: int) -> dict[str, Any] | None:
    """The warehouse's `prices`, `rounding` and `default_rate`, or None when it has no row."""
    return await sql.fetch_one(TAX_RULES, warehouse_id)


async def favourites(currency: str, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` active favourite items with `price` in `currency` (None without one)."""
    return await sql.fetch(FAVOURITES, currency, limit)
