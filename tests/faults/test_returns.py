"""Returns against real server processes: two tills (on two servers) returning the same receipt at
once, and a server killed around the refund call. Stripe's ledger and the invariants (promise 5:
never more given back than was taken, and Stripe's refunds are the kiosk's) hold after each."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from kiosk.payments.tables import Refund
from kiosk.people.permissions import set_take_returns
from kiosk.till.tables import ReceiptReturn
from tests.faults.conftest import Stack
from tests.faults.harness import SIM_KEY
from tests.faults.invariants import assert_invariants
from tests.faults.till import Till, wait_payment, wait_until
from tests.kiosk_support import make_user

REFUNDS = "POST /v1/refunds"


async def paid_by_card(stack: Stack, till: Till, amount: str = "20.00") -> tuple[int, str]:
    """A receipt paid by a tap; its id and its PaymentIntent."""
    receipt = await stack.shop.receipt(amount)
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0)
    payment = await wait_payment(receipt, "succeeded")
    assert payment.payment_intent_id
    return receipt, payment.payment_intent_id


async def allow_returns(stack: Stack, *user_ids: int) -> None:
    boss = await make_user("boss", admin=True, warehouses=())
    for user_id in user_ids:
        await set_take_returns(boss, user_id, True)


async def question(till: Till, receipt: int, **form: str) -> dict[str, str]:
    """Ask the return's question; the hidden fields of its Yes, as the browser sends them."""
    page = (await till.client.get(f"/returns/receipts/{receipt}")).text
    key = re.search(r'name="request_key" value="([^"]+)"', page)
    assert key, page
    asked = await till.post(f"/returns/receipts/{receipt}", {"request_key": key.group(1), **form})
    assert asked.status_code == 200, asked.text
    start = asked.text.index('data-testid="return-confirm"')
    yes = asked.text[start : asked.text.index("</form>", start)]
    fields = re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', yes)
    return {k: v for k, v in fields if k != "_csrf_token"}


async def refunded(stack: Stack, intent: str) -> int:
    return int((await stack.sim.control("GET", "/_sim/ledger"))["intents"][intent]["refunded"])


async def test_two_tills_on_two_servers_return_the_same_receipt_once(stack: Stack) -> None:
    await _two_tills_at_once(stack)


async def test_two_tills_on_two_servers_on_postgresql_return_the_same_receipt_once(pg_stack: Stack) -> None:
    """The same on PostgreSQL, where the two servers' transactions really overlap (row locks)."""
    await _two_tills_at_once(pg_stack)


async def _two_tills_at_once(stack: Stack) -> None:
    first_server = (await stack.server()).start()
    second_server = (await stack.server()).start()
    other = await make_user("cashier2", warehouses=("Main",))
    await allow_returns(stack, stack.shop.user_id, other)
    one = await stack.till(first_server)
    two = await stack.till(second_server, other)
    receipt, intent = await paid_by_card(stack, one)
    yeses = [await question(till, receipt, scope="everything") for till in (one, two)]
    answers = await asyncio.gather(
        *(till.post(f"/returns/receipts/{receipt}", yes) for till, yes in zip((one, two), yeses, strict=True))
    )
    assert sorted(a.status_code for a in answers) == [303, 400]
    assert await ReceiptReturn.count() == 1
    assert await stack.sim.calls(REFUNDS) == 1
    assert await refunded(stack, intent) == 2000
    await stack.invariants()


async def test_every_press_of_many_tills_gives_back_at_most_what_was_taken(stack: Stack) -> None:
    """Four tills each return $6 of a $20 receipt at once: three fit, the fourth is refused."""
    server = (await stack.server()).start()
    users = [stack.shop.user_id, *[await make_user(f"c{i}", warehouses=("Main",)) for i in range(3)]]
    await allow_returns(stack, *users)
    tills = [await stack.till(server, user) for user in users]
    receipt, intent = await paid_by_card(stack, tills[0])
    yeses = [await question(till, receipt, scope="amount", amount="6.00") for till in tills]
    answers = await asyncio.gather(
        *(till.post(f"/returns/receipts/{receipt}", yes) for till, yes in zip(tills, yeses, strict=True))
    )
    assert sorted(a.status_code for a in answers) == [303, 303, 303, 400]
    assert await refunded(stack, intent) == 1800
    await stack.invariants()


@pytest.mark.parametrize("step", ["before_refund", "after_refund"])
async def test_killed_around_the_refund_call_then_checked_refunds_once(stack: Stack, step: str) -> None:
    server = (await stack.server()).start(kill_at=step)
    await allow_returns(stack, stack.shop.user_id)
    till = await stack.till(server)
    receipt, intent = await paid_by_card(stack, till)
    yes = await question(till, receipt, scope="amount", amount="6.00")
    with pytest.raises(httpx.TransportError):
        await till.post(f"/returns/receipts/{receipt}", yes)  # the server dies with the request
    assert await server.died_by_sigkill(), server.log_tail()
    [made] = await ReceiptReturn.select(ReceiptReturn.id)
    [row] = await Refund.select(Refund.state)
    assert row["state"] == "creating"  # committed before Stripe was called; its answer never recorded
    assert await refunded(stack, intent) == (600 if step == "after_refund" else 0)
    # Mid-run, the refund recorded but not confirmed: never more given back than the kiosk knows of.
    await assert_invariants((stack.sim.url, SIM_KEY), final=False)
    server = stack.servers[0].start()  # restarted without the kill point
    till = await stack.till(server)
    # A second press of the same Yes finds the return: nothing new is made.
    again = await till.post(f"/returns/receipts/{receipt}", yes)
    assert again.status_code == 303 and again.headers["location"] == f"/returns/{made['id']}"
    checked = await till.post(f"/returns/{made['id']}/check")
    assert checked.status_code == 303, checked.text
    await wait_until(lambda: _refund_succeeded(), what="the refund confirmed")
    assert await refunded(stack, intent) == 600
    page = (await till.client.get(f"/returns/{made['id']}")).text
    assert 'data-testid="return-tender" data-kind="card" data-state="succeeded"' in page
    await stack.invariants()


async def _refund_succeeded() -> bool | None:
    row = await Refund.select(Refund.state).first()
    return True if row and row["state"] == "succeeded" else None
