"""Customers at the till in Chromium, at tablet and phone sizes: find and attach a customer as the
cashier types, save the card with consent while paying on the virtual reader, see "Receipt sent
to", charge the saved card on the next receipt; bad input said next to it; the admin's customer
page lists and removes saved cards. Screenshots go to test-artifacts/customers-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kiosk.customers.protection import CARD_DATA, TOKEN_ONLY
from kiosk.customers.tables import Customer
from kiosk.db.tables import Setting
from tests.e2e.background import in_thread
from tests.e2e.pages import TOUCH_PX, WAIT_MS, ReceiptPage, Till, VirtualReader
from tests.kiosk_support import PASSWORD, make_user
from tests.payments_support import VISA, Kiosk, make_shop, serve_kiosk
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}


@dataclass
class Shop:
    kiosk: Kiosk
    receipts: list[int]


@pytest.fixture
def shop(db: str, simulator: RunningSimulator) -> Iterator[Shop]:
    """Main with its readers, cards saved as Stripe tokens, two known customers, three receipts."""

    @asynccontextmanager
    async def serve() -> AsyncIterator[Shop]:
        made = await make_shop(simulator)
        await make_user("boss", admin=True, warehouses=())
        await Setting.insert(Setting(name=CARD_DATA, value=TOKEN_ONLY))
        await Customer.insert(
            Customer(name="Ada Lovelace", email="ada@example.com", phone="+1 555 0100"),
            Customer(name="Charles Babbage", email="", phone="+44 20 7946 0000"),
        )
        async with asynccontextmanager(serve_kiosk)(simulator, made) as kiosk:
            yield Shop(kiosk, [await kiosk.receipt("10.00"), await kiosk.receipt("25.00"), await kiosk.receipt("7.00")])

    with in_thread(serve) as running:
        yield running


@pytest.fixture
def windows(browser: Browser, size: str) -> Iterator[tuple[Page, Page]]:
    width, height = SIZES[size]
    till = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone")
    reader = browser.new_context(viewport={"width": 800, "height": 900})
    try:
        yield till.new_page(), reader.new_page()
    finally:
        till.close()
        reader.close()


class CustomerPanel(ReceiptPage):
    """The receipt's customer section and the saved cards under it."""

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.artifacts / f"customers-{name}-{self.size}.png"), full_page=True)

    def find(self, typed: str) -> None:
        self.page.get_by_test_id("customer-search").fill(typed)  # debounced: one search after typing
        expect(self.page.get_by_test_id("customer-results")).to_be_visible(timeout=WAIT_MS)

    def attach(self, name: str) -> None:
        self.page.get_by_test_id("customer-result").filter(has_text=name).tap()
        expect(self.page.get_by_test_id("receipt-customer-name")).to_contain_text(name)


@pytest.mark.parametrize("size", SIZES)
def test_find_attach_save_the_card_then_charge_it_next_time(
    windows: tuple[Page, Page], shop: Shop, artifacts: Path, size: str
) -> None:
    """Search, attach, consent, pay on the reader: the card is saved and pays the next receipt alone."""
    page, reader_page = windows
    url, readers = shop.kiosk.url, shop.kiosk.readers
    Till(page, size, artifacts).log_in(url, "cashier", PASSWORD)
    first = CustomerPanel(page, size, artifacts).goto(url, shop.receipts[0])
    first.find("lovel")
    first.shot("search")
    first.attach("Ada Lovelace")
    expect(page.get_by_test_id("receipt-email-note")).to_contain_text("ada@example.com")
    page.get_by_test_id("save-card-toggle").tap()
    expect(page.get_by_test_id("save-card-on")).to_be_visible()
    first.assert_touch_friendly()
    first.shot("consent")
    first.pay_by_card(readers[0])
    VirtualReader(reader_page, shop.kiosk.sim.url, readers[0]).tap_card(VISA)
    first.expect_payment("succeeded")
    first.goto(url, shop.receipts[0])
    expect(page.get_by_test_id("receipt-sent")).to_have_text("Receipt sent to ada@example.com", timeout=WAIT_MS)
    first.shot("receipt-sent")

    second = CustomerPanel(page, size, artifacts).goto(url, shop.receipts[1])
    second.find("ada@")
    second.attach("Ada Lovelace")
    charge = page.get_by_test_id("charge-saved-card")  # appears with the customer, no reload
    expect(charge).to_contain_text("Visa •••• 4242", timeout=WAIT_MS)
    second.shot("saved-card")
    charge.tap()
    second.expect_receipt("paid")
    expect(page.get_by_test_id("receipt-sent")).to_be_visible()
    second.shot("saved-card-paid")


@pytest.mark.parametrize("size", SIZES)
def test_bad_input_is_said_next_to_what_caused_it(
    windows: tuple[Page, Page], shop: Shop, artifacts: Path, size: str
) -> None:
    """An invalid email at the till, and saving for a customer without email, each say what to do."""
    page, _ = windows
    url = shop.kiosk.url
    Till(page, size, artifacts).log_in(url, "cashier", PASSWORD)
    panel = CustomerPanel(page, size, artifacts).goto(url, shop.receipts[2])
    page.get_by_test_id("new-customer").locator("summary").tap()
    page.get_by_test_id("new-customer-name").fill("Grace Hopper")
    page.get_by_test_id("new-customer-email").fill("grace@@navy")
    page.get_by_test_id("create-customer").tap()
    expect(page.get_by_test_id("new-customer-error-email")).to_contain_text("is not an email address")
    expect(page.get_by_test_id("new-customer-email")).to_have_value("grace@@navy")
    panel.shot("invalid-email")
    panel.find("babb")
    panel.attach("Charles Babbage")
    page.get_by_test_id("save-card-toggle").tap()
    expect(page.get_by_test_id("save-card-error")).to_contain_text("Add the customer's email")
    panel.assert_touch_friendly()
    panel.shot("needs-email")
    page.get_by_test_id("add-email").fill("charles@example")
    page.get_by_test_id("add-email-submit").tap()
    expect(page.get_by_test_id("add-email-error")).to_contain_text("is not an email address")
    page.get_by_test_id("add-email").fill("charles@example.com")
    page.get_by_test_id("add-email-submit").tap()
    expect(page.get_by_test_id("receipt-email-note")).to_contain_text("charles@example.com")
    page.get_by_test_id("save-card-toggle").tap()
    expect(page.get_by_test_id("save-card-on")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_the_admin_customer_pages(windows: tuple[Page, Page], shop: Shop, artifacts: Path, size: str) -> None:
    """The Customers admin: the list, the card data protection choice, a customer's (empty) cards."""
    page, _ = windows
    url = shop.kiosk.url
    Till(page, size, artifacts).log_in(url, "boss", PASSWORD)
    page.goto(f"{url}/admin/customers")
    expect(page.get_by_test_id("customer-row")).to_have_count(2)
    expect(page.get_by_test_id("card_data-token_only")).to_be_checked()
    page.screenshot(path=str(artifacts / f"customers-admin-list-{size}.png"), full_page=True)
    page.get_by_role("link", name="Ada Lovelace").tap()
    expect(page.get_by_test_id("no-saved-cards")).to_be_visible()
    page.get_by_label("Email").fill("ada@@example")
    page.get_by_test_id("save-customer").tap()
    expect(page.get_by_test_id("error-email")).to_contain_text("is not an email address")
    page.screenshot(path=str(artifacts / f"customers-admin-customer-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", SIZES)
def test_save_a_card_without_paying_and_ask_the_email_on_the_reader(
    windows: tuple[Page, Page], shop: Shop, artifacts: Path, size: str
) -> None:
    """The reader saves Ada's card with no payment, then asks Charles for his email; both are
    followed live at the till and end in plain words."""
    page, reader_page = windows
    url, readers = shop.kiosk.url, shop.kiosk.readers
    Till(page, size, artifacts).log_in(url, "cashier", PASSWORD)
    panel = CustomerPanel(page, size, artifacts).goto(url, shop.receipts[0])
    panel.find("lovel")
    panel.attach("Ada Lovelace")
    page.get_by_test_id("save-card-on-reader").tap()
    expect(page.get_by_text("Save the card on")).to_be_visible(timeout=WAIT_MS)
    panel.reader(readers[0]).tap()
    expect(page.get_by_test_id("reader-task-running")).to_contain_text("Nothing is charged", timeout=WAIT_MS)
    expect(page.get_by_test_id("reader-task-cancel")).to_be_visible()
    for control in ("reader-task-cancel", "customer-page-link"):
        box = page.get_by_test_id(control).bounding_box()
        assert box is not None and box["height"] >= TOUCH_PX and box["width"] >= TOUCH_PX, (control, box)
    panel.shot("save-on-reader-running")
    VirtualReader(reader_page, shop.kiosk.sim.url, readers[0]).tap_card(VISA)
    expect(page.get_by_test_id("reader-task-done")).to_contain_text(
        "Card saved: Visa •••• 4242, expires", timeout=WAIT_MS
    )
    expect(page.get_by_test_id("charge-saved-card")).to_contain_text("Visa •••• 4242", timeout=WAIT_MS)
    panel.shot("save-on-reader-done")

    asked = CustomerPanel(page, size, artifacts).goto(url, shop.receipts[2])
    asked.find("babb")
    asked.attach("Charles Babbage")
    page.get_by_test_id("ask-email-on-reader").tap()
    asked.reader(readers[0]).tap()
    expect(page.get_by_test_id("reader-task-running")).to_contain_text("type their email", timeout=WAIT_MS)
    reader_page.goto(f"{shop.kiosk.sim.url}/_sim/readers/{readers[0]}")
    reader_page.get_by_test_id("reader-input-email").fill("charles@example.com")
    reader_page.get_by_test_id("reader-input-submit").click()
    expect(page.get_by_test_id("reader-task-done")).to_have_text("Email saved: charles@example.com", timeout=WAIT_MS)
    expect(page.get_by_test_id("receipt-email-note")).to_contain_text("charles@example.com", timeout=WAIT_MS)
    asked.shot("ask-email-done")


@pytest.mark.parametrize("size", SIZES)
def test_charge_a_saved_card_from_the_customers_page(
    windows: tuple[Page, Page], shop: Shop, artifacts: Path, size: str
) -> None:
    """The customer's page: an amount and what it is for, refused when empty, then charged."""
    page, reader_page = windows
    url, readers = shop.kiosk.url, shop.kiosk.readers
    Till(page, size, artifacts).log_in(url, "cashier", PASSWORD)
    panel = CustomerPanel(page, size, artifacts).goto(url, shop.receipts[0])
    panel.find("lovel")
    panel.attach("Ada Lovelace")
    page.get_by_test_id("save-card-on-reader").tap()
    panel.reader(readers[0]).tap()
    VirtualReader(reader_page, shop.kiosk.sim.url, readers[0]).tap_card(VISA)
    expect(page.get_by_test_id("reader-task-done")).to_be_visible(timeout=WAIT_MS)
    page.get_by_test_id("customer-page-link").tap()
    expect(page.get_by_test_id("customer-name")).to_have_text("Ada Lovelace")
    page.get_by_test_id("charge-saved-card-go").tap()
    expect(page.get_by_test_id("error-amount")).to_contain_text("Type the amount")
    expect(page.get_by_test_id("error-reason")).to_contain_text("Say what the charge is for")
    page.screenshot(path=str(artifacts / f"customers-page-refused-{size}.png"), full_page=True)
    page.get_by_test_id("charge-amount").fill("12.50")
    page.get_by_test_id("charge-reason").fill("Balance of order 1042")
    page.screenshot(path=str(artifacts / f"customers-page-charge-{size}.png"), full_page=True)
    page.get_by_test_id("charge-saved-card-go").tap()
    receipt = ReceiptPage(page, size, artifacts)
    receipt.expect_receipt("paid")
    expect(page.get_by_text("Balance of order 1042")).to_be_visible()
    page.screenshot(path=str(artifacts / f"customers-page-charged-{size}.png"), full_page=True)
