"""A PostgreSQL cluster of the fault suite's own, which tests may stop and start (a database outage),
with a migrated template database that each test copies (CREATE DATABASE ... TEMPLATE, ~0.1 s).

It runs in the SQLite run and in the PostgreSQL run alike: these tests need PostgreSQL whatever the
rest of the suite uses, and stopping the run's shared cluster would break the tests around them.
The cluster itself is kiosk/bench/postgres.py's, as for the bench and the run's database.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import TABLE_REGISTRY

from kiosk.bench.postgres import Cluster, create_database, throwaway_cluster
from tests.kiosk_support import run_migrate

TEMPLATE = "kiosk_faults_template"
_names = itertools.count(1)


async def new_database(cluster: Cluster) -> str:
    """A fresh migrated database, copied from the template; returns its URL."""
    return await create_database(cluster.url(), f"kiosk_faults_{next(_names)}", template=TEMPLATE)


@contextlib.contextmanager
def dedicated_cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as cluster:
        asyncio.run(create_database(cluster.url(), TEMPLATE))
        result = run_migrate({"KIOSK_DATABASE_URL": cluster.url(TEMPLATE)})
        assert result.returncode == 0, result.stdout + result.stderr
        yield cluster


@contextlib.contextmanager
def tables_on(url: str) -> Iterator[Any]:
    """Point every Piccolo table of this process at `url` for the block (then back)."""
    engine = PostgresEngine(config={"dsn": url})
    previous = [(table, table._meta._db) for table in TABLE_REGISTRY]
    for table, _ in previous:
        table._meta.db = engine
    try:
        yield engine
    finally:
        for table, db in previous:
            table._meta._db = db
