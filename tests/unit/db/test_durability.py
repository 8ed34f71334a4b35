"""SQLite's commits, durable or recoverable (kiosk/db/durability.py, kiosk/db/sqlite_lock.py): a
transaction begun inside `recoverable()` commits without waiting for the disk (`synchronous =
NORMAL`) and is there for every reader at once; every other one waits for the disk (`FULL`), also
when it joins from inside `recoverable()`; a server's write connection folds its log back into the
database file every so many commits, so the log does not grow without end."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from piccolo.engine.sqlite import TransactionType
from piccolo.querystring import QueryString

from kiosk.db import sqlite_lock
from kiosk.db.durability import is_recoverable, recoverable
from kiosk.db.sqlite_reads import FastReadSQLiteEngine

IMMEDIATE = TransactionType.immediate
NORMAL, FULL = 1, 2  # what `PRAGMA synchronous` answers


def _engine(tmp_path: Path) -> FastReadSQLiteEngine:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "kiosk.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE note (text TEXT)")
    engine = FastReadSQLiteEngine(path=str(path), timeout=30)
    engine.keep_writers = True  # as the server does
    return engine


async def _level_in_transaction(engine: FastReadSQLiteEngine, text: str) -> int:
    async with engine.transaction(transaction_type=IMMEDIATE):
        await engine.run_querystring(QueryString("INSERT INTO note VALUES ({})", text))
        rows = await engine.run_querystring(QueryString("PRAGMA synchronous"))
    return int(rows[0]["synchronous"])


def _log_size(engine: FastReadSQLiteEngine) -> int:
    return os.path.getsize(f"{engine.path}-wal")


def _notes(engine: FastReadSQLiteEngine) -> list[str]:
    with sqlite3.connect(engine.path) as conn:  # another connection: what every reader sees
        return [row[0] for row in conn.execute("SELECT text FROM note ORDER BY rowid")]


async def test_a_recoverable_transaction_does_not_wait_for_the_disk_and_the_next_one_does(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    try:
        assert not is_recoverable()
        with recoverable():
            assert is_recoverable()
            assert await _level_in_transaction(engine, "event recorded") == NORMAL
        assert not is_recoverable()
        assert _notes(engine) == ["event recorded"]  # committed: every reader sees it
        assert await _level_in_transaction(engine, "payment row") == FULL
        assert _notes(engine) == ["event recorded", "payment row"]
        # A single write outside a transaction follows the same rule.
        with recoverable():
            await engine.run_querystring(QueryString("INSERT INTO note VALUES ({})", "single"))
        assert engine.writers.here().synchronous == sqlite_lock.NORMAL
        await engine.run_querystring(QueryString("INSERT INTO note VALUES ({})", "single, durable"))
        assert engine.writers.here().synchronous == sqlite_lock.FULL
        assert _notes(engine)[-2:] == ["single", "single, durable"]
    finally:
        await engine.close_writers()


async def test_a_transaction_joined_inside_recoverable_keeps_the_outer_ones_durability(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    try:
        async with engine.transaction(transaction_type=IMMEDIATE):
            with recoverable():
                async with engine.transaction(transaction_type=IMMEDIATE):  # joins the outer one
                    await engine.run_querystring(QueryString("INSERT INTO note VALUES ({})", "cash"))
                    rows = await engine.run_querystring(QueryString("PRAGMA synchronous"))
        assert int(rows[0]["synchronous"]) == FULL
        assert _notes(engine) == ["cash"]
    finally:
        await engine.close_writers()


async def _log_size_after_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every: int) -> int:
    monkeypatch.setattr(sqlite_lock, "CHECKPOINT_EVERY", every)
    engine = _engine(tmp_path)
    try:
        with recoverable():
            for n in range(60):
                async with engine.transaction(transaction_type=IMMEDIATE):
                    await engine.run_querystring(QueryString("INSERT INTO note VALUES ({})", f"{n:04d}" * 1000))
        assert len(_notes(engine)) == 60
        return _log_size(engine)
    finally:
        await engine.close_writers()


async def test_the_servers_log_is_folded_back_every_so_many_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 60 commits of a 4 KB row each: about 700 KB of log with no checkpoint (the connection's own
    # are off), a few commits' worth when it is folded back every 5 commits (and then started anew).
    never = await _log_size_after_commits(tmp_path / "never", monkeypatch, every=10**9)
    often = await _log_size_after_commits(tmp_path / "often", monkeypatch, every=5)
    assert never > 500_000
    assert often < 120_000
