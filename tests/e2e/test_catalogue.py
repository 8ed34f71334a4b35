"""Ringing items up in Chromium at tablet and phone sizes: a barcode scanner (a fast burst of keys
and Enter) adds items with no click, search finds them as the cashier types, favourites are one
tap, a discount needs its reason, and the receipt and the paper show net, tax and gross. An admin
imports a catalogue file: a refused row saves nothing and is reported by line."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from kiosk.catalogue.csv_io import import_csv
from kiosk.catalogue.pricing import set_rules
from tests.e2e.background import in_thread, watch_csp
from tests.e2e.pages import Till
from tests.kiosk_support import PASSWORD, make_user, make_warehouse
from tests.setup_support import serving, setup_app
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}
CATALOGUE = """sku,name,barcode,category,tax_rate,favourite,price_usd
COL,Cola 0.33 l,4006381333931,Drinks,,yes,2.50
MUF,Blueberry muffin,8712345000028,Bakery,,yes,3.75
TSH,Kiosk T-shirt,5901234123457,Merchandise,,no,24.00
"""


@pytest.fixture
def kiosk_url(db: str, simulator: RunningSimulator) -> Iterator[str]:
    @asynccontextmanager
    async def serve() -> AsyncIterator[str]:
        warehouse = await make_warehouse("Main", "usd")
        await make_user("cashier", warehouses=("Main",))
        boss = await make_user("boss", admin=True, warehouses=())
        await set_rules(warehouse, "exclusive", "receipt", "8.625", boss)
        assert (await import_csv(CATALOGUE.encode(), boss)).saved
        async with serving(setup_app(simulator)) as url:
            yield url

    with in_thread(serve) as url:
        yield url


@pytest.mark.parametrize("size", SIZES)
def test_scan_search_tap_and_discount_then_print(browser: Browser, kiosk_url: str, artifacts: Path, size: str) -> None:
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone"
    )
    violations: list[str] = []
    page = watch_csp(context.new_page(), violations)
    till = Till(page, size, artifacts)
    till.log_in(kiosk_url, "cashier", PASSWORD)
    till.new_receipt()
    lines = page.get_by_test_id("receipt-line")

    # A scanner types into the focused box and presses Enter: no click, twice is two of them.
    expect(page.get_by_test_id("item-code")).to_be_focused()
    for _ in range(2):
        page.keyboard.type("4006381333931", delay=5)
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("item-code")).to_be_focused()
    expect(page.get_by_test_id("rung")).to_have_text("Added Cola 0.33 l (2).")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Cola 0.33 l")
    expect(lines.first.get_by_test_id("line-amount")).to_have_text("$5.00")

    # An unknown code is said and stays in the box: the scan is not lost.
    page.keyboard.type("4006381333932", delay=5)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("scan-error")).to_contain_text("No item has the code 4006381333932: nothing was added.")
    expect(page.get_by_test_id("scan-error")).to_contain_text("check digit is wrong")
    expect(page.get_by_test_id("item-code")).to_have_value("4006381333932")

    # Typing a name shows matches after a short pause; a tap adds one.
    page.get_by_test_id("item-code").fill("")
    page.get_by_test_id("item-code").press_sequentially("shirt", delay=40)
    expect(page.get_by_test_id("item-result")).to_have_count(1)
    expect(page.get_by_test_id("item-result")).to_contain_text("Kiosk T-shirt")
    page.get_by_test_id("item-result").tap()
    page.get_by_test_id("favourite").filter(has_text="Blueberry muffin").tap()
    expect(lines).to_have_count(3)

    # A discount without its reason is refused; with it, it is on the receipt.
    page.get_by_test_id("receipt-discount").click()
    page.get_by_test_id("receipt-discount-value").fill("10")
    page.get_by_test_id("receipt-discount-save").tap()
    expect(page.get_by_test_id("receipt-discount-error")).to_have_text(
        "A discount needs a reason: it is printed on the receipt."
    )
    page.get_by_test_id("receipt-discount-reason").fill("Staff")
    page.get_by_test_id("receipt-discount-save").tap()
    # 5.00 + 24.00 + 3.75 = 32.75, less 10 % (3.28) = 29.47 net, + 8.625 % tax (2.54) = 32.01.
    expect(page.get_by_test_id("subtotal")).to_have_text("$32.75")
    expect(page.get_by_test_id("receipt-discount-row")).to_contain_text("\u2212$3.28")
    expect(page.get_by_test_id("net-total")).to_have_text("$29.47")
    expect(page.get_by_test_id("tax-row")).to_contain_text("Tax 8.625 % on $29.47")
    expect(page.get_by_test_id("tax-row")).to_contain_text("$2.54")
    expect(page.get_by_test_id("lines-total")).to_have_text("$32.01")
    expect(page.get_by_test_id("amount-due")).to_have_text(re.compile(r"\$32\.01"))
    page.screenshot(path=str(artifacts / f"catalogue-receipt-{size}.png"), full_page=True)

    page.get_by_test_id("print-link").tap()
    expect(page.get_by_test_id("printed-receipt-discount")).to_contain_text("Staff")
    expect(page.get_by_test_id("printed-taxes")).to_contain_text("$29.47")
    expect(page.get_by_test_id("printed-taxes")).to_contain_text("$2.54")
    page.screenshot(path=str(artifacts / f"catalogue-printed-{size}.png"), full_page=True)
    assert violations == []
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_admin_imports_a_catalogue_file(
    browser: Browser, kiosk_url: str, artifacts: Path, size: str, tmp_path: Path
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone"
    )
    violations: list[str] = []
    page = watch_csp(context.new_page(), violations)
    Till(page, size, artifacts).log_in(kiosk_url, "boss", PASSWORD)
    page.goto(f"{kiosk_url}/admin/catalogue")
    expect(page.get_by_test_id("catalogue-item")).to_have_count(3)

    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,barcode,price_usd\nNEW1,Sticker,,0.50\nNEW2,Mug,12345,-3\n", encoding="utf-8")
    page.get_by_test_id("import-file").set_input_files(bad)
    page.get_by_test_id("import-submit").tap()
    expect(page.get_by_test_id("import-report")).to_contain_text("Nothing was imported")
    expect(page.get_by_test_id("import-row-error")).to_have_count(1)
    expect(page.get_by_test_id("import-row-error")).to_contain_text("A price cannot be negative.")
    expect(page.get_by_test_id("catalogue-item")).to_have_count(3)  # not even the good row
    page.screenshot(path=str(artifacts / f"catalogue-import-refused-{size}.png"), full_page=True)

    good = tmp_path / "good.csv"
    good.write_text("sku,name,barcode,price_usd\nNEW1,Sticker,,0.50\nNEW2,Mug,12345,8.00\n", encoding="utf-8")
    page.get_by_test_id("import-file").set_input_files(good)
    page.get_by_test_id("import-submit").tap()
    expect(page.get_by_test_id("flash")).to_have_text("Imported: 2 new, 0 changed.")
    expect(page.get_by_test_id("catalogue-item")).to_have_count(5)
    page.screenshot(path=str(artifacts / f"catalogue-admin-{size}.png"), full_page=True)
    assert violations == []
    context.close()
