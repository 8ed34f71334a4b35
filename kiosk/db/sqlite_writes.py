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
"""

from __future__ import annotations

import os
from typing import Any

import aiosqlite

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
