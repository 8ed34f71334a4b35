"""SQLite's thread connections for deferred transactions (reads that must see one snapshot) and
`engine.batch`, kept open between transactions instead of one per transaction. Write transactions
and single writes run on the event loop's own connection, in turn: kiosk/db/sqlite_lock.py.

Piccolo opens a new aiosqlite connection, and with it a new thread, for every transaction and every
write outside one, and closes it after: about 1 ms of CPU each, several times the write itself, and a
sale makes a dozen of them (receipt, payment, lease, state moves, webhooks). Here a finished
transaction hands its connection back to a small pool, and the next one takes it: the same
connection settings (autocommit, foreign keys, busy timeout), a fresh `BEGIN` each time, so what a
transaction sees and locks is exactly what it would see on a new connection. A connection still in
a transaction when handed back (a failure between BEGIN and COMMIT/ROLLBACK), or kept for another
file (the path changed, or the file was replaced), is closed instead of reused.

A deferred transaction's `BEGIN` goes to the connection's thread with its first statement
(`LazyBegin`): one hand-off fewer per transaction (write transactions, a webhook's or a state move's,
have none: they run on the loop's connection), and nothing else differs: no statement of the
transaction runs before its BEGIN, so it sees and locks what it would have from a BEGIN sent alone
(an IMMEDIATE one takes the write lock before its first read). A transaction that ran no statement
has nothing to commit or roll back.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteTransaction

# Idle connections kept per process; more transactions at once simply open more (closed after).
MAX_IDLE = 8


def file_identity(path: str) -> tuple[str, int, int]:
    """The path and the file behind it now (a replaced file is another file)."""
    try:
        st = os.stat(path)
    except OSError:
        return (path, 0, 0)
    return (path, st.st_dev, st.st_ino)


class PooledConnection:
    """An aiosqlite connection whose `close()` gives it back to its pool; everything else is the
    connection's own (Piccolo's transaction sets `row_factory` and runs `execute` on it)."""

    __slots__ = ("_conn", "_identity", "_pool")

    def __init__(self, pool: WriterPool, identity: tuple[str, int, int], conn: aiosqlite.Connection) -> None:
        object.__setattr__(self, "_pool", pool)
        object.__setattr__(self, "_identity", identity)
        object.__setattr__(self, "_conn", conn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)

    async def close(self) -> None:
        await self._pool.give_back(self._identity, self._conn)


class WriterPool:
    def __init__(self) -> None:
        self._idle: list[tuple[tuple[str, int, int], aiosqlite.Connection]] = []
        self.keeping = False  # off: connections given back are closed

    async def take(self, path: str, opened: Any) -> PooledConnection:
        """An idle connection to the file at `path`, or a new one from `opened()`."""
        identity = file_identity(path)
        while self._idle:
            held, conn = self._idle.pop()
            if held == identity:
                return PooledConnection(self, identity, conn)
            await conn.close()
        return PooledConnection(self, identity, await opened())

    async def close(self) -> None:
        """Stop keeping connections; close the idle ones (those in use close when given back)."""
        self.keeping = False
        while self._idle:
            await self._idle.pop()[1].close()

    async def give_back(self, identity: tuple[str, int, int], conn: aiosqlite.Connection) -> None:
        # Whether its file is still the one at the path is looked at when it is taken again (`take`).
        usable = conn._connection is not None and not conn.in_transaction and self.keeping
        if usable and len(self._idle) < MAX_IDLE:
            self._idle.append((identity, conn))
        else:
            await conn.close()


class LazyBegin(SQLiteTransaction):
    """Piccolo's SQLite transaction whose BEGIN is sent with its first statement (`first`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending = False  # BEGIN not sent yet

    async def begin(self) -> None:
        self.pending = True

    async def first(self, query: str, args: list[Any]) -> list[Any]:
        """BEGIN and the transaction's first statement in one hand-off; its rows."""
        return (await self.run_all([(query, args)]))[0]

    async def run_all(self, statements: list[tuple[str, list[Any]]]) -> list[list[Any]]:
        """Statements (compiled for SQLite) in one hand-off, after the BEGIN if it is still to be
        sent; the rows of each."""
        begin = f"BEGIN {self.transaction_type.value}" if self.pending else None
        try:
            rows: list[list[Any]] = await self.connection._execute(
                _run_all, self.connection._connection, begin, statements
            )
        finally:
            if begin is not None:
                self.pending = not self.connection.in_transaction  # a BEGIN refused (busy) is sent again
        return rows

    async def send_begin(self) -> None:
        """BEGIN alone, before a statement that does not go through `first` (a savepoint)."""
        if self.pending:
            await self.connection.execute(f"BEGIN {self.transaction_type.value}")
            self.pending = False

    async def savepoint(self, name: str | None = None) -> Any:
        await self.send_begin()
        return await super().savepoint(name)

    async def commit(self) -> None:
        if self.pending:  # no statement ran: nothing to commit
            self._committed = True
            return
        await super().commit()  # type: ignore[no-untyped-call]

    async def rollback(self) -> None:
        if self.pending:
            self._rolled_back = True
            return
        await super().rollback()  # type: ignore[no-untyped-call]


def _run_all(conn: sqlite3.Connection, begin: str | None, statements: list[tuple[str, list[Any]]]) -> list[list[Any]]:
    """On the connection's thread: the BEGIN if any, then each statement and its rows (as aiosqlite's
    `execute_fetchall`); the first failure stops the rest."""
    if begin is not None:
        conn.execute(begin)
    results = []
    for query, args in statements:
        cursor = conn.execute(query, args)
        try:
            results.append(cursor.fetchall())
        finally:
            cursor.close()
    return results
