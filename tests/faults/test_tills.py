"""What cashiers do to a real server: two tills on one reader, forms submitted twice, receipts left
behind with a card payment half done."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from kiosk.payments.tables import Payment
from tests.faults.conftest import Stack
from tests.faults.till import INSUFFICIENT_FUNDS, wait_payment, wait_until
from tests.kiosk_support import make_user

CREATE = "POST /v1/payment_intents"
PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"
CANCEL_INTENT = "POST /v1/payment_intents/{intent}/cancel"


async def test_two_tills_on_one_reader_the_second_is_told_and_nothing_is_canceled(stack: Stack) -> None:
    server = (await stack.server()).start()
    first = await stack.till(server)
    second = await stack.till(server, await make_user("cashier1", warehouses=("Main",)))
    one, two = await stack.shop.receipt("10.00"), await stack.shop.receipt("20.00")
    assert (await first.pay(one, stack.shop.readers[0])).status_code == 200
    await wait_payment(one, "on_reader")
    refused = await second.pay(two, stack.shop.readers[0])
    assert "Another till is using this reader" in refused.text
    assert not await Payment.exists().where(Payment.receipt == two)  # nothing started for the second till
    await stack.shop.tap(0)
    await wait_payment(one, "succeeded")
    assert (await second.pay(two, stack.shop.readers[0])).status_code == 200  # free again
    await wait_payment(two, "on_reader")
    await stack.shop.tap(0)
    await wait_payment(two, "succeeded")
    assert await stack.sim.calls(PROCESS) == 2
    await stack.invariants()


async def test_double_submitted_forms_start_one_payment_and_cancel_it_once(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    answers = await asyncio.gather(*(till.pay(receipt, stack.shop.readers[0]) for _ in range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200]
    payment = await wait_payment(receipt, "on_reader")
    assert await Payment.count().where(Payment.receipt == receipt) == 1
    assert await stack.sim.calls(CREATE) == 1 and await stack.sim.calls(PROCESS) == 1
    cancels = await asyncio.gather(*(till.post(f"/payments/{payment.id}/cancel") for _ in range(2)))
    assert [c.status_code for c in cancels] == [200, 200]
    await wait_payment(receipt, "canceled")
    assert await stack.sim.calls(CANCEL_INTENT) == 1  # the second press found it canceled already
    await stack.invariants(abandoned=(receipt,))


async def test_double_submitted_retry_sends_the_same_intent_once(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0, INSUFFICIENT_FUNDS)
    declined = await wait_payment(receipt, "declined")
    form = {"reader_id": stack.shop.readers[0]}
    await asyncio.gather(*(till.post(f"/payments/{declined.id}/retry", form) for _ in range(2)))
    retried = await wait_payment(receipt, "on_reader")
    assert retried.attempt == 2 and await stack.sim.calls(PROCESS) == 2
    await stack.shop.tap(0)
    await wait_payment(receipt, "succeeded")
    await stack.invariants()


async def test_abandoned_receipts_have_their_card_tenders_canceled_at_stripe(stack: Stack) -> None:
    """A decline never retried, and a payment left on an unplugged reader: once the receipts are
    abandoned the reconciler cancels both intents, so a late tap can take no money. Abandoned after
    15 s: not before the test has tapped and seen the decline, however slowly a busy machine runs it."""
    server = (await stack.server(KIOSK_RECOVERY="tick=0.2,sweep_every=0.5,abandon_after=15")).start()
    till = await stack.till(server)
    declined, unplugged = await stack.shop.receipt("10.00"), await stack.shop.receipt("15.00")
    assert (await till.pay(declined, stack.shop.readers[0])).status_code == 200
    assert (await till.pay(unplugged, stack.shop.readers[1])).status_code == 200
    await wait_payment(declined, "on_reader")
    await stack.shop.tap(0, INSUFFICIENT_FUNDS)
    await wait_payment(declined, "declined")
    await wait_payment(unplugged, "on_reader")
    await stack.shop.reader_fault(1, "disconnect", {"authorized": False})
    for receipt in (declined, unplugged):
        await wait_payment(receipt, "canceled", within=60)
    await stack.shop.reader_fault(1, "online")

    async def canceled_at_stripe() -> bool:
        intents = (await stack.sim.api("GET", "/v1/payment_intents"))["data"]
        return len(intents) == 2 and all(i["status"] == "canceled" for i in intents)

    await wait_until(canceled_at_stripe, what="both intents canceled at Stripe")
    with contextlib.suppress(httpx.HTTPStatusError):  # nothing is waiting on the reader any more
        await stack.shop.tap(1)
    await stack.invariants(abandoned=(declined, unplugged))
