from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T04:54:58:024804"
VERSION = "1.38.0"
DESCRIPTION = "Warehouse.locale: how amounts are written and read there (Babel locale)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="kiosk", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Warehouse",
        tablename="warehouse",
        column_name="locale",
        db_column_name="locale",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": "en_US",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
