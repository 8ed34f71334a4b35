"""Setting up card payments in Chromium, from a kiosk with no Stripe key: the admin enters the keys,
verifies them, registers the webhook endpoint, creates a location, registers a simulated reader and
pairs the location with a warehouse; a cashier of that warehouse then pays on that reader. The kiosk
and the simulator run for real; no page breaks the Content-Security-Policy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.background import in_thread, watch_csp
from tests.e2e.pages import Till
from tests.kiosk_support import PASSWORD, make_user, make_warehouse
from tests.payments_support import VISA
from tests.setup_support import KEY, PUBLISHABLE, serving, setup_app
from tests.simulator_support import RunningSimulator

pytestmark = pytest.mark.e2e


@pytest.fixture
def kiosk_url(db: str, simulator: RunningSimulator) -> Iterator[str]:
    """The kiosk, pointed at the simulator but with no key, on its own event loop in a thread."""

    @asynccontextmanager
    async def serve() -> AsyncIterator[str]:
        await make_warehouse("Main", "usd")
        await make_user("cashier", warehouses=("Main",))
        await make_user("boss", admin=True, warehouses=())
        async with serving(setup_app(simulator)) as url:
            yield url

    with in_thread(serve) as url:
        yield url


def section(page: Page, key: str) -> None:
    page.get_by_test_id(f"section-{key}").click()


def enter_keys(page: Page) -> None:
    form = page.get_by_test_id("keys-form")
    form.get_by_label("Publishable key").fill(PUBLISHABLE)
    form.get_by_label("Secret or restricted key").fill(KEY)


def set_up_stripe(admin: Page, url: str, simulator: RunningSimulator) -> None:
    admin.goto(f"{url}/admin/")
    section(admin, "stripe")
    expect(admin.get_by_test_id("stripe-mode")).to_contain_text("Not set up")
    enter_keys(admin)
    admin.get_by_test_id("verify-keys").click()
    expect(admin.get_by_test_id("verify-result")).to_contain_text(f"Kiosk Simulator ({simulator.sim.account_id})")
    expect(admin.get_by_test_id("verify-result")).to_contain_text("test mode")
    enter_keys(admin)  # a secret is never sent back to the browser: typed again to save
    admin.get_by_test_id("save-keys").click()
    expect(admin.get_by_test_id("flash")).to_contain_text("Keys verified with Stripe and saved")
    expect(admin.get_by_test_id("test-mode-banner")).to_be_visible()
    expect(admin.get_by_test_id("secret-masked")).to_contain_text("sk_test_••••iosk")
    expect(admin.get_by_label("Address of this kiosk's webhook")).to_have_value(f"{url}/webhooks/stripe")
    admin.get_by_test_id("register-webhook").click()
    expect(admin.get_by_test_id("flash")).to_contain_text("Webhook endpoint registered")
    expect(admin.get_by_test_id("webhook-endpoint")).to_contain_text("we_")


def create_location(admin: Page) -> None:
    section(admin, "locations")
    form = admin.get_by_test_id("location-form")
    form.get_by_label("Name").fill("High Street shop")
    form.get_by_label("Street address").fill("1 High Street")
    form.get_by_label("City").fill("London")
    form.get_by_label("Country").fill("12")
    admin.get_by_test_id("create-location").click()
    expect(admin.get_by_test_id("error-country")).to_contain_text("two-letter country code")
    form.get_by_label("Country").fill("GB")
    admin.get_by_test_id("create-location").click()
    expect(admin.get_by_test_id("flash")).to_have_text("Location created.")
    expect(admin.get_by_test_id("location")).to_contain_text("High Street shop")


def register_reader(admin: Page) -> str:
    section(admin, "readers")
    form = admin.get_by_test_id("register-form")
    form.get_by_label("Registration code").fill("simulated-wpe")
    form.get_by_label("Label").fill("Front till")
    form.get_by_label("Location").select_option(label="High Street shop")
    admin.get_by_test_id("register-reader").click()
    expect(admin.get_by_test_id("flash")).to_have_text("Reader registered.")
    row = admin.get_by_test_id("reader")
    expect(row.get_by_test_id("reader-label")).to_have_text("Front till")
    expect(row.get_by_test_id("reader-status")).to_have_text("online")
    reader_id = row.get_attribute("data-reader-id")
    assert reader_id and reader_id.startswith("tmr_")
    return reader_id


def pair_with_main(admin: Page) -> None:
    section(admin, "locations")
    expect(admin.get_by_test_id("paired-warehouse")).to_have_text("not paired")
    admin.get_by_test_id("edit-pairings").click()
    admin.get_by_test_id("pair-select").select_option(label="Main (USD)")
    admin.get_by_test_id("save-pairings").click()
    expect(admin.get_by_test_id("flash")).to_have_text("Pairings saved.")
    expect(admin.get_by_test_id("paired-warehouse")).to_have_text("Main")
    expect(admin.get_by_test_id("location")).to_contain_text("Front till")


PHONE_WIDTH = 375


def fits_a_phone(admin: Page, url: str, artifacts: Path) -> None:
    """Every settings page, filled with real keys, ids and addresses, fits a phone's width: nothing
    makes the admin scroll sideways."""
    admin.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    for name in ("stripe", "locations", "readers", "currencies", "payments", "users", "warehouses", "audit"):
        admin.goto(f"{url}/admin/{name}")
        width = admin.evaluate("document.documentElement.scrollWidth")
        admin.screenshot(path=str(artifacts / f"admin-{name}-phone.png"), full_page=True)
        assert width <= PHONE_WIDTH, f"/admin/{name} is {width} px wide on a {PHONE_WIDTH} px phone"
        if name == "warehouses":  # the column headers are hidden: each count says what it counts
            counts = admin.get_by_test_id("warehouse").first.locator("td.num")
            labels = [cell.evaluate("c => getComputedStyle(c, '::before').content") for cell in counts.all()]
            assert labels == ['"Open receipts: "', '"People: "'], labels
    admin.set_viewport_size({"width": 1024, "height": 768})


def test_admin_sets_up_stripe_and_a_cashier_pays_on_the_new_reader(
    browser: Browser, kiosk_url: str, simulator: RunningSimulator, artifacts: Path
) -> None:
    """Keys, webhook, location, reader, pairing; then a card payment at that warehouse's till."""
    violations: list[str] = []
    admin = watch_csp(browser.new_page(viewport={"width": 1024, "height": 768}), violations)
    Till(admin, "tablet", artifacts).page.goto(f"{kiosk_url}/login")
    admin.fill("input[name=username]", "boss")
    admin.fill("input[name=password]", PASSWORD)
    admin.get_by_test_id("login-submit").click()
    set_up_stripe(admin, kiosk_url, simulator)
    admin.screenshot(path=str(artifacts / "admin-stripe-tablet.png"), full_page=True)
    create_location(admin)
    reader_id = register_reader(admin)
    admin.screenshot(path=str(artifacts / "admin-readers-tablet.png"), full_page=True)
    pair_with_main(admin)
    admin.screenshot(path=str(artifacts / "admin-locations-tablet.png"), full_page=True)
    fits_a_phone(admin, kiosk_url, artifacts)

    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    till = Till(watch_csp(context.new_page(), violations), "tablet", artifacts)
    till.log_in(kiosk_url, "cashier", PASSWORD)
    expect(till.page.get_by_test_id("test-mode-banner")).to_be_visible()
    receipt = till.new_receipt()
    receipt.add_amount("10.00")
    receipt.pay_by_card(reader_id)
    simulator.control("POST", f"/_sim/readers/{reader_id}/present", {"card_number": VISA})
    receipt.expect_receipt("paid")
    receipt.expect_payment("succeeded")
    # Paid on the webhook signed with the secret the admin registered: every delivery was accepted.
    deliveries = simulator.control("GET", "/_sim/webhooks/deliveries")["deliveries"]
    assert deliveries and {d["status"] for d in deliveries} == {200}
    receipt.page.screenshot(path=str(artifacts / "admin-setup-paid-tablet.png"), full_page=True)
    context.close()
    assert not violations, violations
