"""A reader held by a reader task (saving a card without paying) under faults: the server killed
(SIGKILL) between the SetupIntent and process_setup_intent, and webhooks lost. The reader is freed,
Stripe holds one SetupIntent, and the card is saved once."""

from __future__ import annotations

import contextlib
import re

import httpx

from kiosk.customers.protection import CARD_DATA, TOKEN_ONLY
from kiosk.customers.tables import Customer, SavedCard
from kiosk.db.tables import Setting
from kiosk.payments.tables import ReaderHold, ReaderTask
from tests.faults.conftest import Stack
from tests.faults.till import Till, wait_payment, wait_until

SETUP_INTENTS = "POST /v1/setup_intents"


async def _ada() -> int:
    await Setting.insert(Setting(name=CARD_DATA, value=TOKEN_ONLY))
    rows = await Customer.insert(Customer(name="Ada Lovelace", email="ada@example.com")).returning(Customer.id)
    return int(rows[0]["id"])


async def _follow_until_saved(till: Till, task_id: int) -> str:
    async def saved() -> str | None:
        page = (await till.client.get(f"/reader-tasks/{task_id}", headers={"HX-Request": "true"})).text
        return page if "Card saved" in page else None

    return await wait_until(saved, what="the card saved")


async def test_sigkill_between_the_setup_intent_and_the_reader_then_restart(stack: Stack) -> None:
    ada = await _ada()
    server = (await stack.server()).start(kill_at="after_setup_intent")
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    url = f"/reader-tasks?kind=save_card&customer={ada}&receipt={receipt}"
    with contextlib.suppress(httpx.TransportError):  # the request died with the server
        await till.post(url, {"reader_id": stack.shop.readers[0]})
    assert await server.died_by_sigkill(), server.log_tail()
    task = await ReaderTask.objects().first()
    assert task is not None and task.state == "starting" and task.setup_intent_id is None  # never recorded
    assert await stack.sim.calls(SETUP_INTENTS) == 1
    assert await ReaderHold.exists()  # the reader is still held: no payment may be sent to it yet

    stack.servers[0].start()  # restarted: same port and database, no kill point
    await wait_until(lambda: _answers(till), what="the restarted server")
    busy = await till.pay(await stack.shop.receipt("5.00"), stack.shop.readers[0])
    assert "busy with a customer" in busy.text
    resumed = (await till.client.get(f"/reader-tasks/{task.id}", headers={"HX-Request": "true"})).text
    assert 'data-testid="reader-task-running"' in resumed, resumed
    await stack.shop.tap(0)
    assert re.search(r"Card saved: Visa •••• 4242, expires \d\d/\d{4}", await _follow_until_saved(till, int(task.id)))
    listed = await stack.sim.api("GET", "/v1/setup_intents", {"customer": str(await _stripe_customer(ada))})
    assert len(listed["data"]) == 1  # the replay found the same SetupIntent (same key)
    assert await SavedCard.count() == 1
    assert not await ReaderHold.exists()
    other = await stack.shop.receipt("5.00")
    assert (await till.pay(other, stack.shop.readers[0])).status_code == 200  # the reader is free
    await wait_payment(other, "on_reader")


async def test_lost_webhooks_the_reader_is_freed_and_the_card_saved_once(stack: Stack) -> None:
    ada = await _ada()
    server = (await stack.server()).start()
    till = await stack.till(server)
    await stack.sim.control("POST", "/_sim/webhooks/faults", {"mode": "drop", "count": 100})
    receipt = await stack.shop.receipt("10.00")
    started = await till.post(
        f"/reader-tasks?kind=save_card&customer={ada}&receipt={receipt}", {"reader_id": stack.shop.readers[0]}
    )
    task_id = int(re.search(r"/reader-tasks/(\d+)/cancel", started.text).group(1))  # type: ignore[union-attr]
    await stack.shop.tap(0)
    await _follow_until_saved(till, task_id)
    for _ in range(3):  # late polls (another tab, a reload) save nothing more
        await till.client.get(f"/reader-tasks/{task_id}", headers={"HX-Request": "true"})
    assert await SavedCard.count() == 1
    assert not await ReaderHold.exists()
    other = await stack.shop.receipt("5.00")
    assert (await till.pay(other, stack.shop.readers[0])).status_code == 200
    await wait_payment(other, "on_reader")


async def _answers(till: Till) -> bool | None:
    try:
        return (await till.client.get("/receipts")).status_code == 200 or None
    except httpx.TransportError:
        return None


async def _stripe_customer(customer_id: int) -> str:
    row = await Customer.select(Customer.stripe_customer_id).where(Customer.id == customer_id).first()
    assert row is not None and row["stripe_customer_id"]
    return str(row["stripe_customer_id"])
