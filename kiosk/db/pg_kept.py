"""PostgreSQL: a few of the pool's connections kept aside for single statements outside a transaction.

Around every statement outside a transaction, asyncpg's pool takes a connection from a queue, wraps
it in a proxy, arms an inactivity timer and, to give it back, runs a shielded release as a task of its
own: about 40 µs of CPU warm and 70 µs after a pause, against 50 µs for the point read itself
(measured on the bench's machine, `uvloop`). A server's hand-written reads and writes
(kiosk/db/sql.py) run ~16 such statements per sale. Here `KEPT` of the pool's own connections are
acquired when the pool starts and handed out from a plain list: taking one and putting it back is a
`pop` and an `append`.

They stay the pool's connections: acquired from it and released to it at the end, so the pool
still opens, resets and closes them. A statement that ends in PostgreSQL's own error leaves its
connection as it was (autocommit: the statement alone was undone). One that ends any other way
(cancelled, connection lost) gives its connection back to the pool, which waits out a cancellation
or closes it, and a replacement is acquired meanwhile; with none free, statements take the pool's
way as before. Transactions and Piccolo's own queries always use the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg  # type: ignore[import-untyped]

# Connections kept aside per pool (per server worker). The pool is made larger by as many
# (kiosk/db/engine.py `start_pool`), so transactions keep the pool's usual number.
KEPT = 4

logger = logging.getLogger(__name__)


class KeptConnections:
    """The kept connections of one pool (`start`, `take`, `run`, `give_back` or `lost`, `stop`)."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.idle: list[Any] = []
        self.missing = 0  # lost and not replaced yet (the database may be down meanwhile)
        self.stopped = False
        self._refilling = False
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(cls, pool: Any, count: int = KEPT) -> KeptConnections:
        kept = cls(pool)
        for _ in range(count):
            kept.idle.append(await pool.acquire())
        return kept

    def take(self) -> Any:
        """An idle kept connection, or None (all busy, lost or stopped): then use the pool. One the
        database closed (a restart) is given back to the pool on the way and replaced."""
        while self.idle:
            connection = self.idle.pop()
            if _open(connection):
                return connection
            self.lost(connection)
        if self.missing:
            self._refill_soon()
        return None

    def give_back(self, connection: Any) -> None:
        """A connection whose statements ended normally or in PostgreSQL's own error."""
        if self.stopped:
            self._later(self._release(connection))
        else:
            self.idle.append(connection)

    def lost(self, connection: Any) -> None:
        """A connection whose statement did not end (cancelled, connection lost): back to the pool,
        which waits out a cancellation or closes it; another is acquired in its place."""
        self._later(self._release(connection))
        self.missing += 1
        self._refill_soon()

    def lent(self, connection: Any) -> _Lent:
        """Around the statements of a taken connection: given back after them, or lost."""
        return _Lent(self, connection)

    async def run(self, connection: Any, query: str, args: tuple[Any, ...]) -> list[Any]:
        """One statement on a taken connection, which is given back (or lost) after it."""
        with self.lent(connection):
            records = await connection.fetch(query, *args)
        return [dict(record) for record in records]

    async def stop(self) -> None:
        """Give every kept connection back to the pool (before it closes); one in use goes back when
        its statement ends. A replacement still being acquired is not waited for."""
        self.stopped = True
        idle, self.idle = self.idle, []
        for connection in idle:
            await self._release(connection)
        for task in list(self._tasks):
            if task.get_name() == _REFILL:
                task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _release(self, connection: Any) -> None:
        with contextlib.suppress(Exception):  # the pool terminates what it cannot reset
            await self.pool.release(connection)

    def _refill_soon(self) -> None:
        if not self._refilling and not self.stopped:
            self._refilling = True
            self._later(self._refill(), name=_REFILL)

    async def _refill(self) -> None:
        try:
            while self.missing and not self.stopped:
                replacement = await self.pool.acquire()
                self.missing -= 1
                self.give_back(replacement)
        except Exception:  # the database is down: the next statement that finds none tries again
            logger.debug("a kept PostgreSQL connection could not be replaced yet", exc_info=True)
        finally:
            self._refilling = False

    def _later(self, work: Any, name: str | None = None) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


_REFILL = "kiosk-pg-kept-refill"


class _Lent:
    """`KeptConnections.lent`: a plain `with` (no generator on the statement's path). Ended normally
    or in PostgreSQL's own error, the connection is given back; any other way, it is lost."""

    __slots__ = ("connection", "kept")

    def __init__(self, kept: KeptConnections, connection: Any) -> None:
        self.kept = kept
        self.connection = connection

    def __enter__(self) -> Any:
        return self.connection

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None or issubclass(kind, asyncpg.PostgresError):
            self.kept.give_back(self.connection)
        else:
            self.kept.lost(self.connection)


def _open(connection: Any) -> bool:
    """Whether a kept connection is still open and still ours: when the server closes a connection,
    the pool takes it back at once and its proxy refuses every call."""
    try:
        return not connection.is_closed()
    except asyncpg.InterfaceError:
        return False


# The kept connections of each running pool, by the pool's identity (Piccolo's engine has slots).
_BY_POOL: dict[int, KeptConnections] = {}


def kept_for(pool: Any) -> KeptConnections | None:
    kept = _BY_POOL.get(id(pool))
    return kept if kept is not None and kept.pool is pool else None


async def keep(pool: Any, count: int = KEPT) -> KeptConnections:
    kept = await KeptConnections.start(pool, count)
    _BY_POOL[id(pool)] = kept
    return kept


async def let_go(pool: Any) -> None:
    kept = _BY_POOL.pop(id(pool), None)
    if kept is not None and kept.pool is pool:
        await kept.stop()
