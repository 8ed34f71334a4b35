"""Registering the webhook endpoint from /admin/stripe: Stripe creates it for the kiosk's events,
the signing secret it returns once is stored (encrypted), and a card payment's webhooks then verify
with that stored secret — the payment completes on webhooks alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from kiosk import payments, stripe_settings
from kiosk.payment_engine import Timing
from kiosk.payment_tables import WebhookEvent
from kiosk.receipts import add_quick_amount, open_receipt
from kiosk.settings_tables import Setting
from kiosk.simulator.webhooks import endpoint_secret
from kiosk.stripe_admin_gateway import WEBHOOK_EVENTS
from kiosk.tables import LocationPairing
from tests.kiosk_support import log_in, make_user, make_warehouse, post_form
from tests.payments_support import ADDRESS, VISA, wait_state
from tests.setup_support import save_keys, serving, setup_app
from tests.simulator_support import RunningSimulator

# The reconciler stays out of the way: only a verified webhook can finish the payment in time.
WEBHOOKS_ONLY = Timing(webhook_grace=60.0, check_interval=60.0, max_check_interval=60.0)


@dataclass
class Live:
    url: str
    admin: httpx.AsyncClient
    app: object
    location: str
    reader: str
    warehouse: int
    cashier: int


def _stripe_shop(simulator: RunningSimulator) -> tuple[str, str]:
    client = simulator.client()
    location = client.v1.terminal.locations.create(params={"display_name": "Main", "address": ADDRESS}).id
    reader = client.v1.terminal.readers.create(
        params={"registration_code": "simulated-wpe", "label": "Till", "location": location}
    ).id
    return location, reader


@pytest.fixture
async def live(db: str, simulator: RunningSimulator) -> AsyncIterator[Live]:
    warehouse = await make_warehouse("Main", "usd")
    cashier = await make_user("cashier", warehouses=("Main",))
    await make_user("boss", admin=True, warehouses=())
    location, reader = await asyncio.to_thread(_stripe_shop, simulator)
    await LocationPairing.insert(LocationPairing(stripe_location_id=location, warehouse=warehouse))
    app = setup_app(simulator)
    app.state.payment_timing = WEBHOOKS_ONLY
    app.state.reconciler_tick = 0.1
    async with serving(app) as url, httpx.AsyncClient(base_url=url, trust_env=False, timeout=30) as admin:
        assert (await log_in(admin, "boss")).status_code == 303
        await save_keys(admin)
        yield Live(url, admin, app, location, reader, warehouse, cashier)


async def register(live: Live, url: str | None = None) -> httpx.Response:
    return await post_form(live.admin, "/admin/stripe/webhook", {"url": url or f"{live.url}/webhooks/stripe"})


async def pay(live: Live, simulator: RunningSimulator) -> int:
    engine = live.app.state.payments  # type: ignore[attr-defined]
    receipt = await open_receipt(live.warehouse, live.cashier)
    await add_quick_amount(receipt, live.warehouse, "12.00")
    reader = await payments.find_reader(engine, live.location, live.reader)
    started = await payments.start_payment(
        engine, receipt_id=receipt, reader=reader, amount=1200, currency="usd", user_id=live.cashier, holder="till"
    )
    await asyncio.to_thread(simulator.control, "POST", f"/_sim/readers/{live.reader}/present", {"card_number": VISA})
    await wait_state(started.id, "succeeded", within=10)
    return started.id


async def test_registered_endpoint_secret_verifies_the_payments_webhooks(
    live: Live, simulator: RunningSimulator
) -> None:
    response = await register(live)
    assert response.headers["location"] == "/admin/stripe?done=webhook"
    [endpoint] = simulator.sim.table("webhook_endpoint").values()
    assert endpoint["url"] == f"{live.url}/webhooks/stripe"
    assert set(endpoint["enabled_events"]) == set(WEBHOOK_EVENTS)
    config = await stripe_settings.load(live.app.state.stripe_runtime.base)  # type: ignore[attr-defined]
    assert config.webhook_secret == endpoint_secret(simulator.sim, endpoint["id"])
    row = await Setting.select(Setting.encrypted).where(Setting.name == "stripe.webhook_secret").first()
    assert row is not None and row["encrypted"]
    page = (await live.admin.get("/admin/stripe")).text
    assert endpoint["id"] in page and config.webhook_secret not in page

    payment_id = await pay(live, simulator)
    # Events reach the payment only once their signature checked out against the stored secret.
    assert await WebhookEvent.exists().where(WebhookEvent.payment == payment_id)
    deliveries = (await asyncio.to_thread(simulator.control, "GET", "/_sim/webhooks/deliveries"))["deliveries"]
    assert deliveries and {d["status"] for d in deliveries} == {200}


async def test_registering_again_replaces_the_old_endpoint(live: Live, simulator: RunningSimulator) -> None:
    await register(live)
    [first] = simulator.sim.table("webhook_endpoint").values()
    assert (await register(live)).headers["location"] == "/admin/stripe?done=webhook"
    [second] = simulator.sim.table("webhook_endpoint").values()
    assert second["id"] != first["id"]
    await pay(live, simulator)  # the new secret is the one in force


async def test_a_bad_address_is_refused_next_to_the_field(live: Live, simulator: RunningSimulator) -> None:
    response = await register(live, "kiosk.example.com/webhooks")
    assert response.status_code == 400
    assert 'data-testid="error-url">Enter the full address Stripe will call' in response.text
    assert simulator.sim.table("webhook_endpoint") == {}
