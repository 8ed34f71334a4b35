"""SQLite's writers in turn (kiosk/db/sqlite_lock.py): a second writer, in another process or the
same one, waits for the first one's COMMIT and then goes on; a killed holder frees the lock; one
that cannot get it in time says "database is locked" like SQLite and leaves nothing held."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from piccolo.engine.sqlite import TransactionType
from piccolo.querystring import QueryString

from kiosk.config import PROJECT_ROOT
from kiosk.db import sqlite_lock
from kiosk.db.sqlite_reads import FastReadSQLiteEngine

IMMEDIATE = TransactionType.immediate


def _make(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE note (text TEXT)")
        conn.execute("CREATE TABLE counter (n INTEGER)")
        conn.execute("INSERT INTO counter VALUES (0)")


def _notes(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT text FROM note ORDER BY rowid")]


def _engine(path: Path, timeout: float = 30) -> FastReadSQLiteEngine:
    engine = FastReadSQLiteEngine(path=str(path), timeout=timeout)
    engine.keep_writers = True  # as the server does
    return engine


async def _write(engine: FastReadSQLiteEngine, text: str) -> None:
    await engine.run_querystring(QueryString("INSERT INTO note VALUES ({})", text))


async def _count(engine: FastReadSQLiteEngine) -> int:
    rows = await engine.run_querystring(QueryString("SELECT count(*) AS n FROM note"))
    return int(rows[0]["n"])


def _lock_is_free(path: Path) -> bool:
    """What another process sees: can it take the database's write lock right now?"""
    fd = os.open(sqlite_lock.lock_path(str(path)), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


HOLDER = """
import asyncio, sys
from piccolo.engine.sqlite import TransactionType
from piccolo.querystring import QueryString
from kiosk.db.sqlite_reads import FastReadSQLiteEngine

async def main():
    engine = FastReadSQLiteEngine(path=sys.argv[1], timeout=30)
    engine.keep_writers = True
    async with engine.transaction(TransactionType.immediate):
        await engine.run_querystring(QueryString("INSERT INTO note VALUES ('from the other worker')"))
        print("holding", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    print("committed", flush=True)

asyncio.run(main())
"""


def _holder(path: Path) -> subprocess.Popen[str]:
    """Another worker process, in a write transaction until told to commit (a line on its stdin)."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "holding"
    return child


async def test_a_second_worker_waits_for_the_first_commit_then_writes(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _make(path)
    child = _holder(path)
    assert not _lock_is_free(path)  # the other worker's transaction holds the write lock
    engine = _engine(path)
    waits_before = sqlite_lock.FIGURES.waits

    async def second() -> int:
        async with engine.transaction(IMMEDIATE):
            seen = await _count(engine)  # what the transaction saw when it began
            await _write(engine, "from this worker")
            return seen

    task = asyncio.ensure_future(second())
    await asyncio.sleep(0.2)
    assert not task.done()  # waiting for the lock, not failing
    assert child.stdin is not None
    child.stdin.write("commit\n")
    child.stdin.flush()
    assert await task == 1  # it began after the other worker's COMMIT, and saw its row
    assert child.wait(timeout=30) == 0
    assert sqlite_lock.FIGURES.waits == waits_before + 1  # it waited for the lock, not in SQLite's busy handler
    await engine.close_writers()
    assert _notes(path) == ["from the other worker", "from this worker"]
    assert _lock_is_free(path)


async def test_a_killed_worker_frees_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _make(path)
    child = _holder(path)
    assert not _lock_is_free(path)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    engine = _engine(path, timeout=5)
    async with engine.transaction(IMMEDIATE):
        await _write(engine, "after the crash")
    await _write(engine, "and outside a transaction")
    await engine.close_writers()
    assert _notes(path) == ["after the crash", "and outside a transaction"]  # its uncommitted row is gone


async def test_writers_of_one_process_take_turns_and_lose_no_update(tmp_path: Path) -> None:
    """Many read-then-write transactions at once on one process's connections: every increment lands."""
    path = tmp_path / "kiosk.sqlite"
    _make(path)
    engine = _engine(path)

    async def increment() -> None:
        async with engine.transaction(IMMEDIATE):
            rows = await engine.run_querystring(QueryString("SELECT n FROM counter"))
            await asyncio.sleep(0)  # another task runs meanwhile, and waits for its turn
            await engine.run_querystring(QueryString("UPDATE counter SET n = {}", rows[0]["n"] + 1))

    await asyncio.gather(*(increment() for _ in range(40)))
    await engine.close_writers()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT n FROM counter").fetchone()[0] == 40
    assert _lock_is_free(path)


async def test_a_writer_that_waits_too_long_says_database_is_locked_and_holds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _make(path)
    engine = _engine(path, timeout=0.3)
    fd = os.open(sqlite_lock.lock_path(str(path)), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process's writer, stuck
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            async with engine.transaction(IMMEDIATE):
                await _write(engine, "never")
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await _write(engine, "never either")
    finally:
        os.close(fd)  # the stuck writer goes away
    async with engine.transaction(IMMEDIATE):
        await _write(engine, "after")
    await _write(engine, "and again")
    await engine.close_writers()
    assert _notes(path) == ["after", "and again"]
    assert _lock_is_free(path)


async def test_a_cancelled_waiter_leaves_the_lock_free(tmp_path: Path) -> None:
    """A request cancelled while its transaction waits for the lock holds nothing: the lock is free
    for the next writer as soon as the other process lets it go."""
    path = tmp_path / "kiosk.sqlite"
    _make(path)
    engine = _engine(path)
    fd = os.open(sqlite_lock.lock_path(str(path)), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)

    async def waiting() -> None:
        async with engine.transaction(IMMEDIATE):
            await _write(engine, "cancelled")

    task = asyncio.ensure_future(waiting())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    os.close(fd)
    assert _lock_is_free(path)
    async with engine.transaction(IMMEDIATE):
        await _write(engine, "next")
    await engine.close_writers()
    assert _notes(path) == ["next"]


async def test_a_failed_commit_rolls_back_and_frees_the_lock(tmp_path: Path) -> None:
    """A deferred foreign-key violation fails at COMMIT: the transaction is rolled back, not left
    open holding SQLite's lock and the turn."""
    path = tmp_path / "kiosk.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
    engine = _engine(path, timeout=1)
    with pytest.raises(sqlite3.IntegrityError):
        async with engine.transaction(IMMEDIATE):
            await engine.run_querystring(QueryString("INSERT INTO child VALUES (7)"))
    assert _lock_is_free(path)
    async with engine.transaction(IMMEDIATE):
        await engine.run_querystring(QueryString("INSERT INTO parent VALUES (7)"))
        await engine.run_querystring(QueryString("INSERT INTO child VALUES (7)"))
    await engine.close_writers()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT p FROM child").fetchall() == [(7,)]


async def test_a_writer_that_does_not_use_the_lock_file_is_still_waited_for(tmp_path: Path) -> None:
    """Another program (or an older kiosk) writing without the lock file: SQLite's own lock keeps
    the two apart, and the kiosk's writer goes on once the other commits, without an error."""
    path = tmp_path / "kiosk.sqlite"
    _make(path)
    engine = _engine(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO note VALUES ('from another program')")

    async def ours() -> None:
        async with engine.transaction(IMMEDIATE):
            await _write(engine, "from the kiosk")
        await _write(engine, "and a single write")

    task = asyncio.ensure_future(ours())
    await asyncio.sleep(0.2)
    assert not task.done()  # waiting for SQLite's lock (the event loop runs meanwhile)
    other.execute("COMMIT")
    other.close()
    await task
    await engine.close_writers()
    assert _notes(path) == ["from another program", "from the kiosk", "and a single write"]
