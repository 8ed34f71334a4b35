"""The database engine: SQLite in one file (WAL) by default, PostgreSQL when configured."""

from __future__ import annotations

import sqlite3
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import TransactionType

from kiosk.config import Settings
from kiosk.db import foreign_keys, pg_kept, sqlite_types
from kiosk.db.sqlite_reads import FastReadSQLiteEngine

# Reading a foreign key's attributes without a dir() each time (kiosk/db/foreign_keys.py).
foreign_keys.install()
# SQLite's values read and written as Piccolo's converters do, for less CPU (kiosk/db/sqlite_types.py).
sqlite_types.install()

# Connections of a server worker's PostgreSQL pool for transactions and Piccolo's queries (asyncpg's
# default), besides those kept for single statements (kiosk/db/pg_kept.py).
POOL_SIZE = 10

# Seconds a SQLite writer waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT = 30


def enable_wal(path: str) -> None:
    """WAL lets pollers read while a webhook writes; the mode is stored in the file itself."""
    with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def make_engine(settings: Settings) -> Any:
    if settings.uses_postgres:
        return PostgresEngine(config={"dsn": settings.database_url})
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    enable_wal(str(settings.sqlite_path))
    # Plain reads skip Piccolo's connection-per-query (a thread each): see kiosk/db/sqlite_reads.py.
    return FastReadSQLiteEngine(path=str(settings.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT)


def is_postgres(engine: Any) -> bool:
    return isinstance(engine, PostgresEngine)


def write_transaction(engine: Any) -> Any:
    """A transaction for read-then-write work. On SQLite it takes the write lock at BEGIN
    (IMMEDIATE), so two writers queue instead of failing when one upgrades a read lock."""
    if is_postgres(engine):
        return engine.transaction()
    return engine.transaction(transaction_type=TransactionType.immediate)


async def _nothing_to_reset(connection: Any) -> None:
    """A pooled PostgreSQL connection needs no reset between borrowers: the kiosk keeps no session
    state on one (no SET, LISTEN, cursors or session advisory locks: its one advisory lock is
    transaction-scoped). asyncpg still rolls back a transaction left open before this runs."""


async def start_pool(engine: PostgresEngine) -> None:
    """The server's PostgreSQL pool. By default asyncpg sends a reset query (unlock all advisory
    locks, close cursors, unlisten, reset settings) every time a connection goes back to the pool:
    a second round trip for each query the kiosk makes, saved here. A few of its connections are kept
    aside for single statements (kiosk/db/pg_kept.py), and the pool is larger by as many."""
    await engine.start_connection_pool(reset=_nothing_to_reset, max_size=POOL_SIZE + pg_kept.KEPT)
    if engine.pool is not None:  # (the tests run the app without a pool: tests/kiosk_support.py)
        await pg_kept.keep(engine.pool)


async def stop_pool(engine: PostgresEngine) -> None:
    """Give the kept connections back, then close the pool."""
    if engine.pool is not None:
        await pg_kept.let_go(engine.pool)
    await engine.close_connection_pool()
