"""Unique pairs Piccolo cannot declare portably: a receipt number once per warehouse, and a user
linked to a warehouse once. Plain unique indexes work the same on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table


class Receipt(Table, tablename="receipt"):
    """The receipt table as this migration knows it: only its database engine runs the SQL below
    (a migration stays as it was written, whatever later becomes of the kiosk's own classes)."""

ID = "2026-11-21T19:23:39:617385"
VERSION = "1.38.0"
DESCRIPTION = "unique pairs: receipt number per warehouse, user per warehouse"

INDEXES = {
    "receipt_warehouse_number_unique": ("receipt", "warehouse", "number"),
    "user_warehouse_user_warehouse_unique": ("user_warehouse", "user", "warehouse"),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="kiosk", description=DESCRIPTION)

    async def create_indexes():
        for name, (table, first, second) in INDEXES.items():
            await Receipt.raw(f'CREATE UNIQUE INDEX "{name}" ON "{table}" ("{first}", "{second}")').run()

    async def drop_indexes():
        for name in INDEXES:
            await Receipt.raw(f'DROP INDEX "{name}"').run()

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
