"""A throwaway PostgreSQL cluster for the test run, on 127.0.0.1 and a free port.

Debian's initdb and pg_ctl refuse to run as root, so they run as the `postgres` user when the tests
run as root. The cluster lives in a temp directory and is stopped at the end of the session.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make system-deps` (Debian package postgresql)")
    return found[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a cluster; yield the URL of its superuser database; stop and delete it afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    datadir = workdir / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(datadir), "-U", "kiosk", "--auth=trust"]), **run)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={workdir} -c fsync=off"
    options += " -c max_connections=200 -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(workdir / "log"), "-w", "start"]),
        **run,
    )
    try:
        _wait_for_port(port)
        yield f"postgres://kiosk@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"PostgreSQL did not listen on {port}")


def create_database(admin_url: str, name: str) -> str:
    """Create database `name` in the cluster behind admin_url; return its URL."""
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
