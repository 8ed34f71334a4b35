"""Reads on the kept-open connection see every commit at once, follow a replaced database file, and
leave writes to Piccolo's own path."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from piccolo.querystring import QueryString

from kiosk.db import sqlite_reads
from kiosk.db.sqlite_reads import FastReadSQLiteEngine


def _make(path: Path, value: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE note (text TEXT)")
        conn.execute("INSERT INTO note VALUES (?)", (value,))


async def _notes(engine: FastReadSQLiteEngine) -> list[str]:
    rows = await engine.run_querystring(QueryString("SELECT text FROM note ORDER BY rowid"))
    return [row["text"] for row in rows]


async def test_reads_see_commits_from_elsewhere_at_once(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _make(path, "first")
    engine = FastReadSQLiteEngine(path=str(path))
    assert await _notes(engine) == ["first"]
    with sqlite3.connect(path) as other:
        other.execute("INSERT INTO note VALUES ('second')")
    assert await _notes(engine) == ["first", "second"]


async def test_writes_go_through_piccolo_and_are_read_back(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _make(path, "first")
    engine = FastReadSQLiteEngine(path=str(path))
    await engine.run_querystring(QueryString("INSERT INTO note VALUES ({})", "written"))
    assert await _notes(engine) == ["first", "written"]


async def test_a_replaced_file_or_a_new_path_is_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, fresh, elsewhere = tmp_path / "kiosk.sqlite", tmp_path / "fresh.sqlite", tmp_path / "other.sqlite"
    _make(path, "old")
    engine = FastReadSQLiteEngine(path=str(path))
    assert await _notes(engine) == ["old"]
    _make(fresh, "new")
    os.replace(fresh, path)
    later = sqlite_reads.monotonic() + sqlite_reads.FILE_CHECK_SECONDS
    monkeypatch.setattr(sqlite_reads, "monotonic", lambda: later)
    assert await _notes(engine) == ["new"]
    _make(elsewhere, "moved")
    engine.path = str(elsewhere)
    assert await _notes(engine) == ["moved"]
