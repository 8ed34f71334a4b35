"""A shared tablet: after Log out, the browser's Back shows the login page, never the receipt the
last cashier had open (pages say `Cache-Control: no-store`), at tablet and phone sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Live
from tests.e2e.pages import ReceiptPage, Till
from tests.kiosk_support import PASSWORD

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}


@pytest.mark.parametrize("size", SIZES)
def test_back_after_logout_does_not_show_the_last_receipt(
    browser: Browser, live: Live, artifacts: Path, size: str
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone"
    )
    try:
        till = Till(context.new_page(), size, artifacts)
        till.log_in(live.kiosk.url, "cashier", PASSWORD)
        receipt = ReceiptPage(till.page, size, artifacts).goto(live.kiosk.url, live.receipt)
        expect(receipt.page.get_by_test_id("receipt-status")).to_be_visible()
        receipt.page.get_by_role("button", name="Log out").click()
        expect(receipt.page.get_by_label("Password")).to_be_visible()
        receipt.page.go_back()
        expect(receipt.page.get_by_label("Password")).to_be_visible()  # the server sent the login page
        expect(receipt.page.get_by_test_id("receipt-status")).to_have_count(0)
        till.screenshot("back-after-logout")
    finally:
        context.close()
