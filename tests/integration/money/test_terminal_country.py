"""The Stripe account's country comes from Stripe itself (the account retrieved when the keys are
saved): the embedded Stripe's account is in the US, so enabling EUR says Terminal takes USD only."""

from __future__ import annotations

import html

import pytest
from litestar import Litestar

from kiosk.stripe_account import keys
from tests.admin_support import Client
from tests.kiosk_support import post_form
from tests.setup_support import save_keys, setup_app
from tests.simulator_support import RunningSimulator


@pytest.fixture
def app(db: str, simulator: RunningSimulator) -> Litestar:
    return setup_app(simulator)


async def test_the_accounts_country_comes_from_stripe(app: Litestar, admin_client: Client) -> None:
    await save_keys(admin_client)
    account = (await keys.load(app.state.settings)).account
    assert account is not None and (account.country, account.default_currency) == ("US", "usd")
    response = await post_form(admin_client, "/admin/currencies", {"currency": "eur"})
    page = html.unescape((await admin_client.get(response.headers["location"])).text)
    note = (
        "Terminal in the United States takes card-present payments only in USD; "
        "saved cards may still be charged in EUR."
    )
    assert f'data-testid="flash">EUR enabled. {note}' in page
    assert "minimum the equivalent of $0.50" in page and 'data-testid="terminal-rule"' not in page
