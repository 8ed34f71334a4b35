"""kiosk.db.sql, the one way rooms run hand-written SQL, on whichever database the run uses
(SQLite, or PostgreSQL with KIOSK_TEST_DATABASE=postgres): values bound never spliced, rows as
Piccolo's own queries give them, and inside a transaction the transaction's own view and fate."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from kiosk.db import sql
from kiosk.db.engine import write_transaction
from kiosk.db.tables import Setting
from tests.kiosk_support import postgres_url

pytestmark = pytest.mark.usefixtures("db")

INSERT = "INSERT INTO kiosk_setting (name, value, encrypted, updated_at) VALUES ({}, {}, {}, {}) RETURNING id"


async def _add(name: str, value: str, encrypted: bool = False) -> int:
    rows = await sql.execute(INSERT, name, value, encrypted, datetime.now(UTC))
    return int(rows[0]["id"])


async def test_rows_come_back_as_piccolo_gives_them() -> None:
    when = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    await sql.execute(INSERT, "shop.name", "Corner shop", True, when)
    rows = await sql.fetch(
        'SELECT s.name AS "setting.name", s.encrypted, s.updated_at FROM kiosk_setting s WHERE s.name = {}',
        "shop.name",
    )
    piccolos = await Setting.select(Setting.name.as_alias("setting.name"), Setting.encrypted, Setting.updated_at)
    assert rows == piccolos
    assert rows[0]["setting.name"] == "shop.name"
    assert rows[0]["updated_at"] == when
    assert bool(rows[0]["encrypted"]) is True


async def test_values_are_bound_never_spliced_into_the_text() -> None:
    hostile = "x'); DELETE FROM kiosk_setting; --"
    await _add("first", "kept")
    await _add(hostile, "{} and ? and $1")
    assert await sql.fetch_value("SELECT value FROM kiosk_setting WHERE name = {}", hostile) == "{} and ? and $1"
    assert await sql.fetch_value("SELECT COUNT(*) FROM kiosk_setting") == 2


async def test_one_row_one_value_or_none() -> None:
    setting_id = await _add("tax.mode", "inclusive")
    assert await sql.fetch_one("SELECT id, value FROM kiosk_setting WHERE name = {}", "tax.mode") == {
        "id": setting_id,
        "value": "inclusive",
    }
    assert await sql.fetch_one("SELECT id FROM kiosk_setting WHERE name = {}", "missing") is None
    assert await sql.fetch_value("SELECT id FROM kiosk_setting WHERE name = {}", "missing") is None
    assert await sql.fetch("SELECT id FROM kiosk_setting WHERE name = {}", "missing") == []


async def test_the_same_text_with_other_values_gives_their_rows() -> None:
    for name in ("a", "b", "c"):
        await _add(name, name.upper())
    query = "SELECT value FROM kiosk_setting WHERE name = {} OR name = {} ORDER BY value"
    assert [row["value"] for row in await sql.fetch(query, "a", "c")] == ["A", "C"]
    assert [row["value"] for row in await sql.fetch(query, "b", "b")] == ["B"]


async def test_inside_a_transaction_it_sees_and_shares_the_transactions_fate() -> None:
    engine = Setting._meta.db
    async with write_transaction(engine):
        await _add("committed", "yes")
        assert await sql.fetch_value("SELECT value FROM kiosk_setting WHERE name = {}", "committed") == "yes"
    with pytest.raises(RuntimeError):
        async with write_transaction(engine):
            await _add("rolled back", "no")
            updated = await sql.execute(
                "UPDATE kiosk_setting SET value = {} WHERE name = {} RETURNING value", "changed", "committed"
            )
            assert updated == [{"value": "changed"}]
            assert await sql.fetch_value("SELECT COUNT(*) FROM kiosk_setting") == 2
            raise RuntimeError("the work failed")
    assert await sql.fetch("SELECT name, value FROM kiosk_setting") == [{"name": "committed", "value": "yes"}]


async def test_a_row_pointing_nowhere_is_refused_inside_a_transaction() -> None:
    engine = Setting._meta.db
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        async with write_transaction(engine):
            await sql.execute(
                "INSERT INTO kiosk_setting (name, value, encrypted, updated_at, updated_by)"
                " VALUES ({}, {}, {}, {}, {})",
                "orphan",
                "x",
                False,
                datetime.now(UTC),
                987654,
            )
    assert await sql.fetch("SELECT name FROM kiosk_setting") == []


async def test_statements_run_together_in_order_and_share_the_transactions_fate() -> None:
    engine = Setting._meta.db
    now = datetime.now(UTC)
    rename = "UPDATE kiosk_setting SET value = {} WHERE name = {} RETURNING value"
    async with write_transaction(engine):
        # The first statement of the transaction: on SQLite its BEGIN goes with them.
        rows = await sql.execute_all(
            (INSERT, ("shop.name", "Corner", False, now)), (rename, ("Corner shop", "shop.name"))
        )
        assert rows[1] == [{"value": "Corner shop"}] and len(rows[0]) == 1
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        async with write_transaction(engine):
            await _add("tax.mode", "inclusive")
            # The second insert breaks the name's uniqueness: the third never runs, nothing is kept.
            await sql.execute_all(
                (rename, ("Other shop", "shop.name")),
                (INSERT, ("tax.mode", "exclusive", False, now)),
                (INSERT, ("never", "run", False, now)),
            )
    assert await sql.fetch("SELECT name, value FROM kiosk_setting") == [{"name": "shop.name", "value": "Corner shop"}]
    # Outside a transaction each statement commits on its own.
    await sql.execute_all((rename, ("Shop", "shop.name")))
    assert await sql.fetch_value("SELECT value FROM kiosk_setting WHERE name = {}", "shop.name") == "Shop"


@contextlib.asynccontextmanager
async def _served_pool() -> AsyncIterator[Any]:
    """PostgreSQL: a pool as the server runs with (the tests' engine runs without one); SQLite: none."""
    engine: Any = Setting._meta.db
    if not postgres_url():
        yield engine
        return
    engine.pool = await asyncpg.create_pool(dsn=engine.config["dsn"], min_size=1, max_size=3)
    try:
        yield engine
    finally:
        await engine.pool.close()
        engine.pool = None


async def test_reads_on_one_connection_see_every_commit_and_a_task_started_meanwhile_reads_beside() -> None:
    count = "SELECT COUNT(*) FROM kiosk_setting"
    async with _served_pool() as engine, sql.one_connection():
        await _add("first", "1")
        async with write_transaction(engine):  # another connection's commit, seen at once
            await _add("second", "2")
        assert await sql.fetch_value(count) == 2
        # A task started here reads on a connection of its own, at the same moment as this one.
        beside = asyncio.create_task(sql.fetch_value(count))
        assert await asyncio.gather(beside, sql.fetch_value(count)) == [2, 2]
        if postgres_url():
            pid = "SELECT pg_backend_pid()"
            assert await sql.fetch_value(pid) == await sql.fetch_value(pid)  # one connection throughout
            with pytest.raises(RuntimeError):
                async with write_transaction(engine):  # a transaction inside keeps its own fate
                    await _add("rolled back", "no")
                    raise RuntimeError("the work failed")
    async with _served_pool(), sql.one_connection():
        assert [row["name"] for row in await sql.fetch("SELECT name FROM kiosk_setting ORDER BY id")] == [
            "first",
            "second",
        ]
