"""Tips and the customer's screen in Chromium, at tablet and phone sizes: the customer picks a tip
on the virtual reader and the receipt shows it (paid = what Stripe took); the reader chosen for the
till shows the receipt's lines while the cashier rings them up, and clears when it is paid."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from kiosk.shop.tables import Warehouse
from tests.e2e.background import in_thread, watch_csp
from tests.e2e.conftest import Live
from tests.e2e.pages import WAIT_MS, ReceiptPage, Till, VirtualReader
from tests.kiosk_support import PASSWORD, make_user
from tests.payments_support import VISA, make_shop, serve_kiosk
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}


def _tips_at_stripe(simulator: RunningSimulator, location: str) -> None:
    """What the Warehouses admin page saves at Stripe for tips of 10, 15 and 20 %."""
    client = simulator.client()
    params: Any = {"name": "Kiosk: Main", "tipping": {"usd": {"percentages": [10, 15, 20]}}}
    configuration = client.v1.terminal.configurations.create(params=params)
    client.v1.terminal.locations.update(location, params={"configuration_overrides": configuration.id})


@pytest.fixture
def tipping_live(db: str, simulator: RunningSimulator) -> Iterator[Live]:
    """Like `live`, with tips on the reader at Main and a $40.00 receipt."""

    @asynccontextmanager
    async def serve() -> AsyncIterator[Live]:
        shop = await make_shop(simulator)
        await asyncio.to_thread(_tips_at_stripe, simulator, shop.location)
        await Warehouse.update({Warehouse.tipping: "percentages", Warehouse.tip_choices: "10,15,20"}).where(
            Warehouse.id == shop.warehouse_id
        )
        async with asynccontextmanager(serve_kiosk)(simulator, shop) as kiosk:
            yield Live(kiosk, await kiosk.receipt("40.00"))

    with in_thread(serve) as running:
        yield running


@dataclass
class Windows:
    till: Till
    reader_page: Page


def windows(browser: Browser, artifacts: Path, size: str) -> Iterator[Windows]:
    width, height = SIZES[size]
    till_window = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone"
    )
    reader_window = browser.new_context(viewport={"width": 800, "height": 900})
    try:
        yield Windows(Till(till_window.new_page(), size, artifacts), reader_window.new_page())
    finally:
        till_window.close()
        reader_window.close()


@pytest.fixture
def tip_counter(browser: Browser, tipping_live: Live, artifacts: Path, size: str) -> Iterator[Windows]:
    yield from windows(browser, artifacts, size)


@pytest.fixture
def cart_counter(browser: Browser, live: Live, artifacts: Path, size: str) -> Iterator[Windows]:
    yield from windows(browser, artifacts, size)


@pytest.mark.parametrize("size", SIZES)
def test_a_tip_chosen_on_the_reader_shows_on_the_receipt(
    tip_counter: Windows, tipping_live: Live, artifacts: Path, size: str
) -> None:
    kiosk = tipping_live.kiosk
    till = tip_counter.till
    till.log_in(kiosk.url, "cashier", PASSWORD)
    receipt = ReceiptPage(till.page, size, artifacts).goto(kiosk.url, tipping_live.receipt)
    receipt.pay_by_card(kiosk.readers[0])

    reader = VirtualReader(tip_counter.reader_page, kiosk.sim.url, kiosk.readers[0])
    reader.expect_screen("tipping")
    expect(reader.page.get_by_test_id("tip-2")).to_contain_text("15%")
    expect(reader.page.get_by_test_id("tip-2")).to_contain_text("$6.00")
    reader.page.screenshot(path=str(artifacts / f"tips-reader-tip-screen-{size}.png"), full_page=True)
    reader.page.get_by_test_id("tip-2").click()
    reader.expect_amount("$46.00")
    expect(reader.page.get_by_test_id("screen-tip")).to_have_text("incl. tip $6.00")
    expect(reader.page.get_by_test_id("reader-notice")).to_have_text("The customer chose a tip.")
    reader.tap_card(VISA)

    receipt.expect_receipt("paid")
    receipt.expect_payment("succeeded")
    expect(receipt.page.get_by_test_id("receipt-total")).to_have_text("$40.00")
    expect(receipt.page.get_by_test_id("receipt-tip")).to_have_text("$6.00", timeout=WAIT_MS)
    expect(receipt.page.get_by_test_id("receipt-paid")).to_have_text("$46.00")
    expect(receipt.page.get_by_test_id("payment-tip")).to_have_text("incl. tip $6.00")
    if size == "phone":  # the bar at the bottom of the phone says the same
        expect(receipt.page.get_by_test_id("bar-paid")).to_have_text("$46.00")
    receipt.assert_touch_friendly()
    receipt.screenshot("tip-paid")
    [intent] = kiosk.sim.control("GET", "/_sim/ledger")["intents"].values()
    assert intent["captured"] == 4600

    printed = receipt.print_view()
    expect(printed.page.get_by_test_id("printed-tip")).to_contain_text("$6.00")
    expect(printed.page.get_by_test_id("printed-paid")).to_contain_text("$46.00")
    printed.screenshot("tip-printed")


@pytest.mark.parametrize("size", SIZES)
def test_the_cart_shows_on_the_tills_reader(cart_counter: Windows, live: Live, artifacts: Path, size: str) -> None:
    kiosk = live.kiosk
    till = cart_counter.till
    till.log_in(kiosk.url, "cashier", PASSWORD)
    till.page.get_by_test_id("customer-screen-reader").select_option(kiosk.readers[0])
    till.page.get_by_test_id("customer-screen-save").tap()
    expect(till.page.get_by_test_id("customer-screen-saved")).to_contain_text("to the customer on Counter 1")
    till.assert_touch_friendly()
    till.screenshot("customer-screen-chosen")

    receipt = till.new_receipt()
    page = receipt.page
    page.locator("details.add-item summary").tap()
    page.get_by_test_id("line-description").fill("Espresso")
    page.get_by_test_id("line-quantity").fill("2")
    page.get_by_test_id("line-unit-price").fill("2.80")
    page.get_by_test_id("add-line").tap()
    expect(page.get_by_test_id("receipt-line")).to_have_count(1)
    receipt.add_amount("4.40")
    expect(page.get_by_test_id("receipt-line")).to_have_count(2)

    reader = VirtualReader(cart_counter.reader_page, kiosk.sim.url, kiosk.readers[0])
    cart = reader.page.get_by_test_id("screen-cart")
    expect(cart).to_contain_text("2 \N{MULTIPLICATION SIGN} Espresso", timeout=WAIT_MS)
    expect(cart).to_contain_text("Amount")
    reader.expect_amount("$10.00")
    reader.page.screenshot(path=str(artifacts / f"cart-reader-{size}.png"), full_page=True)

    receipt.take_cash("10.00")
    receipt.expect_receipt("paid")
    reader.expect_screen("idle")  # the sale is over: the customer's screen is cleared
    receipt.screenshot("cart-paid-in-cash")


@pytest.fixture
def admin_live(db: str, simulator: RunningSimulator) -> Iterator[Live]:
    """Like `live`, with user "boss", an admin."""

    @asynccontextmanager
    async def serve() -> AsyncIterator[Live]:
        shop = await make_shop(simulator)
        await make_user("boss", admin=True, warehouses=())
        async with asynccontextmanager(serve_kiosk)(simulator, shop) as kiosk:
            yield Live(kiosk, 0)

    with in_thread(serve) as running:
        yield running


@pytest.mark.parametrize("size", SIZES)
def test_an_admin_turns_tips_on_and_bad_suggestions_are_refused(
    browser: Browser, admin_live: Live, artifacts: Path, size: str
) -> None:
    kiosk = admin_live.kiosk
    width, height = SIZES[size]
    violations: list[str] = []
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=size == "phone")
    try:
        page = watch_csp(context.new_page(), violations)
        page.goto(f"{kiosk.url}/login")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_test_id("login-submit").click()
        page.goto(f"{kiosk.url}/admin/warehouses/{kiosk.warehouse_id}")
        form = page.get_by_test_id("tipping-form")
        form.get_by_test_id("tipping-percentages").check()
        form.get_by_label("Three suggestions").fill("10 15 20 25")
        form.get_by_test_id("tipping-submit").click()
        expect(page.get_by_test_id("error-tip_choices")).to_contain_text("Enter one to 3 suggestions")
        expect(page.get_by_test_id("tipping-now")).to_contain_text("Now: No tips")
        page.screenshot(path=str(artifacts / f"admin-tips-refused-{size}.png"), full_page=True)
        form = page.get_by_test_id("tipping-form")
        form.get_by_label("Three suggestions").fill("10 15 20")
        form.get_by_test_id("tipping-submit").click()
        expect(page.get_by_test_id("tipping-now")).to_contain_text("Now: Tips on the reader: 10%, 15%, 20%")
        page.get_by_test_id("tipping-form").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"admin-tips-on-{size}.png"), full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0 and not violations, (overflow, violations)
    finally:
        context.close()
    [configuration] = kiosk.sim.sim.table("terminal.configuration").values()
    assert configuration["tipping"]["usd"]["percentages"] == [10, 15, 20]
