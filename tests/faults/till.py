"""The shop the fault suite sells in, and its tills: cashiers' browsers talking HTTP to a server.

The shop (warehouse "Main" paired with a simulated location holding two readers, a cashier, the
webhook endpoint) is set up through the simulator's API and the kiosk's own domain functions, in
the test's database. A till is an httpx client carrying a session minted for the cashier (the
login page itself is tested elsewhere; here it would only cost PBKDF2 time).
"""

from __future__ import annotations

import secrets
import ssl
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from kiosk.payments.tables import Payment, PaymentLog
from kiosk.people.auth import ABSOLUTE_TIMEOUT, hash_token, now_utc, start_session
from kiosk.people.guards import SESSION_COOKIE
from kiosk.people.tables import Session
from kiosk.readers.tables import LocationPairing
from kiosk.stripe_account.admin_gateway import WEBHOOK_EVENTS
from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.faults.harness import SimulatorProcess
from tests.kiosk_support import CSRF_COOKIE, make_user, make_warehouse
from tests.payments_support import PATIENCE, wait_until

T = TypeVar("T")
VISA = "4242424242424242"
INSUFFICIENT_FUNDS = "4000000000009995"
ADDRESS = {
    "address[line1]": "1 Market St",
    "address[city]": "San Francisco",
    "address[state]": "CA",
    "address[postal_code]": "94105",
    "address[country]": "US",
}


@dataclass
class Shop:
    sim: SimulatorProcess
    warehouse_id: int
    user_id: int
    location: str
    readers: list[str]

    async def receipt(self, amount: str = "10.00") -> int:
        receipt_id = await open_receipt(self.warehouse_id, self.user_id)
        await add_quick_amount(receipt_id, self.warehouse_id, amount)
        return receipt_id

    async def tap(self, reader: int = 0, card: str = VISA) -> Any:
        return await self.sim.control("POST", f"/_sim/readers/{self.readers[reader]}/present", {"card_number": card})

    async def reader_fault(self, reader: int, fault: str, body: Any = None) -> Any:
        return await self.sim.control("POST", f"/_sim/readers/{self.readers[reader]}/{fault}", body)


async def make_shop(sim: SimulatorProcess) -> Shop:
    location = (await sim.api("POST", "/v1/terminal/locations", {"display_name": "Main", **ADDRESS}))["id"]
    readers = []
    for code, label in (("simulated-wpe", "Counter 1"), ("simulated-s700", "Counter 2")):
        params = {"registration_code": code, "label": label, "location": location}
        readers.append((await sim.api("POST", "/v1/terminal/readers", params))["id"])
    warehouse_id = await make_warehouse("Main", "usd")
    user_id = await make_user("cashier", warehouses=("Main",))
    await LocationPairing.insert(LocationPairing(stripe_location_id=location, warehouse=warehouse_id))
    return Shop(sim, warehouse_id, user_id, location, readers)


async def register_webhook(sim: SimulatorProcess, url: str) -> str:
    """The webhook endpoint the admin page registers (the same events); returns its signing secret."""
    params = {"url": f"{url}/webhooks/stripe"} | {f"enabled_events[{i}]": e for i, e in enumerate(WEBHOOK_EVENTS)}
    endpoint = await sim.api("POST", "/v1/webhook_endpoints", params)
    return str(endpoint["secret"])


async def mint_sessions(user_ids: list[int], warehouse_id: int) -> list[str]:
    """Logged-in sessions at the warehouse, one per user id given, in one insert (what a login
    stores: kiosk.auth.start_session), for a crowd of tablets; returns their cookie tokens."""
    now = now_utc()
    tokens = [secrets.token_urlsafe(32) for _ in user_ids]
    rows = [
        Session(
            token_hash=hash_token(token),
            user=user_id,
            warehouse=warehouse_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_TIMEOUT,
        )
        for token, user_id in zip(tokens, user_ids, strict=True)
    ]
    await Session.insert(*rows)
    return tokens


# Plain HTTP on loopback; one TLS context for every client (building one per client costs ~20 ms).
_TLS = ssl.create_default_context()
# Bounded, so that a server that hangs fails the test; generous, because a server saturated by a crowd
# of tablets on a machine busy with other work answers a request of many steps (start a payment:
# database, Stripe, database) slowly, and slow is not what these tests judge.
CLIENT_TIMEOUT = 120.0


class Till:
    """A cashier's browser on one server."""

    def __init__(self, base_url: str, token: str) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=CLIENT_TIMEOUT, verify=_TLS)
        self.client.cookies.set(SESSION_COOKIE, token)

    @classmethod
    async def open(cls, base_url: str, user_id: int) -> Till:
        till = cls(base_url, await start_session(user_id))
        response = await till.client.get("/receipts")  # the page a cashier starts from; sets the CSRF cookie
        assert response.status_code == 200, response.text
        return till

    async def post(self, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        token = self.client.cookies[CSRF_COOKIE]
        return await self.client.post(url, data={**(data or {}), "_csrf_token": token}, headers={"HX-Request": "true"})

    async def pay(self, receipt_id: int, reader_id: str) -> httpx.Response:
        return await self.post(f"/receipts/{receipt_id}/card", {"reader_id": reader_id})

    async def page(self, receipt_id: int) -> str:
        """The receipt page, as the browser loads it."""
        return (await self.client.get(f"/receipts/{receipt_id}")).text

    async def progress(self, payment_id: int) -> httpx.Response:
        return await self.client.get(f"/payments/{payment_id}/progress", headers={"HX-Request": "true"})

    async def close(self) -> None:
        await self.client.aclose()


async def payment_of(receipt_id: int) -> Payment | None:
    row: Payment | None = await Payment.objects().where(Payment.receipt == receipt_id).order_by(Payment.id).first()
    return row


async def wait_payment(receipt_id: int, *states: str, within: float = PATIENCE) -> Payment:
    """The receipt's card payment, once it is in one of `states` (the log is shown when it is not)."""

    async def probe() -> Payment | None:
        row = await payment_of(receipt_id)
        return row if row is not None and row.state in states else None

    try:
        return await wait_until(probe, within, f"receipt {receipt_id} payment in {states}")
    except AssertionError:
        row = await payment_of(receipt_id)
        steps = await PaymentLog.select(PaymentLog.step, PaymentLog.detail).where(
            PaymentLog.payment == (row.id if row else 0)
        )
        state = row.state if row else "absent"
        raise AssertionError(f"receipt {receipt_id}: payment {state}, wanted {states}; log: {steps}") from None
