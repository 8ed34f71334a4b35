"""Page objects for the till and the virtual reader, found by their `data-testid` hooks.

Each method is one thing a cashier (or the customer at the reader) does or looks at; assertions
use Playwright's `expect`, which waits (bounded) for the pages' htmx polling to catch up.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# Long enough for a webhook (or the reconciler) and the next poll of a fragment, on a machine busy
# with other work too: an expectation returns as soon as it holds.
WAIT_MS = 30_000
# Smallest comfortable finger target, in CSS pixels (Apple and Material both say about 44-48).
TOUCH_PX = 44
# Every control a finger might be asked to press, with its size and whether it fits the screen.
_CONTROLS_JS = """() => Array.from(document.querySelectorAll('a, button, input, select, summary'))
  .filter(e => e.offsetParent !== null)
  .map(e => { const r = e.getBoundingClientRect();
              return {text: (e.innerText || e.name || e.tagName).trim().slice(0, 40),
                      width: r.width, height: r.height}; })"""


class Screen:
    """What every till page shares: its page, a size name for screenshots, layout checks."""

    def __init__(self, page: Page, size: str, artifacts: Path) -> None:
        self.page = page
        self.size = size
        self.artifacts = artifacts

    def screenshot(self, name: str) -> None:
        """Kept in test-artifacts/ for a person to look at after the run. A full-page capture of a
        page that polls can stall on a loaded machine: it is taken again, up to three times."""
        path = str(self.artifacts / f"checkout-{name}-{self.size}.png")
        for _ in range(2):
            try:
                self.page.screenshot(path=path, full_page=True, timeout=15_000)
                return
            except PlaywrightTimeoutError:
                continue
        self.page.screenshot(path=path, full_page=True)

    def _measure(self, script: str) -> Any:
        """Evaluate `script` on the page as it is drawn; a page that redraws itself meanwhile (a
        receipt whose shape moved reloads) is measured again once it has loaded."""
        for _ in range(3):
            try:
                return self.page.evaluate(script)
            except PlaywrightError as exc:
                # Mid-reload the old document is gone ("context was destroyed") or the new one has
                # no root element yet: measure again once it has loaded.
                if "context was destroyed" not in str(exc) and "of null" not in str(exc):
                    raise
                self.page.wait_for_load_state()
        return self.page.evaluate(script)

    def small_targets(self) -> list[dict[str, Any]]:
        """Visible controls a finger would struggle with (smaller than TOUCH_PX either way)."""
        controls: list[dict[str, Any]] = self._measure(_CONTROLS_JS)
        return [c for c in controls if c["width"] < TOUCH_PX or c["height"] < TOUCH_PX]

    def assert_touch_friendly(self) -> None:
        """Large touch targets, and nothing sticks out sideways (no horizontal scrolling)."""
        small = self.small_targets()
        assert not small, f"too small to tap: {small}"
        overflow = self._measure("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than the screen"


class Till(Screen):
    """Logging in and today's receipts."""

    def log_in(self, base_url: str, username: str, password: str, warehouse: str | None = None) -> None:
        self.page.goto(f"{base_url}/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.get_by_test_id("login-submit").tap()
        if warehouse is not None:  # a cashier working at several warehouses picks one
            self.page.get_by_test_id("warehouse-option").filter(has_text=warehouse).tap()
        expect(self.page.get_by_test_id("new-receipt")).to_be_visible()

    def new_receipt(self) -> ReceiptPage:
        self.page.get_by_test_id("new-receipt").tap()
        expect(self.page.get_by_test_id("amount")).to_be_visible()
        return ReceiptPage(self.page, self.size, self.artifacts)

    def row(self, number: int) -> Locator:
        return self.page.locator(f'[data-testid=receipt-row][data-number="{number}"]')

    def open_receipt(self, number: int) -> ReceiptPage:
        self.row(number).tap()
        return ReceiptPage(self.page, self.size, self.artifacts)


class ReceiptPage(Screen):
    """One receipt: lines, cash, and the card part with its reader picker and payment progress."""

    def goto(self, base_url: str, receipt_id: int) -> ReceiptPage:
        """Open the receipt; a redraw the page was making of itself (a receipt that just closed
        reloads) may abort the first navigation: it is made again."""
        try:
            self.page.goto(f"{base_url}/receipts/{receipt_id}")
        except PlaywrightError as exc:
            if "ERR_ABORTED" not in str(exc):
                raise
            self.page.wait_for_load_state()
            self.page.goto(f"{base_url}/receipts/{receipt_id}")
        return self

    @property
    def number(self) -> int:
        heading = self.page.locator("h1").inner_text()
        return int(heading.split("#", 1)[1].split()[0])

    def add_amount(self, typed: str) -> None:
        self.page.get_by_test_id("amount").fill(typed)
        self.page.get_by_test_id("add-amount").tap()

    def amount_error(self) -> Locator:
        return self.page.get_by_test_id("amount-error")

    def take_cash(self, given: str) -> None:
        self.page.get_by_test_id("cash-given").fill(given)
        self.page.get_by_test_id("take-cash").tap()

    def open_picker(self) -> Locator:
        """Tap "+ Card"; the picker (or the reason there is none) appears."""
        self.page.get_by_test_id("add-card").tap()
        picker = self.page.locator("#reader-picker")
        expect(picker).to_be_visible()
        return picker

    def reader(self, reader_id: str) -> Locator:
        return self.page.locator(f'[data-testid=reader-option][data-reader-id="{reader_id}"]')

    def pay_by_card(self, reader_id: str) -> None:
        """Tap + Card, pick the reader, and see the payment waiting there for the customer."""
        self.open_picker()
        self.reader(reader_id).tap()
        self.expect_payment("on_reader")
        self.expect_card_holds_the_rest()

    def expect_card_holds_the_rest(self) -> None:
        """Once a card tender is open the page redraws itself: no cash form, no Void, no editing."""
        expect(self.cash_form()).to_be_hidden(timeout=WAIT_MS)
        expect(self.void_button()).to_be_hidden()
        expect(self.page.get_by_test_id("amount")).to_be_hidden()

    def payment(self) -> Locator:
        return self.page.get_by_test_id("payment-status")

    def expect_payment(self, state: str) -> None:
        expect(self.page.locator(f'[data-testid=payment-status][data-state="{state}"]')).to_be_visible(timeout=WAIT_MS)

    def expect_receipt(self, state: str) -> None:
        expect(self.page.locator(f'[data-testid=receipt-status][data-state="{state}"]')).to_be_visible(timeout=WAIT_MS)

    def headline(self) -> Locator:
        return self.page.get_by_test_id("payment-headline")

    def detail(self) -> Locator:
        return self.page.get_by_test_id("payment-detail")

    def press(self, testid: str) -> None:
        """A button of the payment panel: retry-same, retry-other, check-status, cancel-payment."""
        self.page.get_by_test_id(testid).tap()

    def void_button(self) -> Locator:
        return self.page.get_by_test_id("void-receipt")

    def cash_form(self) -> Locator:
        return self.page.get_by_test_id("take-cash")

    def back_to_list(self) -> Till:
        self.page.get_by_role("link", name="Today's receipts").tap()
        expect(self.page.get_by_test_id("receipt-list")).to_be_visible()
        return Till(self.page, self.size, self.artifacts)

    def print_view(self) -> PrintView:
        self.page.get_by_test_id("print-link").tap()
        expect(self.page.get_by_test_id("printed-receipt")).to_be_visible()
        return PrintView(self.page, self.size, self.artifacts)


class PrintView(Screen):
    """The printable receipt (a paper strip on screen; the whole page when printed)."""

    def card_fields(self) -> dict[str, str]:
        """The EMV lines under the card tender: label -> value (once Stripe has told them)."""
        expect(self.page.get_by_test_id("card-details-waiting")).to_have_count(0, timeout=WAIT_MS)
        fields = {}
        for row in self.page.get_by_test_id("card-field").all():
            label, value = row.locator("span").all_inner_texts()
            fields[label] = value
        return fields

    def tender(self) -> Locator:
        return self.page.get_by_test_id("card-tender")

    def status(self) -> Locator:
        return self.page.get_by_test_id("printed-status")

    def as_printed(self) -> None:
        """What the printer gets: print media, without the buttons and the top bar."""
        self.page.emulate_media(media="print")
        expect(self.page.get_by_test_id("print-button")).to_be_hidden()
        expect(self.page.get_by_test_id("test-mode-banner")).to_be_hidden()


class VirtualReader:
    """The simulator's page of one reader: the customer's side of the counter."""

    def __init__(self, page: Page, simulator_url: str, reader_id: str) -> None:
        self.page = page
        page.goto(f"{simulator_url}/_sim/readers/{reader_id}")

    def expect_amount(self, shown: str) -> None:
        expect(self.page.get_by_test_id("screen-amount")).to_have_text(shown, timeout=WAIT_MS)

    def expect_screen(self, state: str) -> None:
        expect(self.page.get_by_test_id("reader-screen")).to_have_attribute("data-state", state, timeout=WAIT_MS)

    def tap_card(self, number: str) -> None:
        """The customer taps a test card while the reader asks for one."""
        self.expect_screen("collecting")
        self.page.get_by_test_id(f"card-{number}").click()
        screen = self.page.get_by_test_id("reader-screen")
        expect(screen).not_to_have_attribute("data-state", "collecting", timeout=WAIT_MS)

    def customer_cancels(self) -> None:
        self.expect_screen("collecting")
        self.page.get_by_test_id("customer-cancel").click()
        self.expect_screen("canceled")

    def unplug(self) -> None:
        """Power or network lost: the screen goes dark; Stripe still shows the reader online for 2 minutes."""
        self.page.get_by_test_id("unplug").click()
        self.expect_screen("unplugged")

    def go_offline_now(self) -> None:
        """The instant fault: Stripe shows the reader offline at once."""
        self.page.get_by_test_id("go-offline").click()
        self.expect_screen("offline")

    def plug_back_in(self) -> None:
        self.page.get_by_test_id("replug").click()
        screen = self.page.get_by_test_id("reader-screen")
        expect(screen).not_to_have_attribute("data-state", re.compile("^(offline|unplugged)$"))
