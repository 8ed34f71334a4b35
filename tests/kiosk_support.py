"""Fixtures for kiosk tests: a migrated database per test, people and warehouses, logged-in clients.

The database is migrated once per session with the real `kiosk migrate`. On SQLite each test gets
a copy of that file and the Piccolo engine points at the copy; on PostgreSQL
(KIOSK_TEST_DATABASE=postgres, see tests/conftest.py) the run's database is emptied before each test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser

from kiosk.config import PROJECT_ROOT, Settings
from kiosk.people.accounts import create_user
from kiosk.shop.tables import Warehouse
from kiosk.till.warehouses import create_warehouse

PASSWORD = "correct horse battery"
CSRF_COOKIE = "kiosk_csrf"


def run_migrate(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`kiosk migrate` in a child process, as an operator would run it."""
    env = {**os.environ, **env_overrides}
    cmd = [sys.executable, "-m", "kiosk.cli", "migrate"]
    return subprocess.run(cmd, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)


def postgres_url() -> str | None:
    url = os.environ.get("KIOSK_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


async def _no_pool(*_: Any, **__: Any) -> None:
    return None


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """600,000 PBKDF2 rounds cost ~0.5 s per login; tests check behaviour, not hashing strength."""
    original = BaseUser._pbkdf2_iteration_count
    BaseUser._pbkdf2_iteration_count = 1_000
    yield
    BaseUser._pbkdf2_iteration_count = original


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrated once per run: a SQLite file to copy, or the run's PostgreSQL database itself."""
    pg = postgres_url()
    if pg:
        result = run_migrate({"KIOSK_DATABASE_URL": pg})
        name = pg
    else:
        name = str(tmp_path_factory.mktemp("template") / "kiosk.sqlite")
        result = run_migrate({"KIOSK_SQLITE_PATH": name, "KIOSK_DATABASE_URL": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    return name


async def _empty_postgres(url: str) -> None:
    """Every table emptied and its ids restarted (70 ms; a fresh CREATE DATABASE costs 300+)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        # Without a pool each query opens a connection of its own, and Piccolo closes it only when
        # the query ends or fails: one cut off mid-query when the last test's kiosk stopped (its
        # reconciler canceled) stays open, inside a transaction, holding its locks, and TRUNCATE
        # would wait for it forever. No test runs now: end every other session of this database.
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
        )
        tables = ", ".join(f'"{row["tablename"]}"' for row in rows)
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def db(migrated_template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, migrated database for this test; the kiosk's engine points at it meanwhile."""
    engine: Any = Warehouse._meta.db
    if postgres_url():
        asyncio.run(_empty_postgres(migrated_template))
        # Litestar's test client runs the app in an event loop of its own (a portal thread) while
        # the test queries from pytest's loop; an asyncpg pool belongs to one loop, so tests run
        # without the app's pool and every query opens its own connection.
        monkeypatch.setattr(type(engine), "start_connection_pool", _no_pool)
        monkeypatch.setattr(type(engine), "close_connection_pool", _no_pool)
        yield migrated_template
        return
    path = tmp_path / "kiosk.sqlite"
    shutil.copyfile(migrated_template, path)
    previous_path = engine.path
    engine.path = str(path)
    yield str(path)
    engine.path = previous_path


async def make_warehouse(name: str = "Main", currency: str = "usd") -> int:
    return await create_warehouse(name, currency)


async def make_user(username: str = "cashier", *, admin: bool = False, warehouses: tuple[str, ...] = ("Main",)) -> int:
    return await create_user(username, PASSWORD, admin=admin, warehouses=warehouses)


def kiosk_settings(**changes: Any) -> Settings:
    """The environment's settings, as the demo (plain HTTP cookies) unless told otherwise."""
    return replace(Settings.from_env(), **{"demo": True, **changes})


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The CSRF token a page would carry (fetching the login page once sets the cookie)."""
    if CSRF_COOKIE not in client.cookies:
        await client.get("/login")
    return str(client.cookies[CSRF_COOKIE])


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Submit a form the way the browser does: urlencoded, with the page's CSRF token (`headers`:
    htmx's, for a form htmx sends)."""
    return await client.post(url, data={**(data or {}), "_csrf_token": await csrf_token(client)}, headers=headers)


def redrawn(answer: httpx.Response) -> str:
    """The receipt page an htmx answer puts in place of the old one (the page's shape moved), as
    the cashier then sees it."""
    assert answer.headers.get("hx-retarget") == "body" and answer.headers.get("hx-reswap") == "innerHTML"
    assert answer.text.lstrip().lower().startswith("<!doctype html>")
    return answer.text


async def log_in(client: httpx.AsyncClient, username: str = "cashier", password: str = PASSWORD) -> httpx.Response:
    return await post_form(client, "/login", {"username": username, "password": password})


@pytest.fixture
def app(db: str) -> Litestar:
    from kiosk.app import create_app

    return create_app(kiosk_settings())


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A browser on the kiosk. Redirects are not followed: tests assert where they lead."""
    async with AsyncTestClient(app=app) as test_client:
        test_client.follow_redirects = False
        yield test_client


@pytest.fixture
async def warehouse(db: str) -> int:
    """The warehouse "Main" (USD)."""
    return await make_warehouse("Main", "usd")


@pytest.fixture
async def cashier(warehouse: int) -> int:
    """User "cashier", working at Main only."""
    return await make_user("cashier", warehouses=("Main",))


@pytest.fixture
async def cashier_client(client: AsyncTestClient[Litestar], cashier: int) -> AsyncTestClient[Litestar]:
    """A browser logged in as the cashier, at Main (their only warehouse, so no picking)."""
    response = await log_in(client)
    assert response.status_code == 303, response.text
    return client
