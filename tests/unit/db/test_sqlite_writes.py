"""Transactions on kept SQLite connections: each sees and writes the database exactly as on a new
connection, a rolled-back one leaves nothing behind for the next, and a replaced file is followed."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from piccolo.engine.sqlite import TransactionType
from piccolo.querystring import QueryString

from kiosk.config import PROJECT_ROOT
from kiosk.db.sqlite_reads import FastReadSQLiteEngine


def _make(path: Path, value: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE note (text TEXT)")
        conn.execute("INSERT INTO note VALUES (?)", (value,))


def _notes(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT text FROM note ORDER BY rowid")]


async def _write(engine: FastReadSQLiteEngine, text: str) -> None:
    await engine.run_querystring(QueryString("INSERT INTO note VALUES ({})", text))


async def test_transactions_reuse_one_connection_and_commit(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _make(path, "first")
    engine = FastReadSQLiteEngine(path=str(path))
    engine.keep_writers = True  # as the server does
    used = []
    for text in ("a", "b", "c"):
        async with engine.transaction() as tx:
            used.append(tx.connection._conn)
            await _write(engine, text)
    assert used[0] is used[1] is used[2]
    await _write(engine, "outside a transaction")
    await engine.close_writers()
    assert _notes(path) == ["first", "a", "b", "c", "outside a transaction"]


async def test_a_failed_transaction_leaves_nothing_for_the_next(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _make(path, "first")
    engine = FastReadSQLiteEngine(path=str(path))
    engine.keep_writers = True  # as the server does
    with pytest.raises(RuntimeError):
        async with engine.transaction():
            await _write(engine, "rolled back")
            raise RuntimeError("the work failed")
    async with engine.transaction():
        await _write(engine, "kept")
    await engine.close_writers()
    assert _notes(path) == ["first", "kept"]


async def test_writes_follow_a_replaced_file_or_a_new_path(tmp_path: Path) -> None:
    path, fresh, elsewhere = tmp_path / "kiosk.sqlite", tmp_path / "fresh.sqlite", tmp_path / "other.sqlite"
    _make(path, "old")
    engine = FastReadSQLiteEngine(path=str(path))
    engine.keep_writers = True  # as the server does
    await _write(engine, "one")
    _make(fresh, "new")
    os.replace(fresh, path)
    await _write(engine, "two")
    assert _notes(path) == ["new", "two"]
    _make(elsewhere, "moved")
    engine.path = str(elsewhere)
    async with engine.transaction():
        await _write(engine, "three")
    await engine.close_writers()
    assert _notes(elsewhere) == ["moved", "three"]


def test_a_process_with_kept_connections_still_exits(tmp_path: Path) -> None:
    """A command that wrote (kiosk migrate, kiosk users) ends when its work ends: a kept connection's
    thread does not hold it open."""
    path = tmp_path / "kiosk.sqlite"
    _make(path, "first")
    script = (
        "import asyncio\n"
        "from piccolo.querystring import QueryString\n"
        "from kiosk.db.sqlite_reads import FastReadSQLiteEngine\n"
        f"engine = FastReadSQLiteEngine(path={str(path)!r})\n"
        "engine.keep_writers = True\n"
        "asyncio.run(engine.run_querystring(QueryString(\"INSERT INTO note VALUES ('from a command')\")))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, timeout=60, check=False)
    assert done.returncode == 0
    assert _notes(path) == ["first", "from a command"]


# A transaction's BEGIN goes to the connection's thread with its first statement (LazyBegin).


async def _count(engine: FastReadSQLiteEngine) -> int:
    rows = await engine.run_querystring(QueryString("SELECT COUNT(*) AS n FROM note"))
    return int(rows[0]["n"])


async def test_two_read_then_write_transactions_at_once_lose_nothing(tmp_path: Path) -> None:
    """An IMMEDIATE transaction holds the write lock from its first read: two tills counting and
    writing at once queue one after the other, neither fails nor writes a stale count."""
    path = tmp_path / "kiosk.sqlite"
    _make(path, "first")
    engine = FastReadSQLiteEngine(path=str(path))
    engine.keep_writers = True  # as the server does

    async def count_and_write(name: str) -> None:
        async with engine.transaction(transaction_type=TransactionType.immediate):
            seen = await _count(engine)
            await asyncio.sleep(0.05)  # the other one is trying meanwhile
            await _write(engine, f"{name} saw {seen}")

    await asyncio.gather(count_and_write("a"), count_and_write("b"))
    await engine.close_writers()
    assert sorted(_notes(path)[1:], key=lambda note: note[-1]) in (
        ["a saw 1", "b saw 2"],
        ["b saw 1", "a saw 2"],
    )


async def test_a_transaction_whose_first_statement_fails_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _make(path, "first")
    engine = FastReadSQLiteEngine(path=str(path))
    engine.keep_writers = True  # as the server does
    with pytest.raises(sqlite3.OperationalError):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            await engine.run_querystring(QueryString("INSERT INTO no_such_table VALUES (1)"))
    async with engine.transaction():
        pass  # no statement: nothing to commit, no error
    async with engine.transaction() as tx:
        await _write(engine, "kept")
        assert tx.connection.in_transaction  # the BEGIN went with the first statement
    await engine.close_writers()
    assert _notes(path) == ["first", "kept"]


async def test_a_savepoint_rolled_back_keeps_the_rest_of_the_transaction(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _make(path, "first")
    engine = FastReadSQLiteEngine(path=str(path))
    engine.keep_writers = True  # as the server does
    async with engine.transaction() as tx:
        savepoint = await tx.savepoint()  # before any statement: the BEGIN is sent first
        await _write(engine, "undone")
        await savepoint.rollback_to()
        await _write(engine, "kept")
    await engine.close_writers()
    assert _notes(path) == ["first", "kept"]
