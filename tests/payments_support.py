"""Fixtures for payments tests: the real kiosk app served on a free port in the test's own event loop,
wired to the Stripe simulator (API and webhooks), with a warehouse paired to a simulated location.

Everything runs for real: the simulator delivers signed webhooks over HTTP to /webhooks/stripe, the
reconciler runs in the app's lifespan, and tests act as the cashier over HTTP or call the engine.
Blocking calls to the simulator go through a worker thread so the kiosk keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from litestar import Litestar

from kiosk.payments import actions as payments
from kiosk.payments.engine import Engine, Timing
from kiosk.payments.tables import Payment, PaymentLog
from kiosk.readers.tables import LocationPairing
from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.kiosk_support import kiosk_settings, log_in, make_user, make_warehouse, post_form, redrawn
from tests.simulator_support import DEFAULT_KEY, RunningSimulator

T = TypeVar("T")
VISA = "4242424242424242"
INSUFFICIENT_FUNDS = "4000000000009995"
ADDRESS = {"line1": "1 Market St", "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US"}
# Short enough for fast tests, long enough that a webhook normally wins the race. Nothing counts
# as stuck within a test's run (a payment left on the reader while a busy machine runs the test's
# other steps stays on_reader): tests of a stuck reader shorten `stuck_after` in their own fixture.
FAST = Timing(
    webhook_grace=0.8,
    check_interval=0.4,
    max_check_interval=0.8,
    stuck_after=60.0,
    attention_recheck=1.0,
    lease_seconds=600.0,
    in_flight=3.0,
    resume_window=60.0,
)


@dataclass
class Kiosk:
    """The running kiosk, its simulator, and a shop: warehouse "Main" paired with a location."""

    url: str
    app: Litestar
    sim: RunningSimulator
    warehouse_id: int
    user_id: int
    location: str
    readers: list[str]
    webhook_secret: str

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.state.payments
        return engine

    async def control(self, method: str, path: str, json: Any = None) -> Any:
        return await asyncio.to_thread(self.sim.control, method, path, json)

    async def stripe(self, call: Callable[[Any], T]) -> T:
        """Run `call(client)` with a sync StripeClient of the simulator, off the event loop."""
        client = self.sim.client()
        return await asyncio.to_thread(call, client)

    async def tap(self, reader: str, number: str = VISA) -> Any:
        return await self.control("POST", f"/_sim/readers/{reader}/present", {"card_number": number})

    async def ledger(self) -> dict[str, Any]:
        ledger: dict[str, Any] = await self.control("GET", "/_sim/ledger")
        return ledger

    async def calls(self, route: str) -> int:
        counts = await self.control("GET", "/_sim/calls")
        return int(counts["calls"].get(route, 0))

    async def receipt(self, amount: str = "10.00") -> int:
        receipt_id = await open_receipt(self.warehouse_id, self.user_id)
        await add_quick_amount(receipt_id, self.warehouse_id, amount)
        return receipt_id

    async def start(self, receipt_id: int, reader: int = 0, amount: int = 1000) -> Payment:
        """Start a card payment as the till would (engine call, real Stripe simulator)."""
        found = await payments.find_reader(self.engine, self.location, self.readers[reader])
        return await payments.start_payment(
            self.engine,
            receipt_id=receipt_id,
            reader=found,
            amount=amount,
            currency="usd",
            user_id=self.user_id,
            holder=f"test till {reader}",
        )

    @asynccontextmanager
    async def cashier(self, username: str = "cashier") -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client logged in at the till (its only warehouse is chosen at login)."""
        async with httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=30) as client:
            response = await log_in(client, username)
            assert response.status_code in (200, 303), response.text
            yield client


async def assert_charged_once(kiosk: Kiosk, intent_id: str | None, amount: int) -> None:
    """The ledger shows exactly `amount` taken once on this intent and no money on any other."""
    ledger = await kiosk.ledger()
    intents = ledger["intents"]
    assert intent_id in intents, ledger
    entry = intents[intent_id]
    assert entry["authorized"] == amount, entry
    assert [c["status"] for c in entry["charges"]].count("succeeded") == 1, entry
    for other_id, other in intents.items():
        if other_id != intent_id:
            assert other["authorized"] == 0 and other["captured"] == 0, (other_id, other)


async def assert_nothing_charged(kiosk: Kiosk) -> None:
    ledger = await kiosk.ledger()
    for intent_id, entry in ledger["intents"].items():
        assert entry["authorized"] - entry["canceled"] == 0 and entry["captured"] == 0, (intent_id, entry)


# How long a test waits for something the kiosk does by itself (a webhook, the reconciler). Waits
# return as soon as the state is reached: the bound only has to outlast a machine busy with other work.
PATIENCE = 30.0


async def start_card(client: httpx.AsyncClient, receipt_id: int, reader_id: str) -> int:
    """The cashier presses a reader in the picker (htmx sends it): the answer is the receipt page,
    put in place of the old one, whose card section shows the payment on its reader. Returns the
    payment's id."""
    started = await post_form(client, f"/receipts/{receipt_id}/card", {"reader_id": reader_id}, {"HX-Request": "true"})
    assert started.status_code == 200, started.text
    page = redrawn(started)
    shown = re.search(r'id="payment-(\d+)"', page)
    assert shown is not None, page
    return int(shown.group(1))


async def wait_until(probe: Callable[[], Awaitable[T | None]], within: float = PATIENCE, what: str = "") -> T:
    """Poll `probe` until it answers something truthy, within a bounded deadline."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {within}s: {what}")
        await asyncio.sleep(0.05)


async def payment(payment_id: int) -> Payment:
    row = await Payment.objects().get(Payment.id == payment_id)
    assert row is not None
    return row


async def wait_state(payment_id: int, *states: str, within: float = PATIENCE) -> Payment:
    async def probe() -> Payment | None:
        row = await payment(payment_id)
        return row if row.state in states else None

    try:
        return await wait_until(probe, within, f"payment {payment_id} in {states}")
    except AssertionError:
        row = await payment(payment_id)
        steps = await PaymentLog.select(PaymentLog.step, PaymentLog.detail).where(PaymentLog.payment == payment_id)
        raise AssertionError(f"payment {payment_id} is {row.state}, wanted {states}; log: {steps}") from None


async def wait_card(payment_id: int, within: float = PATIENCE) -> Payment:
    """The payment once its card is known (brand, last4, EMV fields, and the capture deadline of a
    manual capture): they come with the charge, which may arrive after the state does."""

    async def probe() -> Payment | None:
        row = await payment(payment_id)
        return row if row.card_brand else None

    return await wait_until(probe, within, f"payment {payment_id}'s card details")


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _setup_stripe(sim: RunningSimulator) -> tuple[str, list[str]]:
    """A location with two simulated readers."""
    client = sim.client()
    location = client.v1.terminal.locations.create(params={"display_name": "Main", "address": ADDRESS}).id
    readers = [
        client.v1.terminal.readers.create(params={"registration_code": code, "label": label, "location": location}).id
        for code, label in (("simulated-wpe", "Counter 1"), ("simulated-s700", "Counter 2"))
    ]
    return location, readers


@dataclass
class Shop:
    """Warehouse "Main" paired with a simulated location holding two readers."""

    warehouse_id: int
    user_id: int
    location: str
    readers: list[str]


async def make_shop(simulator: RunningSimulator) -> Shop:
    location, readers = await asyncio.to_thread(_setup_stripe, simulator)
    warehouse_id = await make_warehouse("Main", "usd")
    user_id = await make_user("cashier", warehouses=("Main",))
    await LocationPairing.insert(LocationPairing(stripe_location_id=location, warehouse=warehouse_id))
    return Shop(warehouse_id, user_id, location, readers)


def _register_webhook(sim: RunningSimulator, url: str) -> str:
    endpoint = sim.client().v1.webhook_endpoints.create(params={"url": url, "enabled_events": ["*"]})
    assert endpoint.secret
    return endpoint.secret


async def serve_kiosk(
    simulator: RunningSimulator, shop: Shop, *, timing: Timing = FAST, **settings: Any
) -> AsyncIterator[Kiosk]:
    """The kiosk app served by uvicorn in this event loop; its lifespan (reconciler) runs too."""
    from kiosk.app import create_app

    sock = _free_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    secret = await asyncio.to_thread(_register_webhook, simulator, f"{url}/webhooks/stripe")
    app = create_app(
        kiosk_settings(
            stripe_secret_key=DEFAULT_KEY,
            stripe_api_base=simulator.url,
            stripe_webhook_secret=secret,
            **settings,
        )
    )
    app.state.payment_timing = timing
    app.state.reconciler_tick = 0.1
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield Kiosk(url, app, simulator, shop.warehouse_id, shop.user_id, shop.location, shop.readers, secret)
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def shop(db: str, simulator: RunningSimulator) -> Shop:
    return await make_shop(simulator)


@pytest.fixture
async def kiosk(shop: Shop, simulator: RunningSimulator) -> AsyncIterator[Kiosk]:
    """The kiosk serving on a free port, paired with the simulator (automatic capture)."""
    async for running in serve_kiosk(simulator, shop):
        yield running
