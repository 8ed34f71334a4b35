"""Browser tests: Debian's chromium driven by pytest-playwright (never a downloaded browser)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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
    ready, stop, holder = threading.Event(), threading.Event(), {}

    async def main() -> None:
        shop = await make_shop(simulator)
        await make_warehouse("Annex", "eur")
        await make_user("floater", warehouses=("Main", "Annex"))
        async for kiosk in serve_kiosk(simulator, shop):
            holder["live"] = Live(kiosk, await kiosk.receipt("10.00"))
            ready.set()
            await asyncio.to_thread(stop.wait)

    thread = threading.Thread(target=lambda: asyncio.run(main()), name="kiosk")
    thread.start()
    try:
        assert ready.wait(30), "the kiosk did not start"
        yield holder["live"]
    finally:
        stop.set()
        thread.join(30)
