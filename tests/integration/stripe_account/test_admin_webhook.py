"""Registering the webhook endpoint from /admin/stripe: Stripe creates it for the kiosk's events,
the signing secret it returns once is stored (encrypted), and a card payment's webhooks then verify
with that stored secret — the payment completes on webhooks alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from kiosk.db.tables import Setting
from kiosk.payments import actions as payments
from kiosk.payments.engine import Timing
from kiosk.payments.tables import Payment, WebhookEvent
from kiosk.readers.tables import LocationPairing
from kiosk.simulator.webhooks import endpoint_secret
from kiosk.stripe_account import keys as stripe_settings
from kiosk.stripe_account.admin_gateway import PINNED_API_VERSION, WEBHOOK_EVENTS, StripeAdmin
from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.kiosk_support import log_in, make_user, make_warehouse, post_form
from tests.payments_support import ADDRESS, VISA, wait_state, wait_until
from tests.setup_support import save_keys, serving, setup_app, submit_keys
from tests.simulator_support import DEFAULT_KEY, RunningSimulator

# The reconciler stays out of the way: only a verified webhook can finish the payment in time.
WEBHOOKS_ONLY = Timing(webhook_grace=60.0, check_interval=60.0, max_check_interval=60.0)
# What Stripe sends the kiosk about an approved payment (automatic capture).
PAYMENT_EVENTS = {"terminal.reader.action_succeeded", "payment_intent.succeeded", "charge.succeeded"}


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
    await wait_state(started.id, "succeeded")
    return started.id


async def test_registered_endpoint_secret_verifies_the_payments_webhooks(
    live: Live, simulator: RunningSimulator
) -> None:
    response = await register(live)
    assert response.headers["location"] == "/admin/stripe?done=webhook"
    [endpoint] = simulator.sim.table("webhook_endpoint").values()
    assert endpoint["url"] == f"{live.url}/webhooks/stripe"
    assert set(endpoint["enabled_events"]) == set(WEBHOOK_EVENTS)
    # Its events come in the SDK's version even on an account whose default is older.
    assert endpoint["api_version"] == PINNED_API_VERSION
    config = await stripe_settings.load(live.app.state.stripe_runtime.base)  # type: ignore[attr-defined]
    assert config.webhook_secret == endpoint_secret(simulator.sim, endpoint["id"])
    row = await Setting.select(Setting.encrypted).where(Setting.name == "stripe.webhook_secret").first()
    assert row is not None and row["encrypted"]
    page = (await live.admin.get("/admin/stripe")).text
    assert endpoint["id"] in page and config.webhook_secret not in page

    payment_id = await pay(live, simulator)
    # Events reach the payment only once their signature checked out against the stored secret.
    assert await WebhookEvent.exists().where(WebhookEvent.payment == payment_id)
    # The card came with charge.succeeded (the reconciler waits a minute before it would ask Stripe).
    paid = await wait_until(lambda: _with_card(payment_id), what="the card by webhook")
    assert paid.card_last4 == "4242"
    assert await _calls(simulator, "GET /v1/payment_intents/{intent}") == 0

    async def all_answered() -> list[dict[str, object]] | None:
        # An attempt that timed out on a busy machine is logged too (no status) and retried.
        found = (await asyncio.to_thread(simulator.control, "GET", "/_sim/webhooks/deliveries"))["deliveries"]
        return found if {d["type"] for d in found if d["status"] == 200} >= PAYMENT_EVENTS else None

    deliveries = await wait_until(all_answered, what="each of the payment's events answered 200")
    assert not [d for d in deliveries if d["status"] == 400]  # no signature was refused


async def _with_card(payment_id: int) -> Payment | None:
    row = await Payment.objects().get(Payment.id == payment_id)
    return row if row is not None and row.card_brand else None


async def _calls(simulator: RunningSimulator, route: str) -> int:
    counts = await asyncio.to_thread(simulator.control, "GET", "/_sim/calls")
    return int(counts["calls"].get(route, 0))


OLDER_EVENTS = [event for event in WEBHOOK_EVENTS if event != "charge.succeeded"]


async def test_an_endpoint_registered_before_gets_the_new_events_on_verify(
    live: Live, simulator: RunningSimulator
) -> None:
    """A kiosk upgraded from a version without charge.succeeded: checking the keys brings its
    endpoint up to date and keeps the events an admin added in the Dashboard."""
    older = [*OLDER_EVENTS, "charge.dispute.created"]
    endpoint = await asyncio.to_thread(
        lambda: simulator.client().v1.webhook_endpoints.create(
            params={"url": f"{live.url}/webhooks/stripe", "enabled_events": older}  # type: ignore[typeddict-item]
        )
    )
    assert endpoint.secret
    runtime = live.app.state.stripe_runtime  # type: ignore[attr-defined]
    await stripe_settings.save_webhook(runtime.base, endpoint.id, f"{live.url}/webhooks/stripe", endpoint.secret, 1)
    response = await submit_keys(live.admin, "/admin/stripe/verify")
    assert response.status_code == 200
    updated = simulator.sim.table("webhook_endpoint")[endpoint.id]
    assert set(updated["enabled_events"]) == {*WEBHOOK_EVENTS, "charge.dispute.created"}
    async with StripeAdmin(DEFAULT_KEY, simulator.url) as stripe:
        assert not await stripe.add_missing_webhook_events(endpoint.id)  # up to date: left as it is
        assert not await stripe.add_missing_webhook_events("we_deleted_in_the_dashboard")
    await save_keys(live.admin)  # saving checks it too, and still succeeds


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
