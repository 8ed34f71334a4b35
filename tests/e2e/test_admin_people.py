"""The admin's people pages in Chromium: a fresh install's admin creates a warehouse and a cashier
(correcting a refused form on the way), the cashier works there, the admin deactivates her and she
is out at her next click; the audit log shows it all. No page breaks the Content-Security-Policy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.background import in_thread, watch_csp
from tests.kiosk_support import PASSWORD, kiosk_settings, make_user
from tests.setup_support import serving

pytestmark = pytest.mark.e2e
CASHIER_PASSWORD = "dana's own password"


@pytest.fixture
def kiosk_url(db: str) -> Iterator[str]:
    """The kiosk (no Stripe needed here) served on a free port from a thread of its own."""
    from kiosk.app import create_app

    @asynccontextmanager
    async def serve() -> AsyncIterator[str]:
        await make_user("boss", admin=True, warehouses=())
        async with serving(create_app(kiosk_settings())) as url:
            yield url

    with in_thread(serve) as url:
        yield url


def log_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_test_id("login-submit").click()


def test_admin_sets_up_a_cashier_and_later_deactivates_her(browser: Browser, kiosk_url: str, artifacts: Path) -> None:
    """From an empty kiosk to a working cashier, then out again."""
    violations: list[str] = []
    admin = watch_csp(browser.new_page(viewport={"width": 1024, "height": 768}), violations)
    log_in(admin, kiosk_url, "boss", PASSWORD)
    admin.get_by_role("link", name="Create the first one").click()

    admin.get_by_label("Name").fill("High Street")
    admin.get_by_test_id("create-warehouse-submit").click()
    expect(admin.get_by_test_id("flash")).to_contain_text("Warehouse created")
    expect(admin.get_by_test_id("warehouse-name")).to_have_text("High Street")

    admin.get_by_test_id("admin-sections").get_by_role("link", name="Users").click()
    form = admin.get_by_test_id("create-user")
    form.get_by_label("Username").fill("dana")
    form.get_by_label("Password", exact=True).fill("short")
    form.get_by_label("Password again").fill("short")
    form.get_by_text("High Street").click()
    admin.get_by_test_id("create-user-submit").click()
    expect(admin.get_by_test_id("error-password")).to_have_text("The password must be at least 8 characters.")
    expect(form.get_by_label("Username")).to_have_value("dana")  # typed input kept...
    expect(form.get_by_label("Password", exact=True)).to_have_value("")  # ...but never a password
    admin.screenshot(path=str(artifacts / "admin-user-form-error-tablet.png"), full_page=True)

    form.get_by_label("Password", exact=True).fill(CASHIER_PASSWORD)
    form.get_by_label("Password again").fill(CASHIER_PASSWORD)
    admin.get_by_test_id("create-user-submit").click()
    expect(admin.get_by_test_id("flash")).to_contain_text("Created")
    expect(admin.get_by_test_id("person-name")).to_contain_text("dana")

    cashier_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    cashier = watch_csp(cashier_context.new_page(), violations)
    log_in(cashier, kiosk_url, "dana", CASHIER_PASSWORD)
    expect(cashier).to_have_url(f"{kiosk_url}/receipts")
    expect(cashier.locator("header")).to_contain_text("High Street")
    expect(cashier.get_by_test_id("admin-link")).to_have_count(0)

    admin.get_by_test_id("deactivate").click()
    expect(admin.get_by_test_id("person-status")).to_have_text("deactivated")
    cashier.reload()
    expect(cashier).to_have_url(f"{kiosk_url}/login")

    admin.get_by_test_id("section-audit").click()
    actions = admin.get_by_test_id("audit-entry")
    expect(actions).to_have_count(3)
    expect(actions.nth(0)).to_have_attribute("data-action", "user.deactivate")
    expect(actions.nth(2)).to_have_attribute("data-action", "warehouse.create")
    admin.screenshot(path=str(artifacts / "admin-audit-tablet.png"), full_page=True)
    admin.set_viewport_size({"width": 390, "height": 844})
    admin.goto(f"{kiosk_url}/admin/users")
    admin.screenshot(path=str(artifacts / "admin-users-phone.png"), full_page=True)
    overflow = admin.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the users page is {overflow}px wider than a phone"
    cashier_context.close()
    assert not violations, violations
