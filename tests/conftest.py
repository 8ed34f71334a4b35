"""Test-wide setup: the environment is fixed before any kiosk module is imported.

`KIOSK_TEST_DATABASE=postgres` runs the same tests on a throwaway PostgreSQL cluster started here
(kiosk/bench/postgres.py, the one `kiosk bench --database postgres` uses).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check what comes out, not how fast: no per-example deadline (a first example that
# loads a locale's data on a busy machine is slow, not wrong).
settings.register_profile("kiosk", deadline=None)
settings.load_profile("kiosk")

pytest_plugins = ["tests.simulator_support", "tests.kiosk_support", "tests.payments_support", "tests.admin_support"]

_TMP = Path(tempfile.mkdtemp(prefix="kiosk-tests-"))
os.environ.setdefault("KIOSK_SQLITE_PATH", str(_TMP / "kiosk.sqlite"))
os.environ.setdefault("KIOSK_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("KIOSK_DEMO", "1")

_cluster = contextlib.ExitStack()


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("KIOSK_TEST_DATABASE") == "postgres" and not os.environ.get("KIOSK_DATABASE_URL"):
        from kiosk.bench.postgres import create_database, postgres_cluster

        admin_url = _cluster.enter_context(postgres_cluster())
        os.environ["KIOSK_DATABASE_URL"] = asyncio.run(create_database(admin_url, "kiosk_test"))


def pytest_unconfigure(config: pytest.Config) -> None:
    _cluster.close()
