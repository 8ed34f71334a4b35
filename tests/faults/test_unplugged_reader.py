"""A reader unplugged as Stripe sees it (online for up to 2 minutes, every command timing out) under a
real server process with webhooks dropped: picked at the start it is not charged and the same
PaymentIntent pays once on the other reader; unplugged mid-payment, Cancel cancels at Stripe, and
the reader plugged back in refuses the canceled payment. The ledger invariants hold either way."""

from __future__ import annotations

from tests.faults.conftest import Stack
from tests.faults.till import wait_payment
from tests.kiosk_support import redrawn

PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"


async def test_unplugged_at_the_start_then_paid_once_on_the_other_reader(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    await stack.sim.control("POST", "/_sim/webhooks/faults", {"mode": "drop", "count": 50})
    receipt = await stack.shop.receipt("10.00")
    await stack.shop.reader_fault(0, "unplug")
    answer = await till.pay(receipt, stack.shop.readers[0])
    assert answer.status_code == 200
    assert "nothing was charged" in redrawn(answer)  # the page drawn anew says how it ended
    silent = await wait_payment(receipt, "declined")
    assert silent.failure_code == "terminal_reader_timeout"
    assert await stack.sim.calls(PROCESS) == 2
    # A double press of Another reader: one retry goes through, on the same PaymentIntent.
    for _ in range(2):
        retry = await till.post(f"/payments/{silent.id}/retry", {"reader_id": stack.shop.readers[1]})
        assert retry.status_code == 200
    on_reader = await wait_payment(receipt, "on_reader")
    assert on_reader.payment_intent_id == silent.payment_intent_id
    await stack.shop.tap(1)
    await wait_payment(receipt, "succeeded")
    await stack.shop.reader_fault(0, "online")
    await stack.invariants()


async def test_unplugged_mid_payment_cancel_cancels_at_stripe(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    await stack.sim.control("POST", "/_sim/webhooks/faults", {"mode": "drop", "count": 50})
    receipt = await stack.shop.receipt("10.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    started = await wait_payment(receipt, "on_reader")
    await stack.shop.reader_fault(0, "unplug")
    for _ in range(2):  # a double press
        response = await till.post(f"/payments/{started.id}/cancel")
        assert response.status_code == 200 and "cannot stop now" not in response.text
    await wait_payment(receipt, "canceled")
    await stack.shop.reader_fault(0, "online")
    reader = await stack.sim.api("GET", f"/v1/terminal/readers/{stack.shop.readers[0]}")
    assert reader["action"]["status"] == "failed"  # back, it learnt the payment was canceled
    await stack.invariants(abandoned=(receipt,))
