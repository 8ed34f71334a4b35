"""Currencies in Chromium at tablet and phone sizes: the admin finds one of Stripe's 139 currencies
by typing (the list narrows as she types), an unknown code is refused next to the field; and the till
writes and reads amounts the way its warehouse does: German in a EUR shop, yen in a Tokyo one."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kiosk.shop.tables import Warehouse
from tests.e2e.background import in_thread, watch_csp
from tests.e2e.pages import Till
from tests.kiosk_support import PASSWORD, kiosk_settings, make_user, make_warehouse
from tests.setup_support import serving

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}


@pytest.fixture
def kiosk_url(db: str) -> Iterator[str]:
    """The kiosk (no Stripe needed) with a Berlin shop in EUR written the German way and a Tokyo one in yen
    written the English way (ja_JP's full-width ￥ is covered by the unit tests: this machine's Chromium has
    no Japanese font to draw it)."""
    from kiosk.app import create_app

    @asynccontextmanager
    async def serve() -> AsyncIterator[str]:
        for name, currency, locale in (("Berlin", "eur", "de_DE"), ("Tokyo", "jpy", "en_US")):
            warehouse = await make_warehouse(name, currency)
            await Warehouse.update({Warehouse.locale: locale}).where(Warehouse.id == warehouse)
        await make_user("boss", admin=True, warehouses=())
        await make_user("berlin", warehouses=("Berlin",))
        await make_user("tokyo", warehouses=("Tokyo",))
        async with serving(create_app(kiosk_settings())) as url:
            yield url

    with in_thread(serve) as url:
        yield url


def new_page(browser: Browser, size: str, violations: list[str]) -> Page:
    width, height = SIZES[size]
    phone = size == "phone"
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=True)
    return watch_csp(context.new_page(), violations)


@pytest.mark.parametrize("size", SIZES)
def test_admin_finds_and_enables_a_currency(browser: Browser, kiosk_url: str, artifacts: Path, size: str) -> None:
    violations: list[str] = []
    admin = new_page(browser, size, violations)
    admin.goto(f"{kiosk_url}/login")
    admin.fill("input[name=username]", "boss")
    admin.fill("input[name=password]", PASSWORD)
    admin.get_by_test_id("login-submit").tap()
    expect(admin).not_to_have_url(re.compile(r"/login"))
    admin.goto(f"{kiosk_url}/admin/currencies")
    listed = admin.get_by_test_id("stripe-currency")
    expect(listed).to_have_count(136)  # 139 of Stripe's, less USD (default), EUR and JPY (warehouses use them)
    admin.screenshot(path=str(artifacts / f"currencies-{size}.png"), full_page=False)

    admin.get_by_test_id("currency-search").fill("krona")  # narrows as she types, no button needed
    expect(listed).to_have_count(2)  # Icelandic Króna and Swedish Krona
    expect(listed.first).to_contain_text("ISK Icelandic Króna")
    expect(listed.first).to_contain_text("2 decimals, whole units only")
    expect(admin).to_have_url(f"{kiosk_url}/admin/currencies?q=krona&kind=all")
    admin.get_by_test_id("currency-search").fill("franc")
    admin.get_by_test_id("currency-kind").select_option("zero")
    expect(listed).to_have_count(8)
    admin.screenshot(path=str(artifacts / f"currencies-search-{size}.png"), full_page=True)

    admin.get_by_test_id("currency-search").fill("pound")
    expect(listed).to_have_count(0)  # no pound is a zero-decimal currency
    expect(admin.get_by_test_id("stripe-currencies")).to_contain_text("No currency matches.")
    admin.get_by_test_id("currency-kind").select_option("all")
    expect(listed.filter(has_text="GBP")).to_have_count(1)
    listed.filter(has_text="GBP").get_by_test_id("enable-listed").tap()
    expect(admin.get_by_test_id("flash")).to_contain_text("GBP enabled.")
    expect(admin.locator('[data-testid=currency][data-currency="gbp"]')).to_contain_text("£0.30")

    form = admin.get_by_test_id("enable-form")
    form.get_by_label("Currency code").fill("XYZ")
    admin.get_by_test_id("enable-currency").tap()
    expect(admin.get_by_test_id("error-currency")).to_have_text(
        "XYZ is not a currency Stripe charges in: nothing was changed. Pick one of Stripe's 139 currencies, "
        "like EUR or JPY."
    )
    expect(form.get_by_label("Currency code")).to_have_value("XYZ")
    admin.get_by_test_id("error-currency").scroll_into_view_if_needed()
    admin.screenshot(path=str(artifacts / f"currencies-unknown-{size}.png"), full_page=False)
    overflow = admin.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"

    # The warehouse's locale is chosen from named examples.
    admin.goto(f"{kiosk_url}/admin/warehouses")
    admin.locator('[data-testid=warehouse][data-name="Tokyo"]').get_by_role("link").first.tap()
    locale = admin.get_by_label("Numbers and money written as")
    expect(locale).to_have_value("en_US")
    locale.select_option(label="Japanese (Japan) · €1,234.50")
    admin.get_by_test_id("update-warehouse-submit").tap()
    expect(admin.get_by_test_id("flash")).to_contain_text("Saved.")
    expect(admin.get_by_label("Numbers and money written as")).to_have_value("ja_JP")
    admin.get_by_label("Numbers and money written as").scroll_into_view_if_needed()
    admin.screenshot(path=str(artifacts / f"warehouse-locale-{size}.png"), full_page=False)
    assert not violations


@pytest.mark.parametrize("size", SIZES)
def test_the_till_speaks_the_warehouses_way(browser: Browser, kiosk_url: str, artifacts: Path, size: str) -> None:
    violations: list[str] = []
    berlin = Till(new_page(browser, size, violations), size, artifacts)
    berlin.log_in(kiosk_url, "berlin", PASSWORD)
    receipt = berlin.new_receipt()
    receipt.add_amount("12.50")  # the English way: in German the dot groups thousands
    expect(receipt.amount_error()).to_contain_text("“12.50” is not an amount as German (Germany) writes it.")
    receipt.add_amount("1.234,50")
    expect(receipt.page.get_by_test_id("receipt-total")).to_have_text("1.234,50\u00a0€")
    expect(receipt.page.get_by_test_id("cash-given")).to_have_value("1234,50")
    expect(receipt.page.get_by_test_id("amount")).to_have_attribute("placeholder", "0,00")
    receipt.screenshot("amount-de_DE-eur")
    overflow = receipt.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"

    tokyo = Till(new_page(browser, size, violations), size, artifacts)
    tokyo.log_in(kiosk_url, "tokyo", PASSWORD)
    receipt = tokyo.new_receipt()
    receipt.add_amount("1.5")
    expect(receipt.amount_error()).to_contain_text("JPY amounts have no decimal places.")
    receipt.add_amount("1,500")
    expect(receipt.page.get_by_test_id("receipt-total")).to_have_text("¥1,500")
    expect(receipt.page.get_by_test_id("amount")).to_have_attribute("placeholder", "0")  # no decimals to type
    receipt.screenshot("amount-en_US-jpy")
    assert not violations
