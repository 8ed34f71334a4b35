"""Fixtures of the fault suite: one simulator process for the session (a fresh account per test),
the shop in the test's database, and kiosk server processes on that same database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.faults.harness import FAST_RECOVERY, FAST_TIMING, SIM_KEY, KioskServer, SimulatorProcess
from tests.faults.invariants import Verdict, assert_invariants
from tests.faults.pg_cluster import Cluster, dedicated_cluster, new_database, tables_on
from tests.faults.till import Shop, Till, make_shop, register_webhook
from tests.kiosk_support import postgres_url


@pytest.fixture(scope="session")
def sim_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorProcess]:
    sim = SimulatorProcess(tmp_path_factory.mktemp("simulator")).start()
    yield sim
    sim.stop()


@pytest.fixture
async def sim(sim_process: SimulatorProcess) -> SimulatorProcess:
    """The simulator with a fresh account: no objects, calls, faults or webhook endpoints."""
    await sim_process.control("POST", "/_sim/reset")
    return sim_process


def database_env(db: str) -> dict[str, str]:
    """Point a server process at the test's database (see tests/kiosk_support.py `db`)."""
    url = postgres_url()
    return {"KIOSK_DATABASE_URL": url} if url else {"KIOSK_DATABASE_URL": "", "KIOSK_SQLITE_PATH": db}


@dataclass
class Stack:
    """The simulator, the shop, and the kiosk servers of one test."""

    sim: SimulatorProcess
    shop: Shop
    db_env: dict[str, str]
    workdir: Path
    servers: list[KioskServer] = field(default_factory=list)
    tills: list[Till] = field(default_factory=list)

    async def server(self, *, capture_mode: str = "automatic", webhooks: bool = True, **env: str) -> KioskServer:
        """A server (not started yet) with its own port; `webhooks` registers its endpoint."""
        server = KioskServer(self.workdir, {})
        secret = await register_webhook(self.sim, server.url) if webhooks else "whsec_unused0000"
        server.env = {
            **self.db_env,
            "KIOSK_STRIPE_API_BASE": self.sim.url,
            "KIOSK_STRIPE_SECRET_KEY": SIM_KEY,
            "KIOSK_STRIPE_WEBHOOK_SECRET": secret,
            "KIOSK_CAPTURE_MODE": capture_mode,
            "KIOSK_PAYMENT_TIMING": FAST_TIMING,
            "KIOSK_RECOVERY": FAST_RECOVERY,
            **env,
        }
        self.servers.append(server)
        return server

    async def till(self, server: KioskServer, user_id: int | None = None) -> Till:
        till = await Till.open(server.url, user_id or self.shop.user_id)
        self.tills.append(till)
        return till

    async def invariants(self, *, abandoned: tuple[int, ...] = ()) -> Verdict:
        return await assert_invariants((self.sim.url, SIM_KEY), abandoned=abandoned)

    async def close(self) -> None:
        for till in self.tills:
            await till.close()
        for server in self.servers:
            server.stop()
            # Shown by pytest only when the test fails: what the server said.
            print(f"--- {server.log.name} ---\n{server.log_tail()}")


@pytest.fixture
async def stack(db: str, sim: SimulatorProcess, tmp_path: Path) -> AsyncIterator[Stack]:
    running = Stack(sim, await make_shop(sim), database_env(db), tmp_path)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """PostgreSQL of the suite's own (see tests/faults/pg_cluster.py), in every run."""
    with dedicated_cluster() as cluster:
        yield cluster


@pytest.fixture
async def pg_stack(pg_cluster: Cluster, sim: SimulatorProcess, tmp_path: Path) -> AsyncIterator[Stack]:
    """Like `stack`, on a fresh database of the suite's PostgreSQL (this process's tables too)."""
    url = await new_database(pg_cluster)
    with tables_on(url):
        running = Stack(sim, await make_shop(sim), {"KIOSK_DATABASE_URL": url}, tmp_path)
        try:
            yield running
        finally:
            await running.close()
