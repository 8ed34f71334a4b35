"""After the catalogue's columns: the sums of older receipts, and one price per item and currency.

Lines and receipts from before had no tax nor discount: their net and gross are what they cost, so
every page that reads the new sums stays true for them. A unique index keeps one price per item and
currency (Piccolo adds table constraints with ALTER TABLE, which SQLite cannot do)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table


class Receipt(Table, tablename="receipt"):
    """Only its database engine runs the SQL below."""


ID = "2026-12-06T04:53:51:679963"
VERSION = "1.38.0"
DESCRIPTION = "catalogue: sums of older receipts; one price per item and currency"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="kiosk", description=DESCRIPTION)

    async def backfill():
        await Receipt.raw("UPDATE receipt_line SET net = quantity * unit_amount, gross = quantity * unit_amount").run()
        await Receipt.raw("UPDATE receipt SET net_total = total").run()
        await Receipt.raw('CREATE UNIQUE INDEX "item_price_item_currency" ON "item_price" ("item", "currency")').run()

    async def drop_index():
        await Receipt.raw('DROP INDEX "item_price_item_currency"').run()

    manager.add_raw(backfill)
    manager.add_raw_backwards(drop_index)
    return manager
