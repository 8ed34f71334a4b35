"""A reader that has just been unplugged, in Chromium at tablet and phone sizes. Stripe shows it online
for up to 2 minutes, so the picker does too; picked, it does not answer: the cashier reads that
nothing was charged and why, is offered the other readers, and pays there. Unplugged mid-payment,
Cancel on reader still cancels. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import WAIT_MS, ReceiptPage, Till
from tests.e2e.test_checkout import Counter
from tests.e2e.test_reader_trouble import counter  # noqa: F401 - the till and reader windows fixture
from tests.payments_support import VISA

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_a_freshly_unplugged_reader_did_not_answer_and_the_others_are_offered(counter: Counter) -> None:  # noqa: F811
    receipt = counter.receipt()
    counter.reader(0).unplug()
    receipt.open_picker()
    first, second = receipt.reader(counter.readers[0]), receipt.reader(counter.readers[1])
    expect(first).to_contain_text("Online")  # Stripe still shows it online: no signal for 2 minutes yet
    first.tap()
    receipt.expect_payment("declined")
    expect(receipt.headline()).to_have_text("Not charged")
    expect(receipt.detail()).to_contain_text("Counter 1 did not answer: check it is powered on and connected")
    expect(receipt.detail()).to_contain_text("nothing was charged")
    expect(receipt.page.get_by_test_id("payment-code")).to_have_text("terminal_reader_timeout")
    expect(receipt.page.get_by_test_id("retry-same")).to_have_text("Try again on Counter 1")
    expect(second).to_be_enabled(timeout=WAIT_MS)  # the other readers are offered without a press
    receipt.assert_touch_friendly()
    receipt.screenshot("reader-did-not-answer")

    number, page = receipt.number, receipt.page
    page.goto(f"{counter.url}/receipts")
    note = Till(page, receipt.size, receipt.artifacts).row(number).get_by_test_id("card-note")
    expect(note).to_have_text("Card not charged: reader did not answer")

    receipt = ReceiptPage(page, receipt.size, receipt.artifacts).goto(counter.url, counter.live.receipt)
    receipt.press("retry-other")
    second.tap()
    receipt.expect_payment("on_reader")
    counter.reader(1).tap_card(VISA)
    receipt.expect_receipt("paid")
    intents = counter.ledger()
    assert len(intents) == 1 and next(iter(intents.values()))["captured"] == 1000  # one PaymentIntent, once


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_cancel_on_a_reader_unplugged_mid_payment(counter: Counter) -> None:  # noqa: F811
    """The reader goes dark while waiting for the card; Stripe shows it online and the panel waits;
    Cancel on reader cancels the payment at Stripe and leaves no error; cash pays instead."""
    receipt = counter.receipt()
    receipt.pay_by_card(counter.readers[0])
    reader = counter.reader(0)
    reader.unplug()
    expect(receipt.headline()).to_have_text("Present card on Counter 1")
    expect(receipt.page.get_by_test_id("cancel-payment")).to_have_text("Cancel on reader")
    receipt.screenshot("reader-unplugged-mid-payment")
    receipt.press("cancel-payment")
    receipt.expect_payment("canceled")
    expect(receipt.page.get_by_test_id("card-error")).to_have_count(0)
    expect(receipt.detail()).to_have_text("No money was taken.")
    expect(receipt.cash_form()).to_be_visible(timeout=WAIT_MS)  # the page redraws itself: cash is offered again
    receipt.screenshot("reader-unplugged-canceled")
    assert all(entry["authorized"] == 0 for entry in counter.ledger().values())
    reader.plug_back_in()
    receipt.take_cash("20")
    receipt.expect_receipt("paid")
