"""SIGKILL at each step of a payment, then a restart: the payment finishes with nothing from the
cashier but reloading the page, and Stripe's ledger shows it charged exactly once.

Each server is started with KIOSK_FAULT_KILL_AT=<step> (kiosk/payments/faults.py) and dies there the first
time a payment reaches that step; it is restarted without it, on the same port and database.
"""

from __future__ import annotations

import httpx
import pytest

from kiosk.payments.tables import Payment, WebhookEvent
from tests.faults.conftest import Stack
from tests.faults.harness import FAST_TIMING
from tests.faults.till import payment_of, wait_payment
from tests.payments_support import PATIENCE

CREATE = "POST /v1/payment_intents"
PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"
CAPTURE = "POST /v1/payment_intents/{intent}/capture"
# The server killed at `webhook_applied` waits a minute for webhooks before asking Stripe, so the
# approval reaches it by webhook (where it dies), never by its reconciler first.
WEBHOOKS_FIRST = FAST_TIMING.replace("webhook_grace=0.8", "webhook_grace=60")
assert WEBHOOKS_FIRST != FAST_TIMING


async def _pay_until_killed(stack: Stack, step: str, capture_mode: str) -> tuple[int, Payment]:
    env = {"KIOSK_PAYMENT_TIMING": WEBHOOKS_FIRST} if step == "webhook_applied" else {}
    server = (await stack.server(capture_mode=capture_mode)).start(kill_at=step, **env)
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    try:
        response = await till.pay(receipt, stack.shop.readers[0])
        assert response.status_code == 200, response.text
    except httpx.TransportError:
        assert step in {"before_intent", "after_intent", "after_send"}  # the request died with the server
    if step in {"after_send", "webhook_applied", "before_capture", "after_capture"}:
        await stack.shop.tap(0)  # the customer approves (while the server is down, for after_send)
    assert await server.died_by_sigkill(), server.log_tail()
    payment = await payment_of(receipt)
    assert payment is not None
    return receipt, payment


async def _what_the_dead_server_left(stack: Stack, step: str, payment: Payment) -> None:
    """Only committed steps are in the database; Stripe may be one step ahead (never more)."""
    expected = {
        "before_intent": "creating",
        "after_intent": "creating",
        "after_send": "intent_created",
        "webhook_applied": "on_reader",
        "before_capture": "requires_capture",
        "after_capture": "requires_capture",
    }[step]
    # After the capture call the kill races Stripe's webhook for it: a webhook recorded before the
    # SIGKILL lands leaves the row captured, as Stripe has it (still never ahead of Stripe).
    allowed = {expected, "captured"} if step == "after_capture" else {expected}
    assert payment.state in allowed, payment.state
    if step == "before_intent":
        assert await stack.sim.calls(CREATE) == 0
    if step == "after_intent":
        assert payment.payment_intent_id is None and await stack.sim.calls(CREATE) == 1
    if step == "webhook_applied":  # the approval's transaction never committed: the event is not recorded
        assert not await WebhookEvent.exists().where(WebhookEvent.payment == payment.id)
    if step == "after_capture":
        assert await stack.sim.calls(CAPTURE) == 1


KILLS = [
    ("before_intent", "automatic"),
    ("after_intent", "automatic"),
    ("after_send", "automatic"),
    ("webhook_applied", "automatic"),
    ("before_capture", "manual"),
    ("after_capture", "manual"),
]


@pytest.mark.parametrize(("step", "capture_mode"), KILLS)
async def test_sigkill_then_restart_finishes_the_payment(stack: Stack, step: str, capture_mode: str) -> None:
    receipt, left = await _pay_until_killed(stack, step, capture_mode)
    await _what_the_dead_server_left(stack, step, left)
    server = stack.servers[0].start()  # restarted: same port, same database, no kill point
    if step in {"before_intent", "after_intent"}:
        await wait_payment(receipt, "on_reader")
        await stack.shop.tap(0)
    final = "captured" if capture_mode == "manual" else "succeeded"
    # After webhook_applied the row still says to ask Stripe only a minute after the send: the
    # redelivered webhooks normally finish it long before, and the bound covers their running out.
    within = 60 + PATIENCE if step == "webhook_applied" else PATIENCE
    done = await wait_payment(receipt, final, within=within)
    # The cashier reloads the receipt: it shows the payment approved and the receipt paid.
    till = await stack.till(server)
    page = await till.client.get(f"/receipts/{receipt}")
    assert f'data-state="{final}"' in page.text and 'data-testid="receipt-status" data-state="paid"' in page.text
    intents = (await stack.sim.api("GET", "/v1/payment_intents", {"limit": 100}))["data"]
    assert [i["id"] for i in intents] == [done.payment_intent_id]  # one PaymentIntent for the tender
    await stack.invariants()


async def test_killed_while_the_customer_approves_then_restarted(stack: Stack) -> None:
    """The server dies with the payment on the reader; the customer taps while it is down (the
    webhooks find nobody); the restarted server finishes it from redelivery or by asking Stripe."""
    server = (await stack.server()).start()
    till = await stack.till(server)
    receipt = await stack.shop.receipt("12.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    server.kill()
    await stack.shop.tap(0)
    server.start()
    await wait_payment(receipt, "succeeded")
    await stack.invariants()
