"""Accepted card brands in Chromium, at tablet and phone sizes: an admin restricts the brands (an
empty list is refused next to it), then at the till an American Express card is refused by name and
"Try again" takes a Visa on the same PaymentIntent. The customer's side is the virtual reader page,
where the card is collected first and charged only once the kiosk confirms it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.background import in_thread
from tests.e2e.conftest import Live
from tests.e2e.pages import WAIT_MS, ReceiptPage, Screen, Till, VirtualReader
from tests.kiosk_support import PASSWORD, make_user
from tests.payments_support import VISA, make_shop, serve_kiosk
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}
AMEX = "378282246310005"


@pytest.fixture
def shop_live(db: str, simulator: RunningSimulator) -> Iterator[Live]:
    """The kiosk with a $10.00 receipt, a cashier at Main and an admin ("boss")."""

    @asynccontextmanager
    async def serve() -> AsyncIterator[Live]:
        shop = await make_shop(simulator)
        await make_user("boss", admin=True, warehouses=())
        async with asynccontextmanager(serve_kiosk)(simulator, shop) as kiosk:
            yield Live(kiosk, await kiosk.receipt("10.00"))

    with in_thread(serve) as running:
        yield running


def window(browser: Browser, size: str) -> Page:
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone"
    )
    return context.new_page()


def restrict_brands(page: Page, url: str, size: str, artifacts: Path) -> None:
    """The admin unticks everything (refused), then keeps every brand but American Express."""
    admin = Screen(page, size, artifacts)
    Till(page, size, artifacts).log_in(url, "boss", PASSWORD)
    page.goto(f"{url}/admin/payments#brands")
    boxes = page.locator("[data-testid^=brand-]")
    for index in range(boxes.count()):
        boxes.nth(index).uncheck()
    page.get_by_test_id("save-brands").click()
    expect(page.get_by_test_id("error-brands")).to_have_text(
        "Tick at least one card brand: with none the shop could take no card at all."
    )
    page.get_by_test_id("brands-form").scroll_into_view_if_needed()
    admin.screenshot("brands-empty-refused")
    for index in range(boxes.count()):
        boxes.nth(index).check()
    page.get_by_test_id("brand-amex").uncheck()
    page.get_by_test_id("save-brands").click()
    expect(page.get_by_text("Accepted card brands saved")).to_be_visible()
    expect(page.get_by_test_id("brand-amex")).not_to_be_checked()
    expect(page.get_by_test_id("brand-visa")).to_be_checked()
    page.get_by_test_id("brands-form").scroll_into_view_if_needed()
    admin.screenshot("brands-saved")


@pytest.mark.parametrize("size", SIZES)
def test_a_refused_amex_then_try_again_with_visa(browser: Browser, shop_live: Live, artifacts: Path, size: str) -> None:
    url = shop_live.kiosk.url
    admin_page = window(browser, size)
    restrict_brands(admin_page, url, size, artifacts)
    admin_page.context.close()

    till_page = window(browser, size)
    reader_window = browser.new_context(viewport={"width": 800, "height": 900})
    try:
        Till(till_page, size, artifacts).log_in(url, "cashier", PASSWORD)
        receipt = ReceiptPage(till_page, size, artifacts).goto(url, shop_live.receipt)
        reader = VirtualReader(reader_window.new_page(), shop_live.kiosk.sim.url, shop_live.kiosk.readers[0])
        receipt.open_picker()
        receipt.reader(shop_live.kiosk.readers[0]).tap()
        receipt.expect_payment("collecting")
        expect(receipt.headline()).to_have_text("Present card on Counter 1")

        reader.tap_card(AMEX)  # read, not charged: the kiosk cancels the reader's action
        receipt.expect_payment("declined")
        expect(receipt.headline()).to_have_text("Card not accepted")
        expect(receipt.detail()).to_have_text("American Express is not accepted here — ask for another card.")
        expect(till_page.get_by_test_id("payment-code")).to_have_text("card_brand_not_accepted")
        expect(till_page.get_by_test_id("retry-same")).to_be_visible()
        reader.expect_screen("canceled")
        receipt.expect_card_holds_the_rest()
        receipt.assert_touch_friendly()
        receipt.screenshot("brands-amex-refused")
        reader.page.screenshot(path=str(artifacts / f"checkout-brands-reader-canceled-{size}.png"))

        receipt.press("retry-same")
        receipt.expect_payment("collecting")
        reader.tap_card(VISA)
        receipt.expect_payment("succeeded")
        receipt.expect_receipt("paid")
        expect(till_page.get_by_test_id("payment-card")).to_have_text("Visa •••• 4242", timeout=WAIT_MS)
        [intent] = shop_live.kiosk.sim.control("GET", "/_sim/ledger")["intents"].values()
        # One PaymentIntent, one charge: the Amex was only read, never sent to its issuer.
        assert intent["authorized"] == 1000 and [c["status"] for c in intent["charges"]] == ["succeeded"]
        receipt.screenshot("brands-paid-after-retry")
    finally:
        till_page.context.close()
        reader_window.close()
