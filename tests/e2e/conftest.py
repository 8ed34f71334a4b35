"""Browser tests: Debian's chromium driven by pytest-playwright (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.background import in_thread
from tests.kiosk_support import make_user, make_warehouse
from tests.payments_support import Kiosk, make_shop, serve_kiosk
from tests.simulator_support import RunningSimulator
from tests.webhook_receiver import Receiver, webhook_receiver

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots are kept for a person to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


@dataclass
class Live:
    """The kiosk serving on its own event loop in a thread (Playwright's sync API owns the test's),
    with a receipt of $10.00 ready. Shop: "Main" with readers Counter 1 and Counter 2; user
    "cashier" works at Main only, user "floater" at Main and Annex (so picks one at login)."""

    kiosk: Kiosk
    receipt: int


@pytest.fixture
def live(db: str, simulator: RunningSimulator) -> Iterator[Live]:
    @asynccontextmanager
    async def serve() -> AsyncIterator[Live]:
        shop = await make_shop(simulator)
        await make_warehouse("Annex", "eur")
        await make_user("floater", warehouses=("Main", "Annex"))
        async with asynccontextmanager(serve_kiosk)(simulator, shop) as kiosk:
            yield Live(kiosk, await kiosk.receipt("10.00"))

    with in_thread(serve) as running:
        yield running
