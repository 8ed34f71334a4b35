"""PostgreSQL goes away for a few seconds under a running server: webhooks answer 5xx and are
delivered again, a payment start fails closed with a plain message, nothing is half-written, and
everything finishes once the database is back."""

from __future__ import annotations

import asyncio

from kiosk.payments.tables import Payment
from kiosk.web.outage import MESSAGE
from tests.faults.conftest import Stack
from tests.faults.pg_cluster import Cluster
from tests.faults.till import wait_payment, wait_until

CREATE = "POST /v1/payment_intents"


async def test_a_database_outage_fails_closed_and_loses_nothing(pg_stack: Stack, pg_cluster: Cluster) -> None:
    stack = pg_stack
    server = (await stack.server()).start()
    till = await stack.till(server)
    running, waiting = await stack.shop.receipt("10.00"), await stack.shop.receipt("20.00")
    assert (await till.pay(running, stack.shop.readers[0])).status_code == 200
    payment = await wait_payment(running, "on_reader")

    await asyncio.to_thread(pg_cluster.stop)
    await stack.shop.tap(0)  # approved while the database is away: its webhooks cannot be recorded
    start = await till.pay(waiting, stack.shop.readers[1])
    poll = await till.progress(payment.id)

    async def webhook_refused() -> bool:  # the tap's news reached the server and was turned away
        deliveries = (await stack.sim.control("GET", "/_sim/webhooks/deliveries"))["deliveries"]
        return any(row["status"] == 503 for row in deliveries)

    await wait_until(webhook_refused, what="a webhook refused with 503 while the database is away")
    await asyncio.to_thread(pg_cluster.start)

    assert start.status_code == 503 and MESSAGE in start.text
    assert start.headers["HX-Retarget"] == "#kiosk-outage"
    assert poll.status_code == 503  # the page keeps polling and says why, never a stack trace
    assert await stack.sim.calls(CREATE) == 1  # the refused start never reached Stripe
    assert not await Payment.exists().where(Payment.receipt == waiting)  # and wrote nothing
    await wait_payment(running, "succeeded")  # the refused webhooks were sent again, or the reconciler asked

    async def notice_clears() -> bool:
        return (await till.client.get("/outage/over")).status_code == 200

    await wait_until(notice_clears, what="the outage notice's probe answering 200")
    assert (await till.pay(waiting, stack.shop.readers[1])).status_code == 200  # pressing Pay again works
    await wait_payment(waiting, "on_reader")
    await stack.shop.tap(1)
    await wait_payment(waiting, "succeeded")
    await stack.invariants()
