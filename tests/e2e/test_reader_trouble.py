"""Reader trouble at the till in Chromium, at tablet and phone sizes: a reader Stripe calls offline
(the virtual reader's "Go offline now") before the pick or during the payment, and a reader held by
another receipt (a freshly unplugged reader, still online for Stripe: test_unplugged_reader.py).
The cashier is told which reader, that nothing was charged, is offered the others, and frees a held
reader from its receipt's page. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Live
from tests.e2e.pages import WAIT_MS, ReceiptPage, Till
from tests.e2e.test_checkout import SIZES, Counter
from tests.payments_support import VISA

pytestmark = pytest.mark.e2e


@pytest.fixture
def counter(browser: Browser, live: Live, artifacts: Path, size: str) -> Iterator[Counter]:
    """The till at this size, and the customer's virtual reader page in a window of its own."""
    width, height = SIZES[size]
    till_window = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone"
    )
    reader_window = browser.new_context(viewport={"width": 800, "height": 900})
    try:
        yield Counter(Till(till_window.new_page(), size, artifacts), reader_window.new_page(), live)
    finally:
        till_window.close()
        reader_window.close()


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_an_open_picker_shows_a_reader_gone_offline_by_itself(counter: Counter) -> None:
    """The picker left open refreshes itself (trusting Stripe's word on a reader only ten seconds,
    where a picker opening trusts an online reader for a minute): a reader Stripe now calls offline
    shows Offline and cannot be chosen without a press; plugged back in, it is offered again."""
    receipt = counter.receipt()
    receipt.open_picker()
    first, second = receipt.reader(counter.readers[0]), receipt.reader(counter.readers[1])
    expect(second).to_be_enabled()
    counter.reader(1).go_offline_now()
    expect(second).to_contain_text("Offline", timeout=WAIT_MS)
    expect(second).to_be_disabled()
    expect(first).to_be_enabled()
    receipt.screenshot("open-picker-reader-offline")
    counter.reader(1).plug_back_in()
    expect(second).to_be_enabled(timeout=WAIT_MS)
    expect(second).to_contain_text("Online")


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_a_reader_unplugged_before_the_pick_is_not_a_decline(counter: Counter) -> None:
    """Picked while the picker still shows it online: "Not charged", the reader named, the others
    offered at once; Today's receipts says "Card not charged: reader offline"; the other reader takes the payment."""
    receipt = counter.receipt()
    receipt.open_picker()
    first, second = receipt.reader(counter.readers[0]), receipt.reader(counter.readers[1])
    expect(first).to_be_enabled()
    counter.reader(0).go_offline_now()
    first.tap()
    receipt.expect_payment("declined")
    expect(receipt.headline()).to_have_text("Not charged")
    expect(receipt.detail()).to_contain_text("Counter 1 did not get the payment, so nothing was charged")
    # The other readers are offered without a press; the offline one is shown so.
    expect(first).to_contain_text("Offline", timeout=WAIT_MS)
    expect(first).to_be_disabled()
    expect(second).to_be_enabled()
    receipt.screenshot("reader-offline-at-start")

    number = receipt.number
    page = receipt.page
    page.goto(f"{counter.url}/receipts")
    note = Till(page, receipt.size, receipt.artifacts).row(number).get_by_test_id("card-note")
    expect(note).to_have_text("Card not charged: reader offline")
    receipt.screenshot("reader-offline-listed")

    receipt = ReceiptPage(page, receipt.size, receipt.artifacts).goto(counter.url, counter.live.receipt)
    receipt.press("retry-other")
    second.tap()
    receipt.expect_payment("on_reader")
    counter.reader(1).tap_card(VISA)
    receipt.expect_receipt("paid")


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_a_reader_unplugged_mid_payment_says_where_it_is_held_and_is_freed_there(counter: Counter) -> None:
    """The panel says the reader is offline; another receipt's picker says which receipt and cashier
    hold it and links there; Cancel on that page works while unplugged and leaves no error behind."""
    receipt = counter.receipt()
    holding = receipt.number
    receipt.pay_by_card(counter.readers[0])
    reader = counter.reader(0)
    reader.go_offline_now()
    expect(receipt.headline()).to_have_text("Counter 1 is offline", timeout=WAIT_MS)
    expect(receipt.detail()).to_contain_text("goes on when the reader reconnects")
    receipt.screenshot("reader-offline-mid-payment")

    till = Till(receipt.page, receipt.size, receipt.artifacts)
    receipt.page.goto(f"{counter.url}/receipts")
    other = till.new_receipt()
    other.add_amount("5.00")
    other.open_picker()
    held = other.page.get_by_test_id("reader-holder")
    expect(held).to_contain_text(f"Held by Receipt #{holding} · cashier")
    expect(other.reader(counter.readers[0])).to_be_disabled()
    other.assert_touch_friendly()
    other.screenshot("reader-held-elsewhere")

    held.get_by_test_id("holder-receipt").tap()
    expect(receipt.page.locator("h1")).to_contain_text(f"#{holding}")
    expect(receipt.page.get_by_test_id("cancel-payment")).to_have_text("Cancel card payment")
    receipt.press("cancel-payment")
    receipt.expect_payment("canceled")
    expect(receipt.page.get_by_test_id("card-error")).to_have_count(0)
    reader.plug_back_in()
    expect(receipt.page.get_by_test_id("card-error")).to_have_count(0)
    receipt.screenshot("reader-released")
    assert all(entry["authorized"] == entry["canceled"] for entry in counter.ledger().values())
