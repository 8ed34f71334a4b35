"""Stripe's API and the readers misbehaving under a real server process: 500 and 429 bursts, reader
timeouts with and without the command carried out, a reader unplugged mid-payment."""

from __future__ import annotations

from tests.faults.conftest import Stack
from tests.faults.harness import STUCK_SOON
from tests.faults.till import wait_payment
from tests.kiosk_support import redrawn

CREATE = "POST /v1/payment_intents"
PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"
CANCEL_ACTION = "POST /v1/terminal/readers/{reader}/cancel_action"


async def _api_burst(stack: Stack, status: int, count: int) -> None:
    await stack.sim.control("POST", "/_sim/faults/api", {"status": status, "count": count})


async def test_a_short_500_burst_is_ridden_out_by_retries_with_the_same_key(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    assert (await till.client.get(f"/receipts/{receipt}/card/readers")).status_code == 200  # readers cached
    await _api_burst(stack, 500, 2)  # the create fails twice; the SDK's retries (same key) get through
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    assert await stack.sim.calls(CREATE) == 3
    await stack.shop.tap(0)
    await wait_payment(receipt, "succeeded")
    assert len((await stack.sim.api("GET", "/v1/payment_intents"))["data"]) == 1
    await stack.invariants()


async def test_a_long_500_burst_asks_the_cashier_and_try_again_charges_once(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    page = await till.client.get(f"/receipts/{receipt}/card/readers")  # the picker: readers cached
    assert page.status_code == 200
    await _api_burst(stack, 500, 3)  # the create and both of the SDK's retries fail
    response = await till.pay(receipt, stack.shop.readers[0])
    assert "nothing was charged" in redrawn(response)  # the page drawn anew says how it ended
    stuck = await wait_payment(receipt, "needs_attention")
    retry = await till.post(f"/payments/{stuck.id}/retry", {"reader_id": stack.shop.readers[0]})
    assert retry.status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0)
    await wait_payment(receipt, "succeeded")
    await stack.invariants()


async def test_429_bursts_while_the_reconciler_works_alone(stack: Stack) -> None:
    """No webhooks and Stripe rate-limiting: the reconciler backs off and still settles."""
    server = (await stack.server()).start()
    till = await stack.till(server)
    await stack.sim.control("POST", "/_sim/webhooks/faults", {"mode": "drop", "count": 50})
    receipts = [await stack.shop.receipt(amount) for amount in ("10.00", "11.00")]
    for n, receipt in enumerate(receipts):
        assert (await till.pay(receipt, stack.shop.readers[n])).status_code == 200
        await wait_payment(receipt, "on_reader")
    await _api_burst(stack, 429, 6)
    await stack.shop.tap(0)
    await stack.shop.tap(1)
    for receipt in receipts:
        await wait_payment(receipt, "succeeded", within=30)
    await stack.invariants()


async def test_reader_timeout_not_carried_out_is_sent_again(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    await stack.shop.reader_fault(0, "timeout", {"applied": False, "count": 1})
    receipt = await stack.shop.receipt("10.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    sent = await wait_payment(receipt, "on_reader")
    assert sent.attempt == 2 and await stack.sim.calls(PROCESS) == 2
    await stack.shop.tap(0)
    await wait_payment(receipt, "succeeded")
    await stack.invariants()


async def test_reader_timeout_carried_out_all_the_same_is_not_sent_twice(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    await stack.shop.reader_fault(0, "timeout", {"applied": True, "count": 1})
    receipt = await stack.shop.receipt("10.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    sent = await wait_payment(receipt, "on_reader")
    assert sent.attempt == 1 and await stack.sim.calls(PROCESS) == 1
    await stack.shop.tap(0)
    await wait_payment(receipt, "succeeded")
    await stack.invariants()


async def test_reader_unplugged_mid_payment_needs_attention_and_cancels_cleanly(stack: Stack) -> None:
    server = (await stack.server(KIOSK_PAYMENT_TIMING=STUCK_SOON)).start()
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.reader_fault(0, "disconnect", {"authorized": False})
    stuck = await wait_payment(receipt, "needs_attention", within=30)
    response = await till.post(f"/payments/{stuck.id}/cancel")
    assert response.status_code == 200
    await wait_payment(receipt, "canceled")
    await stack.invariants(abandoned=(receipt,))


async def test_reader_unplugged_while_authorizing_still_settles(stack: Stack) -> None:
    """connection_error: the card was authorized before the reader dropped; re-reading the intent finds it."""
    server = (await stack.server()).start()
    till = await stack.till(server)
    # Long: the reader goes offline while still authorizing, however slowly this test runs (going
    # offline ends the authorization at once).
    await stack.shop.reader_fault(0, "authorization_delay", {"seconds": 60})
    receipt = await stack.shop.receipt("10.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0)
    await stack.shop.reader_fault(0, "offline")
    await wait_payment(receipt, "succeeded")
    await stack.invariants()
