"""The login limit as people meet it, in Chromium at tablet and phone sizes: a till where the wrong
password was typed too often is told how long to wait, another till logs the same cashier in at
once, and the admin sees the wait on the Users page (how many, from where, how long) and clears it.

The tills sit behind a proxy the kiosk trusts (127.0.0.1, the default of KIOSK_TRUSTED_PROXIES),
which says in X-Forwarded-For which till each request comes from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.background import in_thread, watch_csp
from tests.kiosk_support import PASSWORD, kiosk_settings, make_user, make_warehouse
from tests.setup_support import serving

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}
TILL_A, TILL_B = "192.0.2.44", "192.0.2.55"


@pytest.fixture
def kiosk_url(db: str) -> Iterator[str]:
    """The kiosk (no Stripe needed here), with admin "boss" and cashier "cashier" at Main."""
    from kiosk.app import create_app

    @asynccontextmanager
    async def serve() -> AsyncIterator[str]:
        await make_warehouse("Main", "usd")
        await make_user("boss", admin=True, warehouses=())
        await make_user("cashier", warehouses=("Main",))
        async with serving(create_app(kiosk_settings())) as url:
            yield url

    with in_thread(serve) as url:
        yield url


def till(browser: Browser, size: str, address: str) -> BrowserContext:
    """A tablet (or phone) at the shop, behind the proxy that names its address."""
    width, height = SIZES[size]
    return browser.new_context(
        viewport={"width": width, "height": height},
        has_touch=True,
        is_mobile=size == "phone",
        extra_http_headers={"X-Forwarded-For": address},
    )


def log_in(page: Page, url: str, username: str, password: str) -> None:
    if not page.url.endswith("/login"):
        page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_test_id("login-submit").click()


def no_overflow(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


@pytest.mark.parametrize("size", SIZES)
def test_a_slowed_till_says_how_long_another_till_logs_in_and_the_admin_clears_it(
    browser: Browser, kiosk_url: str, artifacts: Path, size: str
) -> None:
    violations: list[str] = []
    till_a = watch_csp(till(browser, size, TILL_A).new_page(), violations)
    error = till_a.get_by_test_id("login-error")
    for _ in range(4):
        log_in(till_a, kiosk_url, "cashier", "wrong password")
    expect(error).to_contain_text("One more wrong password and this device must wait 30 seconds")
    log_in(till_a, kiosk_url, "cashier", "wrong password")
    expect(error).to_contain_text("wait 30 seconds before trying again")
    log_in(till_a, kiosk_url, "cashier", PASSWORD)  # the right one, too soon: not even checked
    expect(error).to_have_attribute("data-state", "slowed")
    expect(error).to_contain_text("Wait 30 seconds before trying again")
    expect(error).to_contain_text("Other devices can still log in")
    expect(till_a.get_by_label("Username")).to_have_value("cashier")
    till_a.screenshot(path=str(artifacts / f"login-slowed-{size}.png"), full_page=True)
    no_overflow(till_a)

    till_b = watch_csp(till(browser, size, TILL_B).new_page(), violations)
    log_in(till_b, kiosk_url, "cashier", PASSWORD)
    expect(till_b).to_have_url(f"{kiosk_url}/receipts")

    width, height = SIZES[size]
    admin = watch_csp(browser.new_page(viewport={"width": width, "height": height}), violations)
    log_in(admin, kiosk_url, "boss", PASSWORD)
    admin.goto(f"{kiosk_url}/admin/users")
    row = admin.locator('[data-testid=person][data-username="cashier"]')
    expect(row.get_by_test_id("login-slowed")).to_have_text("login slowed down")
    admin.screenshot(path=str(artifacts / f"admin-users-slowed-{size}.png"), full_page=True)
    no_overflow(admin)
    row.get_by_test_id("login-slowed").click()

    failed = admin.locator(f'[data-testid=failed-from][data-address="{TILL_A}"]')
    expect(failed).to_have_attribute("data-state", "slowed")
    expect(failed).to_contain_text(TILL_A)
    expect(failed.get_by_test_id("failures")).to_have_text("5 wrong passwords")
    expect(failed.get_by_test_id("waits")).to_contain_text("seconds more")
    admin.get_by_test_id("failed-logins").scroll_into_view_if_needed()
    admin.screenshot(path=str(artifacts / f"admin-user-failed-logins-{size}.png"), full_page=True)
    no_overflow(admin)
    admin.get_by_test_id("clear-failures").click()
    expect(admin.get_by_test_id("flash")).to_contain_text("Failed logins cleared")
    expect(admin.get_by_test_id("no-failures")).to_be_visible()

    log_in(till_a, kiosk_url, "cashier", PASSWORD)
    expect(till_a).to_have_url(f"{kiosk_url}/receipts")

    admin.get_by_test_id("section-audit").click()
    expect(admin.get_by_test_id("audit-entry").first).to_have_attribute("data-action", "user.login_failures_clear")
    assert not violations, violations
