"""The database engine: SQLite in one file (WAL) by default, PostgreSQL when configured."""

from __future__ import annotations

import sqlite3
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from kiosk.config import Settings

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
    return SQLiteEngine(path=str(settings.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT)


def is_postgres(engine: Any) -> bool:
    return isinstance(engine, PostgresEngine)
