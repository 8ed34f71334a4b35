"""An Interac return against a real server process killed around the refund sent to the reader:
after the restart the reconciler finds where the refund stands (not sent: the cashier tries again;
on the reader: the customer's tap settles it), the card gets its money back once, and the ledger
invariants hold (promise 5: never more given back than was taken)."""

from __future__ import annotations

import re

import httpx
import pytest

from kiosk.payments.tables import Payment, Refund
from kiosk.shop.tables import Warehouse
from kiosk.simulator.cards import INTERAC_CARD
from tests.faults.conftest import Stack
from tests.faults.harness import SIM_KEY
from tests.faults.invariants import assert_invariants
from tests.faults.test_returns import allow_returns, question, refunded
from tests.faults.till import Till, payment_of, wait_payment, wait_until

REFUND_ON_READER = "POST /v1/terminal/readers/{reader}/refund_payment"


async def paid_by_interac(stack: Stack, till: Till) -> tuple[int, str]:
    await Warehouse.update({Warehouse.currency: "cad"}).where(Warehouse.id == stack.shop.warehouse_id)
    receipt = await stack.shop.receipt("20.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0, INTERAC_CARD)
    await wait_payment(receipt, "succeeded")

    async def card_known() -> Payment | None:  # the brand comes with charge.succeeded, its own event
        row = await payment_of(receipt)
        return row if row is not None and row.card_brand else None

    payment = await wait_until(card_known, 10.0, "the card's brand from charge.succeeded")
    assert payment.payment_intent_id and payment.card_brand == "interac"
    return receipt, payment.payment_intent_id


async def refund_step(*steps: str) -> Refund | None:
    refund: Refund | None = await Refund.objects().first()
    return refund if refund is not None and refund.reader_step in steps else None


@pytest.mark.parametrize("step", ["before_reader_refund", "after_reader_refund"])
async def test_killed_around_the_reader_refund_then_refunded_once(stack: Stack, step: str) -> None:
    await _killed_around_the_reader_refund(stack, step)


async def test_killed_after_the_reader_refund_on_postgresql_refunds_once(pg_stack: Stack) -> None:
    """The same on PostgreSQL (the reader's lease and the refund's row under its locks)."""
    await _killed_around_the_reader_refund(pg_stack, "after_reader_refund")


async def _killed_around_the_reader_refund(stack: Stack, step: str) -> None:
    server = (await stack.server()).start(kill_at=step)
    await allow_returns(stack, stack.shop.user_id)
    till = await stack.till(server)
    receipt, intent = await paid_by_interac(stack, till)
    done = await till.post(f"/returns/receipts/{receipt}", await question(till, receipt, scope="everything"))
    assert done.status_code == 303, done.text
    url = done.headers["location"]
    found = re.search(r'id="reader-refund-(\d+)"', (await till.client.get(url)).text)
    assert found
    refund_url = f"{url}/refunds/{found.group(1)}"
    with pytest.raises(httpx.TransportError):
        await till.post(f"{refund_url}/reader", {"reader_id": stack.shop.readers[1]})  # the server dies
    assert await server.died_by_sigkill(), server.log_tail()
    assert await refunded(stack, intent) == 0
    await assert_invariants((stack.sim.url, SIM_KEY), final=False)
    server = stack.servers[0].start()  # restarted without the kill point
    till = await stack.till(server)
    if step == "before_reader_refund":
        # Never reached the reader: the reconciler says so, and the cashier tries again.
        await wait_until(lambda: refund_step("failed"), what="the unsent refund found")
        again = await till.post(f"{refund_url}/reader", {"reader_id": stack.shop.readers[1]})
        assert 'data-phase="waiting"' in again.text, again.text
    else:
        # On the reader: the reconciler finds it there, and the customer's tap settles it.
        await wait_until(lambda: refund_step("on_reader"), what="the refund found on the reader")
    await stack.shop.tap(1, INTERAC_CARD)
    await wait_until(lambda: _succeeded(), what="the refund made")
    assert await refunded(stack, intent) == 2000
    assert await stack.sim.calls(REFUND_ON_READER) == 1  # one send reached Stripe, before or after the crash
    page = (await till.client.get(refund_url)).text
    assert 'data-phase="refunded"' in page
    await stack.invariants()


async def _succeeded() -> bool | None:
    row = await Refund.select(Refund.state).first()
    return True if row and row["state"] == "succeeded" else None
