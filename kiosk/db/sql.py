"""Hand-written SQL for the hot paths: one way to run it, for every room's `sql.py`.

At a chain's volume Piccolo's query building (its `Select`/`Where` objects, compiled per call) costs
more CPU than the database itself for the point reads and writes a sale makes. A room that owns a hot
path keeps its hand-written statements in its own `sql.py` and runs them here. The text must run on
SQLite and PostgreSQL alike: `{}` marks a parameter (Piccolo's placeholder, bound, never formatted);
rows come back as dicts keyed by the column names (alias them `"a.b"` to match what Piccolo's own
queries return). Inside a Piccolo transaction the statement runs on that transaction's connection.

Cheap on both engines: the text is compiled to the engine's placeholders once per statement (not a
`QueryString` per call), and it runs where Piccolo would run it, minus Piccolo's layers: the current
transaction's connection; else on SQLite the engine's own path (a read on the thread's kept
connection, a write on a kept write connection: kiosk/db/sqlite_reads.py); else PostgreSQL's pool
directly (a new connection when there is none, as for a command).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from piccolo.querystring import QueryString

from kiosk.db import pg_kept
from kiosk.db.tables import Setting


def _engine() -> Any:
    return Setting._meta.db


@functools.lru_cache(maxsize=1024)
def _compiled(sql: str, engine_type: str, arg_count: int) -> str:
    """`sql` with its `{}` as the engine's placeholders (`?` / `$1`), as Piccolo compiles it."""
    text, _ = QueryString(sql, *([None] * arg_count)).compile_string(engine_type=engine_type)
    return text


async def _run(sql: str, args: tuple[Any, ...]) -> list[Any]:
    engine = _engine()
    if any(isinstance(arg, QueryString) for arg in args):  # a nested statement: Piccolo's own path
        return list(await engine.run_querystring(QueryString(sql, *args)) or [])
    query = _compiled(sql, engine.engine_type, len(args))
    transaction = engine.current_transaction.get()
    if engine.engine_type == "sqlite":
        if transaction:
            return list(await engine._run_in_existing_connection(transaction.connection, query, list(args)))
        return list(await engine._run_in_new_connection(query, list(args)))
    if transaction:
        return [dict(record) for record in await transaction.connection.fetch(query, *args)]
    held = _held()
    if held is not None:
        return [dict(record) for record in await held.fetch(query, *args)]
    if engine.pool:
        kept = pg_kept.kept_for(engine.pool)
        if kept is not None and (connection := kept.take()) is not None:
            return await kept.run(connection, query, args)  # kiosk/db/pg_kept.py: no acquire, no release
        return [dict(record) for record in await engine.pool.fetch(query, *args)]
    return [dict(record) for record in await engine._run_in_new_connection(query, list(args))]


@dataclass(slots=True)
class _Held:
    """The pool connection a run of reads holds (`one_connection`): its own task's alone (a task
    started meanwhile inherits the context, never the connection), and none once given back."""

    task: Any
    connection: Any


_HELD: ContextVar[_Held | None] = ContextVar("kiosk_sql_held_connection", default=None)


def _held() -> Any:
    """This task's held connection, if it holds one now."""
    held = _HELD.get()
    if held is None or held.connection is None or held.task is not asyncio.current_task():
        return None
    return held.connection


@asynccontextmanager
async def one_connection() -> AsyncIterator[None]:
    """PostgreSQL: the statements run here outside a transaction go to one pool connection (a kept
    one when one is free: kiosk/db/pg_kept.py), taken once for them all. Each still runs on its own
    (autocommit: it sees what is committed when it runs), as through the pool; what is saved is the
    pool's acquire and release around each one, which cost twice the CPU of a point read itself (~40
    of ~60 us). For a short run of reads that nothing else interrupts (a page's rows): the connection
    is nobody else's meanwhile. SQLite, no pool, or inside a transaction or another such run: nothing
    changes."""
    engine = _engine()
    if engine.engine_type == "sqlite" or not engine.pool or engine.current_transaction.get() or _held() is not None:
        yield
        return
    kept = pg_kept.kept_for(engine.pool)
    if kept is None or (connection := kept.take()) is None:
        async with engine.pool.acquire() as pooled, _holding(pooled):
            yield
        return
    with kept.lent(connection):  # given back after the block, or lost (kiosk/db/pg_kept.py)
        async with _holding(connection):
            yield


@asynccontextmanager
async def _holding(connection: Any) -> AsyncIterator[None]:
    """This task's statements outside a transaction go to `connection` meanwhile."""
    held = _Held(asyncio.current_task(), connection)
    token = _HELD.set(held)
    try:
        yield
    finally:
        held.connection = None
        _HELD.reset(token)


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Every row of `sql` with `args` bound to its `{}` placeholders."""
    return await _run(sql, args)


async def fetch_one(sql: str, *args: Any) -> dict[str, Any] | None:
    """The first row of `sql`, or None."""
    rows = await _run(sql, args)
    return rows[0] if rows else None


async def fetch_value(sql: str, *args: Any) -> Any:
    """The first column of the first row of `sql`, or None."""
    rows = await _run(sql, args)
    return next(iter(rows[0].values())) if rows else None


async def execute_all(*statements: tuple[str, Sequence[Any]]) -> list[list[dict[str, Any]]]:
    """Statements `(sql, args)` in order, in the current transaction (their rows, each's). On SQLite
    inside a transaction they go to the connection's thread in one hand-off instead of one each
    (kiosk/db/sqlite_reads.py `run_in_transaction`); a failure stops the rest and fails the call."""
    engine = _engine()
    nested = any(isinstance(arg, QueryString) for _, args in statements for arg in args)
    if engine.engine_type == "sqlite" and not nested and engine.current_transaction.get() is not None:
        compiled = [(_compiled(sql, "sqlite", len(args)), list(args)) for sql, args in statements]
        ran: list[list[dict[str, Any]]] | None = None
        if hasattr(engine, "run_in_transaction"):  # kiosk/db/sqlite_reads.py's engine (not a bare Piccolo one)
            ran = await engine.run_in_transaction(compiled)
        if ran is not None:
            return ran
    return [await _run(sql, tuple(args)) for sql, args in statements]


async def execute(sql: str, *args: Any) -> list[dict[str, Any]]:
    """A write (INSERT/UPDATE/DELETE, with `RETURNING` when its rows are wanted)."""
    return await _run(sql, args)


async def write_together(*statements: tuple[str, Sequence[Any]]) -> None:
    """Writes that do not read each other's effects (rows of different tables, say), in the current
    transaction, their rows not wanted. On PostgreSQL they go as one statement, each a data-modifying
    `WITH` part (one round trip instead of one each; they see the same snapshot, so none may depend
    on another's effect); on SQLite as `execute_all` (one hand-off)."""
    engine = _engine()
    nested = any(isinstance(arg, QueryString) for _, args in statements for arg in args)
    if engine.engine_type != "postgres" or nested or len(statements) < 2:
        await execute_all(*statements)
        return
    parts = ", ".join(f"w{n} AS ({sql.strip()})" for n, (sql, _) in enumerate(statements))
    await _run(f"WITH {parts} SELECT 1", tuple(arg for _, args in statements for arg in args))
