"""A PostgreSQL cluster of the fault suite's own, which tests may stop and start (a database outage),
with a migrated template database that each test copies (CREATE DATABASE ... TEMPLATE, ~0.1 s).

It runs in the SQLite run and in the PostgreSQL run alike: these tests need PostgreSQL whatever the
rest of the suite uses, and stopping the run's shared cluster would break the tests around them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import TABLE_REGISTRY

from tests.kiosk_support import run_migrate
from tests.pg_support import _as_postgres, _pg_bin, _wait_for_port, free_port

TEMPLATE = "kiosk_faults_template"
_names = itertools.count(1)


@dataclass
class Cluster:
    workdir: Path
    port: int

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://kiosk@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        argv = [_pg_bin("pg_ctl"), "-D", str(self.datadir), *args]
        subprocess.run(_as_postgres(argv), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.workdir}"
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        self._ctl("-o", options, "-l", str(self.workdir / "log"), "-w", "start")
        _wait_for_port(self.port)

    def stop(self) -> None:
        """A fast shutdown: every connection is cut, as when the database server goes away."""
        self._ctl("-m", "fast", "-w", "stop")

    async def new_database(self) -> str:
        """A fresh migrated database, copied from the template; returns its URL."""
        name = f"kiosk_faults_{next(_names)}"
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        finally:
            await conn.close()
        return self.url(name)


@contextlib.contextmanager
def dedicated_cluster() -> Iterator[Cluster]:
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-faults-pg-"))
    if os.geteuid() == 0:  # initdb and pg_ctl run as the postgres user then
        shutil.chown(workdir, "postgres", "postgres")
    cluster = Cluster(workdir, free_port())
    initdb = [_pg_bin("initdb"), "-D", str(cluster.datadir), "-U", "kiosk", "--auth=trust"]
    subprocess.run(_as_postgres(initdb), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cluster.start()
    try:
        _create_template(cluster)
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster._ctl("-m", "immediate", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


def _create_template(cluster: Cluster) -> None:
    import asyncio

    async def create() -> None:
        conn = await asyncpg.connect(cluster.url())
        try:
            await conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
        finally:
            await conn.close()

    asyncio.run(create())
    result = run_migrate({"KIOSK_DATABASE_URL": cluster.url(TEMPLATE)})
    assert result.returncode == 0, result.stdout + result.stderr


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
