"""A throwaway PostgreSQL cluster on 127.0.0.1 and a free port, for `kiosk bench --database postgres`
and for the tests (the run's database, and the fault suite's cluster that tests stop and start).

Debian's initdb and pg_ctl refuse to run as root, so they run as the `postgres` user when we run as
root. The cluster lives in a temp directory and is stopped and deleted afterwards. Durability is
switched off (fsync, synchronous commit): a throwaway cluster measures and tests the kiosk, not the disk.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.bench.procs import free_port, wait_for_port

# pg_ctl -w waits up to its own 60 s for the start; the port check after it is a second guard.
START_SECONDS = 30.0


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make system-deps` (Debian package postgresql)")
    return found[-1]


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str]) -> None:
    subprocess.run(_as_postgres(argv), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603


@dataclass
class Cluster:
    """One initialised cluster in `workdir`, listening on 127.0.0.1:`port` while started."""

    workdir: Path
    port: int
    max_connections: int = 300

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://kiosk@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        _run([_pg_bin("pg_ctl"), "-D", str(self.datadir), *args])

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.workdir}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            f" -c max_connections={self.max_connections}"
        )
        self._ctl("-o", options, "-l", str(self.workdir / "log"), "-w", "start")
        wait_for_port(self.port, timeout=START_SECONDS)

    def stop(self) -> None:
        """A fast shutdown: every connection is cut, as when the database server goes away."""
        self._ctl("-m", "fast", "-w", "stop")


@contextlib.contextmanager
def throwaway_cluster(max_connections: int = 300) -> Iterator[Cluster]:
    """An initialised and started cluster; stopped and deleted afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(workdir, "postgres", "postgres")
        cluster = Cluster(workdir, free_port(), max_connections)
        _run([_pg_bin("initdb"), "-D", str(cluster.datadir), "-U", "kiosk", "--auth=trust"])
        cluster.start()
        try:
            yield cluster
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                cluster._ctl("-m", "immediate", "stop")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def postgres_cluster(max_connections: int = 300) -> Iterator[str]:
    """Start a cluster; yield the URL of its superuser database; stop and delete it afterwards."""
    with throwaway_cluster(max_connections) as cluster:
        yield cluster.url()


async def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create database `name` (a copy of `template` if given) in the cluster behind admin_url; return its URL."""
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        copy = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
