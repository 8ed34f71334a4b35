"""A shop's database from before kiosk/ became rooms is served as it is: the tables kept their names
and columns and the Piccolo app its name, so no migration is needed after the move.

`before_rooms.sqlite3.gz` was made by the flat layout (commit 7b59847): `kiosk migrate`,
`kiosk create-warehouse Downtown`, `kiosk create-user` (cashier, admin), and receipt #1 paid in
cash ($12.50 from $20.00).
"""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from kiosk.bench.procs import free_port
from kiosk.config import PROJECT_ROOT, Settings
from kiosk.db.check import NOT_MIGRATED, checked_in, database_problem
from kiosk.piccolo_app import APP_CONFIG
from tests.kiosk_support import run_migrate

FIXTURE = Path(__file__).with_name("before_rooms.sqlite3.gz")
SECRET_KEY = "premove-layout-secret-key"
# The last migration the flat layout had (the database above ran all of them).
NEWEST_BEFORE_ROOMS = "2026-11-21T22:34:02:458716"


def _old_database(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.sqlite"
    with gzip.open(FIXTURE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return path


def test_the_rooms_tables_are_what_the_migrations_built() -> None:
    """Piccolo's own comparison of the table classes with the checked-in migrations finds nothing to
    migrate (what `piccolo migrations new --auto` would write is empty)."""
    altered = asyncio.run(AutoMigrationManager().get_alter_statements(app_config=APP_CONFIG))
    assert [statement for alter in altered for statement in alter.statements] == []


def _wait_up(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kiosk serve stopped: {proc.communicate()[0]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("kiosk serve did not answer within 30 s")


def _log_in(kiosk: httpx.Client, username: str, password: str) -> None:
    kiosk.get("/login")
    answer = kiosk.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": kiosk.cookies["kiosk_csrf"]},
    )
    assert answer.status_code == 303, answer.text


def test_kiosk_serve_takes_a_database_migrated_before_the_rooms(tmp_path: Path) -> None:
    """The move added no migration: the old database lacks only those written for features since,
    which `kiosk migrate` adds; then `kiosk serve` takes it, with its people and receipts."""
    path = _old_database(tmp_path)
    settings = Settings(sqlite_path=path)
    later = {ident for ident in checked_in() if ident > NEWEST_BEFORE_ROOMS}
    if later:
        assert database_problem(settings) == f"{path} lacks {len(later)} of the kiosk's migrations: {NOT_MIGRATED}"
    env = {
        **os.environ,
        "KIOSK_SQLITE_PATH": str(path),
        "KIOSK_DATABASE_URL": "",
        "KIOSK_SECRET_KEY": SECRET_KEY,
        "KIOSK_DEMO": "1",  # plain-HTTP cookies on loopback
    }
    migrated = run_migrate(env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert database_problem(settings) is None
    port = free_port()
    cmd = [sys.executable, "-m", "kiosk.cli", "serve", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, proc)
        with httpx.Client(base_url=url, trust_env=False) as kiosk:
            _log_in(kiosk, "cashier", "premove-cashier-pass")
            old = kiosk.get("/receipts/1")
            assert old.status_code == 200
            assert 'data-state="paid"' in old.text and "12.50" in old.text
            opened = kiosk.post("/receipts", data={"_csrf_token": kiosk.cookies["kiosk_csrf"]})
            assert opened.status_code == 303
            new = kiosk.get(opened.headers["location"])
            assert re.search(r"#\s*2\b", new.text)  # numbering goes on from the old receipts
    finally:
        proc.terminate()
        proc.wait(timeout=10)
