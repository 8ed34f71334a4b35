"""Piccolo's SQLite engine, with reads that skip the per-query connection (writes and write
transactions in turn on the event loop: kiosk/db/sqlite_lock.py; deferred transactions on kept
thread connections, each one's BEGIN sent with its first statement: kiosk/db/sqlite_writes.py).

Piccolo opens a new aiosqlite connection (and with it a new thread) for every query outside a
transaction: about a dozen thread hand-offs for a one-row SELECT, which dominated the cost of a
progress poll. Here a SELECT outside a transaction runs on a connection kept open by the calling
thread, right there: a point read in WAL mode takes microseconds and never waits for a writer, and
each statement sees the latest committed data (autocommit), so every poll still shows the
database's truth.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from time import monotonic
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from kiosk.db.sqlite_lock import LoopConnection, TurnTransaction, Writers, write_once
from kiosk.db.sqlite_writes import LazyBegin, WriterPool

# How often a reader looks whether the file at its path is still the one it has open (a new path
# is followed at once). Only replacing the database file under a running server changes it, and
# writes never wait for this: each transaction checks the file it is given (kiosk/db/sqlite_writes.py).
FILE_CHECK_SECONDS = 1.0

# A reader that meets a lock (rare in WAL mode: a checkpoint resetting the log) gives up this fast
# and takes Piccolo's own path instead of holding the event loop.
READ_BUSY_TIMEOUT = 0.05


@dataclass(slots=True)
class _Reader:
    """A thread's read connection, the file it opened, and when that file was last looked at."""

    path: str
    file_id: tuple[int, int]
    conn: sqlite3.Connection
    checked: float


class FastReadSQLiteEngine(SQLiteEngine):
    """SQLiteEngine whose plain SELECTs run on a per-thread persistent, read-only connection."""

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._readers = threading.local()
        self._writers = WriterPool()  # deferred transactions' connections (Piccolo's, on threads)
        self.writers = Writers()  # write transactions' and single writes' (kiosk/db/sqlite_lock.py)

    @property
    def keep_writers(self) -> bool:
        """Only a server keeps write connections (kiosk/app.py, for its lifetime, closed at shutdown
        so the WAL is folded back into the file): a command's connections close after each use."""
        return self._writers.keeping

    @keep_writers.setter
    def keep_writers(self, keep: bool) -> None:
        self._writers.keeping = keep

    async def get_connection(self) -> Any:
        """A transaction's connection: a kept one when one is idle (its `close()` gives it back)."""
        if not self.keep_writers:
            return await super().get_connection()
        return await self._writers.take(str(self.path), self._new_writer)

    @property
    def write_wait(self) -> float:
        """How long a writer waits for its turn before "database is locked" (SQLite's busy timeout)."""
        return float(self.connection_kwargs.get("timeout", 5.0))

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        """A write transaction (IMMEDIATE, EXCLUSIVE) begins in its turn at the database's write
        lock (kiosk/db/sqlite_lock.py); a deferred one is Piccolo's own, its BEGIN sent with its first
        statement (kiosk/db/sqlite_writes.py `LazyBegin`)."""
        if transaction_type == TransactionType.deferred:
            return LazyBegin(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)
        return TurnTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def close_writers(self) -> None:
        """Stop keeping write connections and close the idle ones."""
        self.keep_writers = False
        await self._writers.close()
        self.writers.close()

    async def _new_writer(self) -> Any:
        """Piccolo's connection (`get_connection`), on a daemon thread: a kept connection must not
        hold the process open at exit (its commits are durable already; closing adds nothing)."""
        connection = aiosqlite.connect(**self.connection_kwargs)
        connection._thread.daemon = True
        await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]  # as Piccolo sets it
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection to the current file: a new one when the path changed, or when the
        file behind it is another (replaced: a restored copy), which is looked up at most every
        FILE_CHECK_SECONDS (a stat per read cost a third of a point read)."""
        path = str(self.path)
        held: _Reader | None = getattr(self._readers, "held", None)
        if held is not None and held.path == path:
            now = monotonic()
            if now < held.checked + FILE_CHECK_SECONDS:
                return held.conn
            if _file_id(path) == held.file_id:
                held.checked = now
                return held.conn
        if held is not None:
            held.conn.close()
        file_id = _file_id(path)
        conn = sqlite3.connect(
            path,
            timeout=READ_BUSY_TIMEOUT,
            detect_types=self.connection_kwargs.get("detect_types", 0),
            isolation_level=None,
        )
        conn.row_factory = dict_factory
        conn.execute("PRAGMA query_only = 1")
        self._readers.held = _Reader(path, file_id, conn, monotonic())
        return conn

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        select = query.lstrip()[:6].upper() == "SELECT"
        if select:
            try:
                return self._reader().execute(query, args or []).fetchall()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
        if select or (query_type == "insert" and self.get_version_sync() < 3.35):
            # A read that met a lock above: Piccolo's own path, on a thread (rare: a checkpoint).
            return await super()._run_in_new_connection(query, args, query_type, table)
        # A write outside a transaction (autocommit), in its turn at the write lock, on the event
        # loop's write connection: kiosk/db/sqlite_lock.py.
        return await write_once(self, query, args or [])

    async def _run_in_existing_connection(
        self, connection: Any, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        """A statement inside a transaction in one hand-off to the connection's thread (Piccolo's
        takes four: a `PRAGMA foreign_keys = 1`, the statement, its rows, closing the cursor). The
        pragma does nothing inside a transaction (SQLite ignores it while a BEGIN is pending), and
        every connection a transaction gets has foreign keys on from the start (`get_connection`)."""
        if isinstance(connection, LoopConnection):  # a write transaction's: right here (sqlite_lock.py)
            return connection.raw.execute(query, args or []).fetchall()
        current = self.current_transaction.get()
        lazy = (
            current if isinstance(current, LazyBegin) and current.pending and current.connection is connection else None
        )
        if query_type == "insert" and self.get_version_sync() < 3.35:
            if lazy is not None:
                await lazy.send_begin()
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        connection.row_factory = dict_factory
        if lazy is not None:  # the transaction's first statement: its BEGIN goes with it (sqlite_writes.LazyBegin)
            return await lazy.first(query, args or [])
        return await connection.execute_fetchall(query, args or [])

    async def run_in_transaction(self, statements: list[tuple[str, list[Any]]]) -> list[list[Any]] | None:
        """Statements (compiled for SQLite) of the current transaction together: right here on a
        write transaction's loop connection, else in one hand-off to its connection's thread; None
        when there is no transaction of this engine's own kinds."""
        current = self.current_transaction.get()
        if isinstance(current, TurnTransaction) and isinstance(current.connection, LoopConnection):
            raw = current.connection.raw
            return [raw.execute(query, args).fetchall() for query, args in statements]
        if not isinstance(current, LazyBegin):
            return None
        current.connection.row_factory = dict_factory
        return await current.run_all(statements)


def _file_id(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0)
    return (st.st_dev, st.st_ino)
