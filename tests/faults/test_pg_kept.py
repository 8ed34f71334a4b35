"""The PostgreSQL connections a server keeps aside for single statements (kiosk/db/pg_kept.py): the
hand-written statements run on them, and a statement cancelled halfway or a database restart leaves
the server answering with a full set of working connections again, on the fault suite's own cluster."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import pytest

from kiosk.db import pg_kept, sql
from kiosk.db.engine import start_pool, stop_pool
from tests.faults.pg_cluster import Cluster, new_database, tables_on

PID = "SELECT pg_backend_pid()"


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


async def _pids(kept: pg_kept.KeptConnections) -> set[int]:
    return {await connection.fetchval(PID) for connection in kept.idle}


async def _sleepers() -> int:
    """Queries of the cancelled statement still running on the server (after it had time to stop)."""
    for _ in range(50):
        running = await sql.fetch_value(
            "SELECT COUNT(*) FROM pg_stat_activity"
            " WHERE state = 'active' AND query LIKE {} AND pid <> pg_backend_pid()",
            "%pg_sleep(30)%",
        )
        if running == 0:
            break
        await asyncio.sleep(0.1)
    return int(running)


async def test_statements_run_on_kept_connections_through_a_cancel_and_a_restart(pg_cluster: Cluster) -> None:
    url = await new_database(pg_cluster)
    with tables_on(url) as engine:
        await start_pool(engine)
        try:
            kept = pg_kept.kept_for(engine.pool)
            assert kept is not None
            first = await _pids(kept)
            assert len(first) == pg_kept.KEPT
            # Statements outside a transaction run on the kept connections, not the pool's others.
            assert {await sql.fetch_value(PID) for _ in range(12)} <= first
            async with sql.one_connection():
                assert await sql.fetch_value(PID) == await sql.fetch_value(PID)
                assert await sql.fetch_value(PID) in first

            # A statement cancelled halfway: its connection goes back to the pool, which cancels the
            # query on the server; another connection is kept in its place.
            sleeping = asyncio.create_task(sql.fetch_value("SELECT pg_sleep(30)"))
            await asyncio.sleep(0.5)
            sleeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sleeping
            await _until(lambda: len(kept.idle) == pg_kept.KEPT and kept.missing == 0)
            assert await _sleepers() == 0
            assert await sql.fetch_value("SELECT 40 + 2") == 42

            # The database restarts: statements fail while it is down, work again once it is back,
            # and the server ends up keeping a full set of new connections.
            await asyncio.to_thread(pg_cluster.stop)
            try:
                with pytest.raises(Exception):  # noqa: B017 - whichever error asyncpg gives for a lost server
                    await sql.fetch_value("SELECT 1")
            finally:
                await asyncio.to_thread(pg_cluster.start)
            assert await sql.fetch_value("SELECT 1") == 1
            await _until(lambda: len(kept.idle) == pg_kept.KEPT and kept.missing == 0)
            again = await _pids(kept)
            assert len(again) == pg_kept.KEPT and not again & first
            assert {await sql.fetch_value(PID) for _ in range(12)} <= again
        finally:
            # Stopping gives every kept connection back, so the pool closes without waiting.
            await asyncio.wait_for(stop_pool(engine), timeout=10)
        assert engine.pool is None
        assert pg_kept.kept_for(kept.pool) is None
