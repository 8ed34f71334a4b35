"""What the till and its paper say, in Chromium at tablet and phone sizes: the TEST MODE banner on
every page, a 200-character word that wraps instead of widening the page, the printed receipt headed
by the shop's name, address and phone with TEST MODE on the paper, a refunded receipt printed as
refunded (never PAID), the reader asking once, and the Warehouses admin naming its location."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from kiosk.payments.settlement import refresh_receipt_status
from kiosk.payments.tables import Payment, Refund
from kiosk.shop.tables import Warehouse
from tests.e2e.background import in_thread
from tests.e2e.pages import WAIT_MS, ReceiptPage, Screen, Till, VirtualReader
from tests.kiosk_support import PASSWORD, make_user
from tests.payments_support import VISA, Kiosk, make_shop, serve_kiosk
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}
LONG_WORD = "Pneumono" + "x" * 192  # 200 characters, no space anywhere
ADDRESS = ("1 Demo St", "San Francisco, CA 94103")
PHONE = "+1 415 555 0134"


@dataclass
class Shop:
    kiosk: Kiosk
    refunded_receipt: int  # paid $12.50 by Visa, all of it refunded


@pytest.fixture
def shop(db: str, simulator: RunningSimulator) -> Iterator[Shop]:
    """The kiosk with test keys; warehouse Main headed "Kiosk Coffee" with an address and phone,
    an admin "boss", and a receipt refunded in full."""

    @asynccontextmanager
    async def serve() -> AsyncIterator[Shop]:
        shop = await make_shop(simulator)
        await make_user("boss", admin=True, warehouses=())
        header: dict[Any, Any] = {
            Warehouse.receipt_name: "Kiosk Coffee",
            Warehouse.address: "\n".join(ADDRESS),
            Warehouse.phone: PHONE,
        }
        await Warehouse.update(header).where(Warehouse.id == shop.warehouse_id)
        async with asynccontextmanager(serve_kiosk)(simulator, shop) as kiosk:
            receipt_id = await kiosk.receipt("12.50")
            card = Payment(receipt=receipt_id, amount=1250, currency="usd", state="succeeded", card_brand="visa",
                           card_last4="4242", settled_at=datetime.now(UTC))  # fmt: skip
            payment_id = (await Payment.insert(card).returning(Payment.id))[0]["id"]
            await refresh_receipt_status(receipt_id)
            refund = Refund(payment=payment_id, sequence=1, amount=1250, currency="usd", state="succeeded")
            await Refund.insert(refund)
            yield Shop(kiosk, receipt_id)

    with in_thread(serve) as running:
        yield running


@pytest.fixture
def screen(browser: Browser, artifacts: Path, size: str) -> Iterator[Page]:
    width, height = SIZES[size]
    window = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone")
    try:
        yield window.new_page()
    finally:
        window.close()


def banner_on(page: Page) -> None:
    banner = page.get_by_test_id("test-mode-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("TEST MODE")


def page_width_overflow(page: Page) -> int:
    overflow: int = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    return overflow


@pytest.mark.parametrize("size", SIZES)
def test_a_long_word_wraps_and_the_paper_is_headed_by_the_shop(
    shop: Shop, screen: Page, browser: Browser, artifacts: Path, size: str
) -> None:
    till = Till(screen, size, artifacts)
    till.log_in(shop.kiosk.url, "cashier", PASSWORD)
    banner_on(screen)
    receipt = till.new_receipt()
    banner_on(screen)
    screen.locator("details.add-item summary").tap()
    screen.get_by_test_id("line-description").fill(LONG_WORD)
    screen.get_by_test_id("line-unit-price").fill("12.50")
    screen.get_by_test_id("add-line").tap()
    expect(screen.get_by_test_id("receipt-line")).to_contain_text(LONG_WORD[:40])
    assert page_width_overflow(screen) <= 0, "a long word widened the receipt page"
    receipt.screenshot("trust-long-word")

    # The customer's side: the reader asks once, not twice.
    reader_window = browser.new_context(viewport={"width": 800, "height": 900})
    try:
        reader = VirtualReader(reader_window.new_page(), shop.kiosk.sim.url, shop.kiosk.readers[0])
        receipt.pay_by_card(shop.kiosk.readers[0])
        reader.expect_screen("collecting")
        expect(reader.page.get_by_test_id("reader-screen")).to_contain_text("Tap, insert or swipe")
        shown = reader.page.get_by_test_id("reader-screen").inner_text()
        assert shown.count("Tap, insert or swipe") == 1, shown
        reader.tap_card(VISA)
    finally:
        reader_window.close()
    receipt.expect_receipt("paid")
    expect(screen.locator("#cash")).to_have_count(0)  # paid by card: no empty Cash card
    assert page_width_overflow(screen) <= 0

    printed = receipt.print_view()
    paper = printed.page.get_by_test_id("printed-receipt")
    expect(printed.page.get_by_test_id("printed-shop")).to_have_text("Kiosk Coffee")
    expect(printed.page.get_by_test_id("printed-address")).to_have_text(list(ADDRESS))
    expect(printed.page.get_by_test_id("printed-phone")).to_have_text(f"Tel. {PHONE}")
    expect(paper).to_contain_text(LONG_WORD[:40])
    expect(printed.status()).to_have_attribute("data-state", "paid", timeout=WAIT_MS)
    assert page_width_overflow(printed.page) <= 0, "a long word widened the printed receipt"
    width = paper.evaluate("e => e.scrollWidth - e.clientWidth")
    assert width <= 0, f"the paper strip is {width}px wider than its 80 mm"
    printed.as_printed()
    expect(printed.page.get_by_test_id("printed-test-mode")).to_have_text("*** TEST MODE · no real money ***")
    printed.screenshot("trust-printed-header")


@pytest.mark.parametrize("size", SIZES)
def test_a_refunded_receipt_prints_refunded_and_admin_pages_carry_the_banner(
    shop: Shop, screen: Page, artifacts: Path, size: str
) -> None:
    till = Till(screen, size, artifacts)
    till.log_in(shop.kiosk.url, "cashier", PASSWORD)
    receipt = ReceiptPage(screen, size, artifacts).goto(shop.kiosk.url, shop.refunded_receipt)
    expect(screen.get_by_test_id("refund-status")).to_have_attribute("data-state", "refunded")
    expect(screen.locator("#cash")).to_have_count(0)
    printed = receipt.print_view()
    expect(printed.status()).to_have_attribute("data-state", "refunded")
    expect(printed.status()).to_have_text("REFUNDED IN FULL")
    paper = printed.page.get_by_test_id("printed-receipt")
    expect(paper).not_to_contain_text("PAID")
    expect(paper).not_to_contain_text("Thank you")
    printed.screenshot("trust-refunded-print")

    admin = Screen(screen, size, artifacts)
    screen.context.clear_cookies()  # the tablet handed to an admin
    screen.goto(f"{shop.kiosk.url}/login")
    screen.fill("input[name=username]", "boss")
    screen.fill("input[name=password]", PASSWORD)
    screen.get_by_test_id("login-submit").tap()
    expect(screen).not_to_have_url(re.compile(r"/login"))
    for path in ("/admin/", "/admin/stripe", "/admin/warehouses", "/admin/payments"):
        screen.goto(f"{shop.kiosk.url}{path}")
        expect(screen.get_by_test_id("admin-sections")).to_be_attached()
        banner_on(screen)
        if path == "/admin/stripe":  # the keys come from the environment: it says so, and test mode
            expect(screen.get_by_test_id("stripe-mode")).to_contain_text("Test")
            expect(screen.get_by_test_id("stripe-source")).to_contain_text("environment (KIOSK_STRIPE_SECRET_KEY)")
            admin.screenshot("trust-admin-stripe")
    expect(screen.get_by_test_id("refunded-in-full")).to_be_visible()
    screen.goto(f"{shop.kiosk.url}/admin/warehouses")
    location = screen.get_by_test_id("warehouse-location")
    expect(location).to_have_text("Main")  # the location's display name at Stripe, not its tml_… id
    expect(screen.get_by_test_id("warehouses")).not_to_contain_text("tml_")
    admin.screenshot("trust-admin-warehouses")
    # Times as people say them, never "last seen 2026-12-06 01:29".
    people_time = re.compile(r"^(just now|\d+ min ago|today \d\d:\d\d)$")
    screen.goto(f"{shop.kiosk.url}/admin/readers")
    seen = screen.get_by_test_id("reader-last-seen").first
    expect(seen).to_have_text(re.compile(r"^last seen (just now|\d+ min ago|today \d\d:\d\d)$"))
    screen.goto(f"{shop.kiosk.url}/admin/users")
    boss = screen.locator("tr", has_text="boss").first
    expect(boss).not_to_contain_text(re.compile(r"\d{4}-\d\d-\d\d"))
    expect(boss.locator("td", has_text=people_time).first).to_be_visible()
    screen.goto(f"{shop.kiosk.url}/admin/warehouses/{shop.kiosk.warehouse_id}")
    expect(screen.get_by_test_id("receipt-address")).to_have_value("\n".join(ADDRESS))
    expect(screen.locator("#f-phone")).to_have_value(PHONE)
    assert page_width_overflow(screen) <= 0
    admin.screenshot("trust-admin-receipt-header")
