"""A throwaway PostgreSQL cluster on 127.0.0.1 and a free port, for `kiosk bench --database postgres`.

Debian's initdb and pg_ctl refuse to run as root, so they run as the `postgres` user when the bench
runs as root. The cluster lives in a temp directory and is stopped and deleted afterwards. Durability
is switched off (fsync, synchronous commit): the bench measures the kiosk, not the disk.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.bench.procs import free_port, wait_for_port


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make system-deps` (Debian package postgresql)")
    return found[-1]


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def postgres_cluster(max_connections: int = 300) -> Iterator[str]:
    """Start a cluster; yield the URL of its superuser database; stop and delete it afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-bench-pg-"))
    datadir = workdir / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    initdb = [_pg_bin("initdb"), "-D", str(datadir), "-U", "kiosk", "--auth=trust"]
    subprocess.run(_as_postgres(initdb), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={workdir} -c fsync=off"
        f" -c max_connections={max_connections} -c synchronous_commit=off -c full_page_writes=off"
    )
    start = [_pg_bin("pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(workdir / "log"), "-w", "start"]
    subprocess.run(_as_postgres(start), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    try:
        wait_for_port(port, timeout=20.0)
        yield f"postgres://kiosk@127.0.0.1:{port}/postgres"
    finally:
        stop = [_pg_bin("pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"]
        subprocess.run(_as_postgres(stop), check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        shutil.rmtree(workdir, ignore_errors=True)


async def create_database(admin_url: str, name: str) -> str:
    """Create database `name` in the cluster behind admin_url; return its URL."""
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
