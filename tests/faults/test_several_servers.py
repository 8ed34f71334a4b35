"""Two kiosk servers on one PostgreSQL, on different ports: Stripe's webhooks land on one, the
cashier works on the other, both run the reconciler — and each payment is acted on once."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from tests.faults.conftest import Stack
from tests.faults.till import wait_payment, wait_until

CREATE = "POST /v1/payment_intents"
PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"
CAPTURE = "POST /v1/payment_intents/{intent}/capture"
PAYMENTS = 6


async def _more_readers(stack: Stack, count: int) -> None:
    for n in range(count - len(stack.shop.readers)):
        params = {"registration_code": "simulated-wpe", "label": f"Extra {n}", "location": stack.shop.location}
        stack.shop.readers.append((await stack.sim.api("POST", "/v1/terminal/readers", params))["id"])


async def test_two_servers_one_database_one_action_per_payment(pg_stack: Stack) -> None:
    stack = pg_stack
    await _more_readers(stack, PAYMENTS)
    webhooks = (await stack.server(capture_mode="manual")).start()
    tills = (await stack.server(capture_mode="manual", webhooks=False)).start()
    till = await stack.till(tills)
    # Phase 1: no webhook arrives, so both reconcilers find every payment due and race for it.
    await stack.sim.control("POST", "/_sim/webhooks/faults", {"mode": "drop", "count": 1000})
    receipts = [await stack.shop.receipt(f"{10 + n}.00") for n in range(PAYMENTS)]
    answers = await asyncio.gather(*(till.pay(r, stack.shop.readers[n]) for n, r in enumerate(receipts)))
    assert all(a.status_code == 200 for a in answers)
    for n, receipt in enumerate(receipts):
        await wait_payment(receipt, "on_reader")
        await stack.shop.tap(n)
    for receipt in receipts:
        await wait_payment(receipt, "captured", within=30)
    assert await stack.sim.calls(CREATE) == PAYMENTS
    assert await stack.sim.calls(PROCESS) == PAYMENTS
    assert await stack.sim.calls(CAPTURE) == PAYMENTS  # one capture per payment, not one per server
    # Phase 2: webhooks flow to the first server; the cashier's page on the second shows them.
    await stack.sim.control("POST", "/_sim/webhooks/faults", {"mode": "normal"})
    receipt = await stack.shop.receipt("30.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0)

    async def shown_captured() -> bool:  # the receipt page, reloaded once its poll finds it paid
        return 'data-state="captured"' in await till.page(receipt)

    await wait_until(shown_captured, what="the second server's page showing the capture")
    assert await stack.sim.calls(CAPTURE) == PAYMENTS + 1
    await stack.invariants()
    assert webhooks.proc and webhooks.proc.poll() is None


async def test_a_server_restarting_beside_another_resumes_each_payment_once(pg_stack: Stack) -> None:
    """Payments whose server died before sending them: the restarted server and the other one both
    look for unsent payments at once; each payment is sent to its reader once."""
    stack = pg_stack
    await _more_readers(stack, 3)
    other = (await stack.server(webhooks=False)).start()
    dying = (await stack.server()).start(kill_at="after_intent")
    till = await stack.till(dying)
    receipt = await stack.shop.receipt("10.00")
    with contextlib.suppress(httpx.TransportError):  # the request dies with the server, by design
        await till.pay(receipt, stack.shop.readers[0])
    assert await dying.died_by_sigkill()
    await asyncio.to_thread(dying.start)
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0)
    await wait_payment(receipt, "succeeded")
    assert await stack.sim.calls(PROCESS) == 1
    await stack.invariants()
    assert other.proc and other.proc.poll() is None
