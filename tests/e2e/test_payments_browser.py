"""The card part of the receipt in Chromium, at tablet and phone sizes: pick a reader, see the
decline, try again on the same PaymentIntent, get paid; cancel from the kiosk; offline readers
cannot be chosen. The kiosk and the simulator run for real; screenshots land in test-artifacts/."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.kiosk_support import PASSWORD
from tests.payments_support import INSUFFICIENT_FUNDS, VISA, Kiosk, make_shop, serve_kiosk
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}


@dataclass
class Live:
    kiosk: Kiosk
    receipt: int


@pytest.fixture
def live(db: str, simulator: RunningSimulator) -> Iterator[Live]:
    """The kiosk on its own event loop in a thread (Playwright's sync API owns this one)."""
    ready, stop, holder = threading.Event(), threading.Event(), {}

    async def main() -> None:
        shop = await make_shop(simulator)
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


def open_receipt(page: Page, live: Live, size: str) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live.kiosk.url}/login")
    page.fill("input[name=username]", "cashier")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.goto(f"{live.kiosk.url}/receipts/{live.receipt}")


def status(page: Page, state: str) -> None:
    expect(page.locator(f'[data-testid=payment-status][data-state="{state}"]')).to_be_visible(timeout=15_000)


def tap(live: Live, card: str) -> None:
    reader = live.kiosk.readers[0]
    live.kiosk.sim.control("POST", f"/_sim/readers/{reader}/present", {"card_number": card})


@pytest.mark.parametrize("size", SIZES)
def test_decline_then_retry_then_paid(page: Page, live: Live, artifacts: Path, size: str) -> None:
    open_receipt(page, live, size)
    page.get_by_test_id("add-card").click()
    page.locator(f'[data-testid=reader-option][data-reader-id="{live.kiosk.readers[0]}"]').click()
    status(page, "on_reader")
    expect(page.get_by_test_id("payment-headline")).to_have_text("Present card on Counter 1")
    tap(live, INSUFFICIENT_FUNDS)
    status(page, "declined")
    expect(page.get_by_test_id("payment-code")).to_have_text("insufficient_funds")
    page.screenshot(path=str(artifacts / f"payments-declined-{size}.png"), full_page=True)
    page.get_by_test_id("retry-same").click()
    status(page, "on_reader")
    tap(live, VISA)
    expect(page.locator('[data-testid=receipt-status][data-state="paid"]')).to_be_visible(timeout=15_000)
    status(page, "succeeded")
    expect(page.get_by_test_id("payment-card")).to_have_text("Visa •••• 4242")
    page.screenshot(path=str(artifacts / f"payments-paid-{size}.png"), full_page=True)


def test_offline_reader_cannot_be_chosen_and_cancel_from_the_kiosk(page: Page, live: Live, artifacts: Path) -> None:
    offline, online = live.kiosk.readers[1], live.kiosk.readers[0]
    live.kiosk.sim.control("POST", f"/_sim/readers/{offline}/offline")
    open_receipt(page, live, "tablet")
    page.get_by_test_id("add-card").click()
    expect(page.locator(f'[data-testid=reader-option][data-reader-id="{offline}"]')).to_be_disabled()
    page.locator(f'[data-testid=reader-option][data-reader-id="{online}"]').click()
    status(page, "on_reader")
    page.get_by_test_id("cancel-payment").click()
    status(page, "canceled")
    expect(page.get_by_test_id("add-card")).to_be_visible()
    page.screenshot(path=str(artifacts / "payments-canceled-tablet.png"), full_page=True)
