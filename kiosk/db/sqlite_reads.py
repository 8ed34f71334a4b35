"""Piccolo's SQLite engine, with reads that skip the per-query connection.

Piccolo opens a new aiosqlite connection (and with it a new thread) for every query outside a
transaction: about a dozen thread hand-offs for a one-row SELECT, which dominated the cost of a
progress poll. Here a SELECT outside a transaction runs on a connection kept open by the calling
thread, right there: a point read in WAL mode takes microseconds and never waits for a writer, and
each statement sees the latest committed data (autocommit), so every poll still shows the
database's truth. Anything else (writes, transactions) goes through Piccolo unchanged, off the loop.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, dict_factory

# A reader that meets a lock (rare in WAL mode: a checkpoint resetting the log) gives up this fast
# and takes Piccolo's own path instead of holding the event loop.
READ_BUSY_TIMEOUT = 0.05


class FastReadSQLiteEngine(SQLiteEngine):
    """SQLiteEngine whose plain SELECTs run on a per-thread persistent, read-only connection."""

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._readers = threading.local()

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection to the current file (a new one when the path or file changed)."""
        path = str(self.path)
        identity = (path, *_file_id(path))
        held: tuple[tuple[Any, ...], sqlite3.Connection] | None = getattr(self._readers, "held", None)
        if held is not None and held[0] == identity:
            return held[1]
        if held is not None:
            held[1].close()
        conn = sqlite3.connect(
            path,
            timeout=READ_BUSY_TIMEOUT,
            detect_types=self.connection_kwargs.get("detect_types", 0),
            isolation_level=None,
        )
        conn.row_factory = dict_factory
        conn.execute("PRAGMA query_only = 1")
        self._readers.held = (identity, conn)
        return conn

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        if query.lstrip()[:6].upper() == "SELECT":
            try:
                return self._reader().execute(query, args or []).fetchall()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
        return await super()._run_in_new_connection(query, args, query_type, table)


def _file_id(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0)
    return (st.st_dev, st.st_ino)
