"""The day's close in Chromium at tablet and phone sizes: a cashier runs an X report of a day of
cash, cards and a decline, prints it on 80 mm, 58 mm and A4, closes the day with a Z report (a bad
count refused next to the field first) and finds it kept; an admin sees the 30-day charts. The
kiosk and the simulator run for real; screenshots go to test-artifacts/ and no page breaks the CSP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kiosk.till.receipts import take_cash
from tests.e2e.background import in_thread, watch_csp
from tests.e2e.pages import WAIT_MS, Till
from tests.integration.reports.day_support import MASTERCARD, card_sale
from tests.kiosk_support import PASSWORD, make_user
from tests.payments_support import INSUFFICIENT_FUNDS, Kiosk, make_shop, serve_kiosk, wait_state
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}


@dataclass
class Day:
    kiosk: Kiosk


@pytest.fixture
def day(db: str, simulator: RunningSimulator) -> Iterator[Day]:
    """Main's day so far: $12.50 cash, $10 Visa, $20 Mastercard, a $7 card declined; admin "boss"."""

    @asynccontextmanager
    async def serve() -> AsyncIterator[Day]:
        shop = await make_shop(simulator)
        await make_user("boss", admin=True, warehouses=())
        async with asynccontextmanager(serve_kiosk)(simulator, shop) as kiosk:
            cash = await kiosk.receipt("12.50")
            await take_cash(cash, kiosk.warehouse_id, kiosk.user_id, "20.00")
            await card_sale(kiosk, "10.00")
            await card_sale(kiosk, "20.00", MASTERCARD)
            declined = await kiosk.start(await kiosk.receipt("7.00"), amount=700)
            await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
            await wait_state(declined.id, "declined")
            yield Day(kiosk)

    with in_thread(serve) as running:
        yield running


@pytest.fixture
def screen(browser: Browser, size: str) -> Iterator[Page]:
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone"
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def shot(page: Page, artifacts: Path, name: str, size: str) -> None:
    page.screenshot(path=str(artifacts / f"day-close-{name}-{size}.png"), full_page=True)


def row(page: Page, block: str, key: str) -> str:
    return page.get_by_test_id(f"block-{block}").locator(f'[data-key="{key}"]').inner_text()


@pytest.mark.parametrize("size", SIZES)
def test_a_cashier_runs_x_prints_it_and_closes_the_day_with_z(
    day: Day, screen: Page, artifacts: Path, size: str
) -> None:
    """X report, its print on three papers, a refused count, then the Z report kept and listed."""
    violations: list[str] = []
    page = watch_csp(screen, violations)
    till = Till(page, size, artifacts)
    till.log_in(day.kiosk.url, "cashier", PASSWORD)
    page.get_by_test_id("reports-link").tap()
    expect(page.get_by_test_id("z-form")).to_be_visible()
    shot(page, artifacts, "index", size)

    page.get_by_test_id("run-x").tap()
    expect(page.get_by_test_id("report-title")).to_have_text("X report")
    assert "$12.50" in row(page, "tenders", "cash") and "$30.00" in row(page, "tenders", "card")
    assert "Mastercard" in row(page, "brands", "mastercard")
    assert "Insufficient funds" in row(page, "declines", "insufficient_funds")
    expect(page.get_by_test_id("stripe-agrees")).to_be_visible()
    expect(page.get_by_test_id("cash-expected")).to_have_text("$12.50")
    till.assert_touch_friendly()
    shot(page, artifacts, "x-report", size)

    page.get_by_test_id("print-link").tap()
    expect(page.get_by_test_id("printed-report")).to_be_visible()
    for paper in ("58", "a4", "80"):
        page.get_by_test_id(f"paper-{paper}").tap()
        expect(page.locator("body")).to_have_class(f"print-page paper-{paper}")
        shot(page, artifacts, f"x-print-{paper}", size)
    page.emulate_media(media="print")
    expect(page.get_by_test_id("print-button")).to_be_hidden()
    expect(page.get_by_test_id("test-mode-banner")).to_be_hidden()
    page.emulate_media(media="screen")

    page.goto(f"{day.kiosk.url}/reports")
    page.get_by_test_id("cash-counted-input").fill("twelve")
    page.get_by_test_id("run-z").tap()
    expect(page.get_by_test_id("error-cash_counted")).to_contain_text("is not an amount")
    expect(page.get_by_test_id("cash-counted-input")).to_have_value("twelve")
    expect(page.get_by_test_id("z-list")).to_have_count(0)
    shot(page, artifacts, "z-refused", size)

    page.get_by_test_id("cash-counted-input").fill("12.00")
    page.get_by_test_id("run-z").tap()
    expect(page.get_by_test_id("report-title")).to_have_text("Z report #1", timeout=WAIT_MS)
    expect(page.get_by_test_id("closed-notice")).to_be_visible()
    expect(page.get_by_test_id("cash-difference")).to_have_text("-$0.50")
    shot(page, artifacts, "z-report", size)

    page.get_by_test_id("back-link").tap()
    expect(page.get_by_test_id("z-row")).to_have_count(1)
    page.get_by_test_id("run-z").tap()  # the same day again: refused, nothing kept
    expect(page.get_by_test_id("error-day")).to_contain_text("is already closed: Z #1 by cashier")
    expect(page.get_by_test_id("z-row")).to_have_count(1)
    page.get_by_test_id("z-link").tap()
    page.get_by_test_id("print-link").tap()
    expect(page.get_by_test_id("cash-counted")).to_have_text("$12.00")
    assert not violations, violations


@pytest.mark.parametrize("size", SIZES)
def test_an_admin_sees_the_last_30_days_as_charts(day: Day, screen: Page, artifacts: Path, size: str) -> None:
    """The admin's Day's close: every warehouse, Main's charts drawn as SVG, an X report of Main."""
    violations: list[str] = []
    page = watch_csp(screen, violations)
    page.goto(f"{day.kiosk.url}/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_test_id("login-submit").tap()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{day.kiosk.url}/admin/")
    page.get_by_test_id("index-reports").tap()
    page.get_by_test_id("report-warehouse").get_by_role("link", name="Main").tap()
    charts = page.get_by_test_id("chart")
    expect(charts).to_have_count(2)
    expect(charts.first.locator("rect.bar-card")).to_have_count(1)
    expect(charts.first.locator("rect.bar-cash")).to_have_count(1)
    assert "card $30.00" in (charts.first.locator("rect.bar-card title").text_content() or "")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"
    shot(page, artifacts, "admin-charts", size)
    page.get_by_test_id("admin-run-x").tap()
    expect(page.get_by_test_id("report-title")).to_have_text("X report")
    expect(page.get_by_test_id("admin-sections")).to_be_visible()
    shot(page, artifacts, "admin-x", size)
    assert not violations, violations
