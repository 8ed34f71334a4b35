"""SIGKILL between the two steps of a brand-checked payment (collect, then confirm), then a restart:
each step is replayed with its own idempotency key, the card is charged exactly once, and a refused
brand is never charged. The ledger invariants hold afterwards.

The shop accepts Visa and Mastercard only, so every payment collects the card first
(kiosk/payments/brands.py); the kill points are `after_collect` and `after_confirm`
(kiosk/payments/faults.py).
"""

from __future__ import annotations

import httpx
import pytest

from kiosk.payments import brands
from kiosk.payments.tables import Payment
from tests.faults.conftest import Stack
from tests.faults.till import payment_of, wait_payment
from tests.kiosk_support import kiosk_settings

COLLECT = "POST /v1/terminal/readers/{reader}/collect_payment_method"
CONFIRM = "POST /v1/terminal/readers/{reader}/confirm_payment_intent"
PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"
AMEX = "378282246310005"


async def _accept_visa_and_mastercard(stack: Stack) -> None:
    await brands.save(kiosk_settings(), brands.ALL, ("visa", "mastercard"), stack.shop.user_id)


async def _pay_until_killed(stack: Stack, step: str) -> tuple[int, Payment]:
    await _accept_visa_and_mastercard(stack)
    server = (await stack.server()).start(kill_at=step)
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    try:
        response = await till.pay(receipt, stack.shop.readers[0])
        assert response.status_code == 200, response.text
    except httpx.TransportError:
        assert step == "after_collect"  # the cashier's request died with the server
    # The customer taps: while the server is down (after_collect), or to reach the confirm.
    await stack.shop.tap(0)
    assert await server.died_by_sigkill(), server.log_tail()
    payment = await payment_of(receipt)
    assert payment is not None
    return receipt, payment


@pytest.mark.parametrize(("step", "left_in"), [("after_collect", "intent_created"), ("after_confirm", "collected")])
async def test_sigkill_between_the_two_steps_then_restart_charges_once(stack: Stack, step: str, left_in: str) -> None:
    receipt, left = await _pay_until_killed(stack, step)
    # After the confirm, Stripe's webhooks race the kill: the server may record the approval before
    # it dies (the truth, from Stripe), or die first and leave the payment where the kill caught it.
    assert left.state in ({left_in, "succeeded"} if step == "after_confirm" else {left_in})
    assert left.accepted_brands == "visa,mastercard"
    assert await stack.sim.calls(COLLECT) == 1
    assert await stack.sim.calls(CONFIRM) == (1 if step == "after_confirm" else 0)
    server = stack.servers[0].start()  # restarted: same port, same database, no kill point
    done = await wait_payment(receipt, "succeeded")
    assert done.card_brand == "visa"
    till = await stack.till(server)
    page = await till.client.get(f"/receipts/{receipt}")
    assert 'data-state="succeeded"' in page.text and 'data-testid="receipt-status" data-state="paid"' in page.text
    intents = (await stack.sim.api("GET", "/v1/payment_intents", {"limit": 100}))["data"]
    assert [i["id"] for i in intents] == [done.payment_intent_id]
    assert await stack.sim.calls(PROCESS) == 0
    await stack.invariants()


async def test_sigkill_after_collecting_a_refused_brand_then_restart_never_charges_it(stack: Stack) -> None:
    await _accept_visa_and_mastercard(stack)
    server = (await stack.server()).start(kill_at="after_collect")
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    with pytest.raises(httpx.TransportError):
        await till.pay(receipt, stack.shop.readers[0])
    await stack.shop.tap(0, AMEX)
    assert await server.died_by_sigkill(), server.log_tail()
    stack.servers[0].start()
    refused = await wait_payment(receipt, "declined")
    assert refused.failure_code == "card_brand_not_accepted" and refused.card_brand == "amex"
    assert await stack.sim.calls(CONFIRM) == 0
    await stack.invariants()
