"""`kiosk migrate` builds an empty database from the checked-in migrations; `kiosk create-user` fills it."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from piccolo.apps.user.tables import BaseUser

from kiosk.bench.procs import free_port
from kiosk.cli.main import main
from kiosk.config import Settings
from kiosk.db.check import checked_in, database_problem
from kiosk.people.tables import UserWarehouse
from tests.kiosk_support import run_migrate

TABLES = {
    "piccolo_user",
    "warehouse",
    "location_pairing",
    "user_warehouse",
    "kiosk_session",
    "receipt",
    "receipt_line",
    "cash_tender",
    "payment",
    "webhook_event",
    "reader_lease",
    "payment_log",
}


def test_migrate_creates_every_table_with_wal(tmp_path: Path) -> None:
    # Always a SQLite file, whichever database the rest of the run uses (PostgreSQL is migrated by
    # the `migrated_template` fixture).
    path = tmp_path / "fresh" / "kiosk.sqlite"
    result = run_migrate({"KIOSK_SQLITE_PATH": str(path), "KIOSK_DATABASE_URL": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert tables >= TABLES
    assert {"receipt_warehouse_number_unique", "user_warehouse_user_warehouse_unique"} <= indexes
    again = run_migrate({"KIOSK_SQLITE_PATH": str(path), "KIOSK_DATABASE_URL": ""})
    assert again.returncode == 0  # running it twice is harmless


def kiosk(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run a `kiosk` command in this process (the test database is already migrated)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_create_user_from_the_shell(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kiosk(capsys, "create-warehouse", "Main", "--currency", "EUR")[0] == 0
    code, said = kiosk(capsys, "create-user", "ann", "--password", "long enough words", "--warehouse", "Nowhere")
    assert code == 1 and "No warehouse named 'Nowhere'" in said
    code, said = kiosk(capsys, "create-user", "ann", "--password", "short")
    assert code == 1 and "at least 8 characters" in said
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough words\n"))
    code, said = kiosk(capsys, "create-user", "ann", "--password-stdin", "--warehouse", "Main")
    assert code == 0 and "Created cashier ann" in said
    assert kiosk(capsys, "create-user", "root", "--password", "long enough too", "--admin")[0] == 0
    code, said = kiosk(capsys, "create-user", "root", "--password", "another password")
    assert code == 1 and "taken" in said
    asyncio.run(check_users())


async def check_users() -> None:
    users = await BaseUser.select(BaseUser.username, BaseUser.admin, BaseUser.active, BaseUser.password)
    assert [(u["username"], u["admin"], u["active"]) for u in users] == [("ann", False, True), ("root", True, True)]
    assert all(u["password"].startswith("pbkdf2_sha256$") and "long enough" not in u["password"] for u in users)
    links = await UserWarehouse.select(UserWarehouse.user.username, UserWarehouse.warehouse.currency)
    assert links == [{"user.username": "ann", "warehouse.currency": "eur"}]


def refusal(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> str:
    """What `kiosk serve` says when it refuses to start on this database (it must refuse)."""
    monkeypatch.setenv("KIOSK_SECRET_KEY", "a-secret-key-for-this-test-only-0123456789")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--port", str(free_port())])
    return str(refused.value.code)


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "kiosk.sqlite"
    sqlite_only = {"KIOSK_SQLITE_PATH": str(path), "KIOSK_DATABASE_URL": ""}
    assert "no database at" in refusal(monkeypatch, sqlite_only)
    sqlite3.connect(path).close()  # a file, but never migrated
    said = refusal(monkeypatch, sqlite_only)
    assert "has not been migrated: run `kiosk migrate` first" in said and "Traceback" not in said
    # Migrated by an older checkout: one migration of this one has not run.
    assert run_migrate(sqlite_only).returncode == 0
    assert database_problem(Settings.from_env()) is None  # ready: serve would start
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DELETE FROM migration WHERE name = ?", (max(checked_in()),))
    assert "lacks 1 of the kiosk's migrations: run `kiosk migrate` first" in refusal(monkeypatch, sqlite_only)


def test_serve_refuses_a_postgresql_server_it_cannot_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    nobody = f"postgresql://kiosk@127.0.0.1:{free_port()}/kiosk"  # nothing listens there
    said = refusal(monkeypatch, {"KIOSK_DATABASE_URL": nobody})
    assert said.startswith("kiosk serve: cannot read the PostgreSQL database:")
