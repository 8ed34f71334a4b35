"""Trust at the till in Chromium, at tablet and phone sizes (issue 10): what destroys asks first in
the page itself (Void receipt, Refund, Remove reader), every press says it is on its way and cannot
be doubled, a lost connection is said on the payment panel and mends itself, New sale comes at once
after a paid receipt, and on a phone what is due stays in view with its Card and Cash buttons.
The kiosk and the simulator run for real; screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.background import in_thread, watch_csp
from tests.e2e.pages import WAIT_MS, ReceiptPage, Till, VirtualReader
from tests.kiosk_support import PASSWORD, make_user
from tests.payments_support import VISA, Kiosk, make_shop, serve_kiosk
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}
BOTH = pytest.mark.parametrize("size", SIZES)
WATCH_TAKE_CASH = """() => { const b = document.querySelector('[data-testid=take-cash]');
  const seen = new MutationObserver(() => {
    if (!b.classList.contains('is-busy')) return;
    seen.disconnect();
    b.form.requestSubmit();  // Enter in the cash field again
    console.log(`take-cash:${b.textContent}:${b.disabled ? 'disabled' : 'enabled'}`);
  });
  seen.observe(b, {attributes: true, childList: true}); }"""


@dataclass
class Shop:
    """The kiosk with a $10.00 receipt open; "cashier" works at Main, "boss" is an admin."""

    kiosk: Kiosk
    receipt: int


@pytest.fixture
def shop(db: str, simulator: RunningSimulator) -> Iterator[Shop]:
    @asynccontextmanager
    async def serve() -> AsyncIterator[Shop]:
        made = await make_shop(simulator)
        await make_user("boss", admin=True, warehouses=())
        async with asynccontextmanager(serve_kiosk)(simulator, made) as kiosk:
            yield Shop(kiosk, await kiosk.receipt("10.00"))

    with in_thread(serve) as running:
        yield running


@dataclass
class Counter:
    """The cashier's (or admin's) screen at one size, and the customer's virtual reader beside it."""

    screen: Page
    reader_page: Page
    shop: Shop
    size: str
    artifacts: Path
    csp: list[str]

    @property
    def url(self) -> str:
        return self.shop.kiosk.url

    def log_in(self, username: str = "cashier") -> None:
        if not self.screen.url.endswith("/login"):
            self.screen.goto(f"{self.url}/login")
        self.screen.fill("input[name=username]", username)
        self.screen.fill("input[name=password]", PASSWORD)
        self.screen.get_by_test_id("login-submit").tap()
        expect(self.screen.get_by_test_id("login-submit")).to_have_count(0)

    def receipt(self) -> ReceiptPage:
        self.log_in()
        return ReceiptPage(self.screen, self.size, self.artifacts).goto(self.url, self.shop.receipt)

    def reader(self, index: int = 0) -> VirtualReader:
        return VirtualReader(self.reader_page, self.shop.kiosk.sim.url, self.shop.kiosk.readers[index])

    def screenshot(self, name: str) -> None:
        self.screen.screenshot(path=str(self.artifacts / f"trust-{name}-{self.size}.png"), full_page=True)

    def viewport_shot(self, name: str) -> None:
        """What the person sees without scrolling."""
        self.screen.screenshot(path=str(self.artifacts / f"trust-{name}-{self.size}.png"))


@pytest.fixture
def counter(browser: Browser, shop: Shop, artifacts: Path, size: str) -> Iterator[Counter]:
    width, height = SIZES[size]
    window = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone")
    reader_window = browser.new_context(viewport={"width": 800, "height": 900})
    violations: list[str] = []
    try:
        screen = watch_csp(window.new_page(), violations)
        yield Counter(screen, reader_window.new_page(), shop, size, artifacts, violations)
        assert violations == [], violations  # no inline script or handler anywhere
    finally:
        window.close()
        reader_window.close()


class Held:
    """Requests to one address held on their way to the kiosk (the kiosk is busy), until released."""

    def __init__(self, page: Page, pattern: str) -> None:
        self.page, self.pattern, self.routes = page, pattern, list[Route]()
        page.route(pattern, self.hold)

    def hold(self, route: Route) -> None:
        self.routes.append(route)

    def release(self) -> None:
        for route in self.routes:
            route.continue_()
        self.page.unroute(self.pattern)


def pay_on_the_reader(counter: Counter, receipt: ReceiptPage) -> None:
    receipt.pay_by_card(counter.shop.kiosk.readers[0])
    counter.reader(0).tap_card(VISA)
    receipt.expect_receipt("paid")


@BOTH
def test_void_asks_first_and_says_what_happens(counter: Counter) -> None:
    receipt = counter.receipt()
    number = receipt.number
    receipt.void_button().tap()
    question = receipt.page.get_by_test_id("void-confirm")
    expect(question).to_contain_text(f"Void receipt #{number} ($10.00, 1 item)?")
    expect(receipt.page.get_by_test_id("void-yes")).to_have_text(f"Yes, void receipt #{number}")
    receipt.assert_touch_friendly()
    counter.screenshot("void-question")

    receipt.page.get_by_test_id("void-keep").tap()
    expect(question).to_have_count(0)
    receipt.expect_receipt("open")  # Keep it: nothing happened

    receipt.void_button().tap()
    receipt.page.get_by_test_id("void-yes").tap()
    receipt.expect_receipt("voided")
    expect(receipt.page.get_by_test_id("new-sale")).to_be_visible()


@BOTH
def test_every_press_says_it_is_on_its_way_and_is_not_doubled(counter: Counter) -> None:
    receipt = counter.receipt()
    receipt.open_picker()
    sending = Held(receipt.page, "**/receipts/*/card")
    option = receipt.reader(counter.shop.kiosk.readers[0])
    option.tap()
    expect(option).to_have_text("Sending to Counter 1…")
    expect(option).to_be_disabled()  # a second press cannot send it again
    counter.screenshot("busy-sending")
    sending.release()
    receipt.expect_payment("on_reader")
    receipt.expect_card_holds_the_rest()  # the page has redrawn itself around the running payment
    assert len(sending.routes) == 1

    canceling = Held(receipt.page, "**/payments/*/cancel")
    receipt.press("cancel-payment")
    cancel = receipt.page.get_by_test_id("cancel-payment")
    expect(cancel).to_have_text("Canceling…")
    expect(cancel).to_be_disabled()
    canceling.release()
    receipt.expect_payment("canceled")
    expect(receipt.void_button()).to_be_visible()  # the page has redrawn itself: free again

    # A plain form post too: Take cash says so until the next page comes. While the next page is on
    # its way Playwright cannot look into this one, so the page reports what its button shows, and
    # presses Enter in the cash field once more.
    taking = Held(receipt.page, "**/receipts/*/cash")
    receipt.page.get_by_test_id("cash-given").fill("20")
    receipt.page.evaluate(WATCH_TAKE_CASH)
    with receipt.page.expect_console_message(lambda m: m.text.startswith("take-cash:")) as shown:
        receipt.page.get_by_test_id("take-cash").tap(no_wait_after=True)
    assert shown.value.text == "take-cash:Taking cash…:disabled"
    taking.release()
    receipt.expect_receipt("paid")
    expect(receipt.page.get_by_test_id("change-due")).to_contain_text("$10.00")
    expect(receipt.page.get_by_test_id("cash-tenders").locator("li")).to_have_count(1)  # taken once


@BOTH
def test_a_lost_connection_is_said_and_mends_itself(counter: Counter) -> None:
    receipt = counter.receipt()
    receipt.pay_by_card(counter.shop.kiosk.readers[0])
    lost = receipt.page.get_by_test_id("connection-lost")
    expect(lost).to_be_hidden()
    receipt.page.wait_for_load_state("load")  # the redrawn page has its scripts

    kiosk = f"{counter.url}/**"  # the tablet reaches nothing of the kiosk; the reader still Stripe
    receipt.page.route(kiosk, lambda route: route.abort("internetdisconnected"))
    expect(lost).to_be_visible()
    expect(lost).to_contain_text("No connection to the kiosk. The payment goes on at the reader")
    counter.screenshot("connection-lost")
    counter.reader(0).tap_card(VISA)  # the customer pays meanwhile
    expect(lost).to_be_visible()

    receipt.page.unroute(kiosk)  # the connection is back
    receipt.expect_receipt("paid")
    receipt.expect_payment("succeeded")
    expect(receipt.page.get_by_test_id("connection-lost")).to_have_count(0)


@BOTH
def test_new_sale_at_once_after_a_paid_receipt(counter: Counter) -> None:
    receipt = counter.receipt()
    number = receipt.number
    pay_on_the_reader(counter, receipt)
    new_sale = receipt.page.get_by_test_id("bar-new-sale" if counter.size == "phone" else "new-sale")
    expect(new_sale).to_be_in_viewport()  # no scrolling to find it
    receipt.assert_touch_friendly()
    counter.viewport_shot("paid-new-sale")
    new_sale.tap()
    expect(receipt.page.get_by_test_id("amount")).to_be_visible()
    receipt.expect_receipt("open")
    assert receipt.number == number + 1


@BOTH
def test_a_press_shows_its_page_at_its_address_and_back_shows_the_receipt_afresh(counter: Counter) -> None:
    """New sale, the amount and the card's approval each show the page they lead to at once (one
    answer, no redirect); the address bar follows, and Back or a reload draw the receipt anew."""
    receipt = counter.receipt()
    paid_number = receipt.number
    pay_on_the_reader(counter, receipt)
    paid_at = receipt.page.url
    receipt.page.get_by_test_id("bar-new-sale" if counter.size == "phone" else "new-sale").tap()
    expect(receipt.page.get_by_test_id("amount")).to_be_visible()
    assert receipt.number == paid_number + 1 and receipt.page.url != paid_at
    receipt.add_amount("4.20")
    expect(receipt.page.get_by_test_id("receipt-line")).to_have_count(1)
    receipt.page.reload()  # the address is the new receipt's own: a reload shows it, nothing is sent again
    expect(receipt.page.get_by_test_id("receipt-line")).to_have_count(1)
    assert receipt.number == paid_number + 1

    receipt.page.go_back()  # the paid receipt, loaded afresh from the kiosk
    expect(receipt.page.get_by_test_id("receipt-status")).to_have_attribute("data-state", "paid")
    assert receipt.number == paid_number and receipt.page.url == paid_at
    expect(receipt.page.get_by_test_id("payment-card")).to_contain_text("Visa •••• 4242")


@BOTH
def test_the_next_customers_amount_goes_with_new_sale(counter: Counter) -> None:
    """Typed beside New sale on the paid receipt (and beside New receipt on today's list), the next
    customer's amount is on the new receipt when it opens: "+ Card" at once, one press fewer."""
    receipt = counter.receipt()
    paid_number = receipt.number
    pay_on_the_reader(counter, receipt)
    page, paid_at = receipt.page, receipt.page.url
    page.get_by_test_id("next-sale-amount").fill("6.80")
    counter.screenshot("next-sale-amount")
    page.get_by_test_id("new-sale").tap()
    expect(page.get_by_test_id("receipt-status")).to_have_attribute("data-state", "open")
    assert receipt.number == paid_number + 1 and page.url != paid_at
    expect(page.get_by_test_id("receipt-line")).to_have_count(1)
    expect(page.get_by_test_id("amount-due")).to_have_text("$6.80")
    expect(page.get_by_test_id("bar-card" if counter.size == "phone" else "add-card")).to_be_visible()
    page.reload()  # the address is the new receipt's own
    expect(page.get_by_test_id("amount-due")).to_have_text("$6.80")

    till = receipt.back_to_list()
    till.page.get_by_test_id("new-sale-amount").fill("12,4x")  # not an amount: the sale opens without it
    till.page.get_by_test_id("new-receipt").tap()
    expect(page.get_by_test_id("amount-error")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_have_value("12,4x")
    expect(page.get_by_test_id("receipt-line")).to_have_count(0)
    assert receipt.number == paid_number + 2
    counter.screenshot("new-sale-amount-refused")


@BOTH
def test_the_next_sale_offers_the_reader_the_till_used(counter: Counter) -> None:
    """After a payment on Counter 1, the till's next receipt offers it at once: one press starts the
    card there (the phone's bottom bar too), and "Other reader…" still opens the picker."""
    receipt = counter.receipt()
    pay_on_the_reader(counter, receipt)  # chosen in the picker
    page = receipt.page
    page.get_by_test_id("next-sale-amount").fill("8.20")
    page.get_by_test_id("new-sale").tap()
    expect(page.get_by_test_id("amount-due")).to_have_text("$8.20")
    quick = page.get_by_test_id("bar-card" if counter.size == "phone" else "card-on-reader")
    expect(quick).to_have_text("Card on Counter 1" if counter.size == "phone" else "Card $8.20 on Counter 1")
    expect(page.get_by_test_id("add-card")).to_have_text("Other reader…")
    counter.screenshot("till-card-reader")
    quick.tap()
    receipt.expect_payment("on_reader")
    receipt.expect_card_holds_the_rest()
    expect(receipt.headline()).to_contain_text("Counter 1")
    counter.reader(0).expect_amount("$8.20")
    counter.reader(0).tap_card(VISA)
    receipt.expect_receipt("paid")

    page.get_by_test_id("next-sale-amount").fill("3.00")  # and the picker, for another reader
    page.get_by_test_id("new-sale").tap()
    expect(page.get_by_test_id("amount-due")).to_have_text("$3.00")
    receipt.open_picker()
    expect(receipt.reader(counter.shop.kiosk.readers[1])).to_be_enabled()
    counter.screenshot("till-card-reader-other")


@BOTH
def test_what_is_due_stays_in_view(counter: Counter) -> None:
    """A long receipt on a phone: what is due, Card and Cash sit in a bar at the bottom."""
    receipt = counter.receipt()
    for amount in ("1", "2", "3", "4", "5"):
        receipt.add_amount(amount)
        expect(receipt.page.get_by_test_id("receipt-line")).to_have_count(int(amount) + 1)
    receipt.page.evaluate("window.scrollTo(0, 0)")
    bar = receipt.page.get_by_test_id("due-bar")
    if counter.size == "tablet":
        expect(bar).to_be_hidden()  # the page itself shows it beside the lines
        expect(receipt.page.get_by_test_id("amount-due")).to_be_in_viewport()
        return
    expect(receipt.page.get_by_test_id("amount-due")).not_to_be_in_viewport()  # the summary is far down
    expect(bar).to_be_in_viewport()
    expect(receipt.page.get_by_test_id("bar-amount-due")).to_have_text("$25.00")
    expect(receipt.page.get_by_test_id("bar-card")).to_be_in_viewport()
    expect(receipt.page.get_by_test_id("bar-cash")).to_be_in_viewport()
    receipt.assert_touch_friendly()
    counter.viewport_shot("due-bar")

    receipt.page.get_by_test_id("bar-cash").tap()
    expect(receipt.page.get_by_test_id("cash-given")).to_be_in_viewport()
    expect(receipt.page.get_by_test_id("cash-given")).to_be_focused()
    receipt.page.get_by_test_id("bar-card").tap()
    expect(receipt.page.locator("#reader-picker")).to_be_in_viewport()
    counter.viewport_shot("due-bar-picker")


@BOTH
def test_no_card_below_the_minimum(counter: Counter) -> None:
    counter.log_in()
    receipt = Till(counter.screen, counter.size, counter.artifacts).new_receipt()
    receipt.add_amount("0.30")
    expect(receipt.page.get_by_test_id("amount-due")).to_have_text("$0.30")
    expect(receipt.page.get_by_test_id("add-card")).to_have_count(0)
    expect(receipt.page.get_by_test_id("card-refusal")).to_have_text("Card needs at least $0.50")
    if counter.size == "phone":
        expect(receipt.page.get_by_test_id("bar-card-refusal")).to_have_text("Card needs at least $0.50")
    counter.screenshot("below-card-minimum")


@BOTH
def test_a_refund_asks_first_with_its_amount_and_card(counter: Counter) -> None:
    pay_on_the_reader(counter, counter.receipt())
    counter.screen.get_by_role("button", name="Log out").tap()
    expect(counter.screen.get_by_test_id("login-submit")).to_be_visible()
    counter.log_in("boss")
    admin = counter.screen
    admin.goto(f"{counter.url}/admin/payments")
    admin.get_by_test_id("open-refund").tap()
    admin.get_by_test_id("refund-submit").tap()  # nothing typed: not "everything"
    expect(admin.get_by_test_id("error-amount")).to_have_text(
        "Enter the amount to refund (up to $10.00), or choose \u201cRefund all $10.00\u201d."
    )
    admin.get_by_test_id("refund-amount").fill("4.00")
    admin.get_by_test_id("refund-submit").tap()
    question = admin.get_by_test_id("refund-question")
    expect(question).to_have_text("Refund $4.00 to Visa \u2022\u2022\u2022\u2022 4242?")
    expect(question).to_be_in_viewport()
    expect(admin.get_by_test_id("refund-yes")).to_have_text("Yes, refund $4.00 to Visa \u2022\u2022\u2022\u2022 4242")
    counter.screenshot("refund-question")

    admin.get_by_test_id("refund-keep").tap()
    expect(admin.get_by_test_id("refund-form")).to_be_visible()
    expect(admin.get_by_test_id("refund-line")).to_have_count(0)  # Keep it: nothing refunded

    admin.get_by_test_id("refund-all").tap()
    expect(question).to_have_text("Refund $10.00 to Visa \u2022\u2022\u2022\u2022 4242?")
    expect(admin.get_by_test_id("refund-confirm")).to_contain_text("That is all that is left of this payment.")
    admin.get_by_test_id("refund-yes").tap()
    expect(admin.get_by_test_id("flash")).to_contain_text("Refund sent to Stripe")
    expect(admin.get_by_test_id("refund-line")).to_have_count(1)
    intent = next(iter(counter.shop.kiosk.sim.control("GET", "/_sim/ledger")["intents"].values()))
    assert intent["refunded"] == 1000


@BOTH
def test_remove_reader_asks_first(counter: Counter) -> None:
    counter.log_in("boss")
    admin = counter.screen
    admin.goto(f"{counter.url}/admin/readers")
    row = admin.locator(f'[data-testid=reader][data-reader-id="{counter.shop.kiosk.readers[0]}"]')
    row.get_by_test_id("remove-reader").tap()
    question = admin.get_by_test_id("remove-confirm")
    expect(question).to_contain_text("Remove Counter 1 (")
    expect(question).to_contain_text("no till can take cards on it")
    expect(question).to_be_in_viewport()
    counter.screenshot("remove-reader-question")
    admin.get_by_test_id("remove-keep").tap()
    expect(question).to_have_count(0)
    expect(admin.get_by_test_id("reader")).to_have_count(2)  # Keep it: still there

    row.get_by_test_id("remove-reader").tap()
    admin.get_by_test_id("remove-yes").tap()
    expect(admin.get_by_test_id("flash")).to_have_text("Reader removed.")
    expect(admin.get_by_test_id("reader")).to_have_count(1, timeout=WAIT_MS)
