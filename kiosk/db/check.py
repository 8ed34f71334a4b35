"""Before `kiosk serve` starts its workers: can the database be reached, and has every checked-in
migration run on it? Either failing is one plain line for the operator instead of a traceback from
each worker's startup."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sqlite3
from contextlib import closing

import asyncpg  # type: ignore[import-untyped]

from kiosk import piccolo_migrations
from kiosk.config import Settings

# Piccolo records each migration it has run in this table (its `Migration` table).
RAN = "SELECT name FROM migration WHERE app_name = 'kiosk'"
CONNECT_TIMEOUT = 10.0
NOT_MIGRATED = "run `kiosk migrate` first"


class NoMigrationTable(Exception):
    """The database answers but has never been migrated."""


def checked_in() -> set[str]:
    """The ids of the kiosk's migrations in this checkout."""
    ids = set()
    for module in pkgutil.iter_modules(piccolo_migrations.__path__):
        ids.add(str(importlib.import_module(f"{piccolo_migrations.__name__}.{module.name}").ID))
    return ids


def _ran_sqlite(settings: Settings) -> set[str]:
    # Read-only: checking never creates or changes the file.
    uri = f"{settings.sqlite_path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=CONNECT_TIMEOUT)) as conn:
        try:
            return {row[0] for row in conn.execute(RAN)}
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                raise NoMigrationTable from exc
            raise


async def _ran_postgres(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    try:
        rows = await conn.fetch(RAN)
    except asyncpg.UndefinedTableError as exc:
        raise NoMigrationTable from exc
    finally:
        await conn.close()
    return {row["name"] for row in rows}


def database_problem(settings: Settings) -> str | None:
    """What stops the kiosk from serving on this database, in one line; None when it is ready."""
    if not settings.uses_postgres and not settings.sqlite_path.exists():
        return f"no database at {settings.sqlite_path}: {NOT_MIGRATED}"
    where = "the PostgreSQL database" if settings.uses_postgres else str(settings.sqlite_path)
    try:
        if settings.uses_postgres:
            ran = asyncio.run(_ran_postgres(str(settings.database_url)))
        else:
            ran = _ran_sqlite(settings)
    except NoMigrationTable:
        return f"{where} has not been migrated: {NOT_MIGRATED}"
    except (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        return f"cannot read {where}: {exc or type(exc).__name__}"
    missing = checked_in() - ran
    if missing:
        return f"{where} lacks {len(missing)} of the kiosk's migrations: {NOT_MIGRATED}"
    return None
