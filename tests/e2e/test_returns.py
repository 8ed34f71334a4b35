"""Returns at the till in Chromium, at tablet and phone sizes: a cashier allowed to take returns
finds a card-paid receipt by its number, returns one of its lines to the card, confirms the
question, and prints the return slip; the receipt then lists the return. Screenshots of each
step go to test-artifacts/ (returns-*)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from kiosk.people.permissions import set_take_returns
from kiosk.shop.tables import Receipt
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
    """The kiosk, and a receipt (2 Mugs at $6.00, 1 Tea at $8.00) paid by a Visa tap."""

    kiosk: Kiosk
    receipt_id: int
    number: int


@pytest.fixture
def sold(db: str, simulator: RunningSimulator) -> Iterator[Sold]:
    @asynccontextmanager
    async def serve() -> AsyncIterator[Sold]:
        shop = await make_shop(simulator)
        boss = await make_user("boss", admin=True, warehouses=())
        await set_take_returns(boss, shop.user_id, True)
        async with asynccontextmanager(serve_kiosk)(simulator, shop) as kiosk:
            receipt_id = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
            await add_line(receipt_id, kiosk.warehouse_id, "Mug", "2", "6.00")
            await add_line(receipt_id, kiosk.warehouse_id, "Tea", "1", "8.00")
            started = await kiosk.start(receipt_id, amount=2000)
            await kiosk.tap(kiosk.readers[0])
            await wait_state(started.id, "succeeded")
            row = await Receipt.select(Receipt.number).where(Receipt.id == receipt_id).first()
            assert row is not None
            yield Sold(kiosk, receipt_id, int(row["number"]))

    with in_thread(serve) as running:
        yield running


class ReturnsScreen(Screen):
    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.artifacts / f"returns-{name}-{self.size}.png"), full_page=True)


@pytest.fixture
def screen(browser: Browser, artifacts: Path, size: str) -> Iterator[ReturnsScreen]:
    width, height = SIZES[size]
    window = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone")
    try:
        yield ReturnsScreen(window.new_page(), size, artifacts)
    finally:
        window.close()


def ledger_refunded(kiosk: Kiosk) -> int:
    intents: dict[str, Any] = kiosk.sim.control("GET", "/_sim/ledger")["intents"]
    return sum(int(entry["refunded"]) for entry in intents.values())


@pytest.mark.parametrize("size", SIZES)
def test_find_by_number_return_one_line_to_the_card_and_print_the_slip(sold: Sold, screen: ReturnsScreen) -> None:
    page: Page = screen.page
    Till(page, screen.size, screen.artifacts).log_in(sold.kiosk.url, "cashier", PASSWORD)
    screen.shot("list")
    page.get_by_test_id("returns-link").tap()
    page.get_by_test_id("find-number").fill(str(sold.number))
    page.get_by_test_id("find-number-go").tap()
    found = page.locator(f'[data-testid=found-receipt][data-number="{sold.number}"]')
    expect(found).to_contain_text("Visa •••• 4242")
    screen.assert_touch_friendly()
    screen.shot("found")
    found.tap()
    expect(page.get_by_test_id("return-left")).to_have_text("$20.00")
    mug = page.get_by_test_id("return-line").filter(has_text="Mug")
    mug.get_by_test_id("return-qty").fill("1")
    screen.assert_touch_friendly()
    screen.shot("form")
    page.get_by_test_id("return-chosen").tap()
    question = page.get_by_test_id("return-question")
    expect(question).to_have_text("Return $6.00: $6.00 back to Visa •••• 4242?")
    screen.shot("question")
    page.get_by_test_id("return-yes").tap()
    tender = page.get_by_test_id("return-tender")
    expect(tender).to_have_attribute("data-state", "succeeded", timeout=WAIT_MS)
    expect(tender).to_contain_text("Visa •••• 4242")
    screen.assert_touch_friendly()
    screen.shot("done")
    assert ledger_refunded(sold.kiosk) == 600
    page.get_by_role("link", name="Another return").tap()
    expect(page.get_by_test_id("receipt-return")).to_have_attribute("data-state", "done")
    screen.assert_touch_friendly()
    screen.shot("today")
    page.go_back()
    page.get_by_test_id("slip-link").tap()
    slip = page.get_by_test_id("return-slip")
    expect(slip).to_contain_text(f"Original receipt #{sold.number}")
    expect(page.get_by_test_id("slip-line")).to_have_text("Mug")
    expect(page.get_by_test_id("slip-tender")).to_contain_text("Refund to Visa •••• 4242")
    expect(page.get_by_test_id("slip-total")).to_have_text("\u2212$6.00")
    expect(page.get_by_test_id("slip-cashier")).to_have_text("Cashier: cashier")
    screen.shot("slip")
    page.emulate_media(media="print")
    expect(page.get_by_test_id("print-button")).to_be_hidden()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Back to the return").tap()
    page.get_by_test_id("back-to-receipt").tap()
    expect(page.get_by_test_id("receipt-return")).to_have_count(1)
    expect(page.get_by_test_id("receipt-return")).to_contain_text("\u2212$6.00")
    screen.assert_touch_friendly()
    screen.shot("receipt")
