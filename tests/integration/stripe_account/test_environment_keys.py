"""Keys from the environment, as `kiosk demo` runs (sk_test_kiosk_demo, with underscores): the
mode is known, so every page carries the TEST MODE banner, and the Stripe page says where the keys
come from instead of "Not set up" while payments work."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.cli.demo import DEMO_STRIPE_KEY
from tests.admin_support import Client
from tests.kiosk_support import log_in, make_user, make_warehouse
from tests.setup_support import save_keys, setup_app, submit_keys
from tests.simulator_support import RunningSimulator

BANNER = 'data-testid="test-mode-banner"'


@pytest.fixture
def app(db: str, simulator: RunningSimulator) -> Litestar:
    return setup_app(simulator, stripe_secret_key=DEMO_STRIPE_KEY)


@pytest.fixture
async def browser(app: Litestar) -> AsyncIterator[Client]:
    await make_warehouse("Main", "usd")
    await make_user("boss", admin=True, warehouses=())
    async with AsyncTestClient(app=app) as client:
        client.follow_redirects = False
        assert (await log_in(client, "boss")).status_code == 303
        yield client


async def test_the_demo_key_runs_in_test_mode_with_the_banner_everywhere(app: Litestar, browser: Client) -> None:
    assert app.state.stripe_mode == "test"
    assert app.state.payments is not None
    for path in ("/login", "/receipts", "/warehouses", "/admin/", "/admin/stripe", "/admin/warehouses"):
        response = await browser.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        assert BANNER in response.text, f"no TEST MODE banner on {path}"


async def test_the_stripe_page_says_the_keys_come_from_the_environment(browser: Client) -> None:
    page = (await browser.get("/admin/stripe")).text
    assert "Not set up" not in page and "card payments are off" not in page
    mode = page.split('data-testid="stripe-mode">', 1)[1].split("</td>", 1)[0]
    assert "Test" in mode and "no real money moves" in mode
    source = page.split('data-testid="stripe-source">', 1)[1].split("</td>", 1)[0]
    assert "environment (KIOSK_STRIPE_SECRET_KEY)" in source and "nothing is stored" in source
    assert "sk_test_••••demo" in page and "In use: sk_test_••••demo, from KIOSK_STRIPE_SECRET_KEY" in page
    assert DEMO_STRIPE_KEY not in page


async def test_verify_with_the_field_blank_checks_the_environment_key(browser: Client) -> None:
    response = await submit_keys(browser, "/admin/stripe/verify")
    assert response.status_code == 200, response.text
    assert "not a Stripe API key" not in response.text
    assert "Stripe accepted the secret key" in response.text


async def test_once_keys_are_saved_the_page_says_they_are_stored(browser: Client) -> None:
    await save_keys(browser)
    source = (await browser.get("/admin/stripe")).text.split('data-testid="stripe-source">', 1)[1]
    assert source.split("</td>", 1)[0].strip().startswith("these pages (stored encrypted)")
