"""An Interac return in Chromium, at tablet and phone sizes: the cashier returns a receipt paid by
Interac (CAD), picks the reader, the customer first presses cancel on the virtual reader (the till
says so and offers to try again), then taps the Interac card on the virtual reader: the till shows
"Refunded". Screenshots of each step go to test-artifacts/ (returns-interac-*)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from kiosk.payments import actions as payments
from kiosk.people.permissions import set_take_returns
from kiosk.shop.tables import Warehouse
from kiosk.simulator.cards import INTERAC_CARD
from kiosk.till.receipts import add_line, open_receipt
from tests.e2e.background import in_thread
from tests.e2e.pages import WAIT_MS, Screen, Till
from tests.kiosk_support import PASSWORD, make_user
from tests.payments_support import Kiosk, make_shop, serve_kiosk, wait_state
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}


@dataclass
class Sold:
    """The kiosk (a CAD warehouse), and a receipt of $20.00 paid by an Interac tap on Counter 1."""

    kiosk: Kiosk
    receipt_id: int


@pytest.fixture
def sold(db: str, simulator: RunningSimulator) -> Iterator[Sold]:
    @asynccontextmanager
    async def serve() -> AsyncIterator[Sold]:
        shop = await make_shop(simulator)
        await Warehouse.update({Warehouse.currency: "cad"}).where(Warehouse.id == shop.warehouse_id)
        boss = await make_user("boss", admin=True, warehouses=())
        await set_take_returns(boss, shop.user_id, True)
        async with asynccontextmanager(serve_kiosk)(simulator, shop) as kiosk:
            receipt_id = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
            await add_line(receipt_id, kiosk.warehouse_id, "Toque", "1", "20.00")
            reader = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
            started = await payments.start_payment(
                kiosk.engine,
                receipt_id=receipt_id,
                reader=reader,
                amount=2000,
                currency="cad",
                user_id=kiosk.user_id,
                holder="test till",
            )
            await kiosk.tap(kiosk.readers[0], INTERAC_CARD)
            await wait_state(started.id, "succeeded")
            yield Sold(kiosk, receipt_id)

    with in_thread(serve) as running:
        yield running


class InteracScreen(Screen):
    def shot(self, name: str, page: Page | None = None) -> None:
        path = self.artifacts / f"returns-interac-{name}-{self.size}.png"
        (page or self.page).screenshot(path=str(path), full_page=True)


@pytest.fixture
def screen(browser: Browser, artifacts: Path, size: str) -> Iterator[InteracScreen]:
    width, height = SIZES[size]
    window = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone")
    try:
        yield InteracScreen(window.new_page(), size, artifacts)
    finally:
        window.close()


def ledger_refunded(kiosk: Kiosk) -> int:
    intents: dict[str, Any] = kiosk.sim.control("GET", "/_sim/ledger")["intents"]
    return sum(int(entry["refunded"]) for entry in intents.values())


@pytest.mark.parametrize("size", SIZES)
def test_an_interac_return_is_refunded_when_the_customer_taps_the_card(sold: Sold, screen: InteracScreen) -> None:
    page: Page = screen.page
    kiosk = sold.kiosk
    Till(page, screen.size, screen.artifacts).log_in(kiosk.url, "cashier", PASSWORD)
    page.goto(f"{kiosk.url}/returns/receipts/{sold.receipt_id}")
    page.get_by_test_id("return-all").tap()
    expect(page.get_by_test_id("return-question")).to_have_text(
        "Return CA$20.00: CA$20.00 back to Interac •••• 1933 on a reader?"
    )
    page.get_by_test_id("return-yes").tap()
    refund = page.get_by_test_id("reader-refund")
    expect(refund).to_have_attribute("data-phase", "pick")
    expect(page.get_by_test_id("return-tender")).to_contain_text("To refund on a reader")
    screen.assert_touch_friendly()
    screen.shot("pick")
    reader = page.locator(f'[data-testid=reader-option][data-reader-id="{kiosk.readers[0]}"]')
    expect(reader).to_be_enabled(timeout=WAIT_MS)
    reader.tap()
    expect(refund).to_have_attribute("data-phase", "waiting", timeout=WAIT_MS)
    expect(page.get_by_test_id("reader-refund-message")).to_have_text(
        "Ask the customer to tap their Interac card on Counter 1"
    )
    screen.shot("waiting")
    # The customer, at the virtual reader: presses cancel first.
    customer = page.context.new_page()
    customer.goto(f"{kiosk.sim.url}/_sim/readers/{kiosk.readers[0]}")
    expect(customer.get_by_test_id("reader-screen")).to_have_attribute("data-state", "collecting")
    expect(customer.get_by_test_id("screen-headline")).to_have_text("Refund: tap, insert or swipe the card")
    screen.shot("reader-refund-screen", customer)
    customer.get_by_test_id("customer-cancel").click()
    page.bring_to_front()
    expect(refund).to_have_attribute("data-phase", "pick", timeout=WAIT_MS)
    expect(page.get_by_test_id("reader-refund-failure")).to_have_text(
        "The customer canceled on the reader: nothing was refunded."
    )
    screen.assert_touch_friendly()
    screen.shot("canceled")
    # Try again: this time the customer taps the Interac card.
    expect(reader).to_be_enabled(timeout=WAIT_MS)
    reader.tap()
    expect(refund).to_have_attribute("data-phase", "waiting", timeout=WAIT_MS)
    customer.bring_to_front()
    expect(customer.get_by_test_id("reader-screen")).to_have_attribute("data-state", "collecting", timeout=WAIT_MS)
    customer.get_by_test_id(f"card-{INTERAC_CARD}").click()
    expect(customer.get_by_test_id("screen-headline")).to_have_text("Approved", timeout=WAIT_MS)
    screen.shot("reader-refunded", customer)
    page.bring_to_front()
    expect(refund).to_have_attribute("data-phase", "refunded", timeout=WAIT_MS)
    expect(page.get_by_test_id("reader-refund-message")).to_have_text("Refunded")
    page.reload()
    expect(page.get_by_test_id("return-tender")).to_have_attribute("data-state", "succeeded")
    screen.assert_touch_friendly()
    screen.shot("refunded")
    assert ledger_refunded(kiosk) == 2000
