"""Reader tasks at the till: saving a customer's card without paying (a SetupIntent processed on
the reader) and asking their email on the reader (collect_inputs). The reader is held while a task
runs (no payment is sent to it), freed when it ends, is canceled or its hold expires; the card is
saved once from the SetupIntent's generated card, whatever the webhooks or replays do."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from kiosk.audit.tables import AuditEntry
from kiosk.customers.tables import Customer
from kiosk.payments import reader_tasks
from kiosk.payments.tables import ReaderHold, ReaderTask
from kiosk.readers.tables import ReaderStatus
from kiosk.stripe_account.errors import ReaderBusy
from tests.admin_payments_support import message_of
from tests.integration.customers.customers_support import customer_id, new_customer_at_till, saved_cards, turn_saving_on
from tests.integration.readers.test_reader_snapshot import LIST, age
from tests.kiosk_support import post_form
from tests.payments_support import Kiosk, wait_state, wait_until

SETUP_INTENTS = "POST /v1/setup_intents"


async def ask(client: httpx.AsyncClient, kiosk: Kiosk, kind: str, customer: int, receipt: int) -> httpx.Response:
    """Open the task's reader picker from the receipt, then choose the first reader."""
    picker = await client.get("/reader-tasks/pick", params={"kind": kind, "customer": customer, "receipt": receipt})
    assert f'data-reader-id="{kiosk.readers[0]}"' in picker.text, picker.text
    url = f"/reader-tasks?kind={kind}&customer={customer}&receipt={receipt}"
    return await post_form(client, url, {"reader_id": kiosk.readers[0]})


def task_id_of(fragment: str) -> int:
    found = re.search(r'hx-post="/reader-tasks/(\d+)/cancel"', fragment)
    assert found, fragment
    return int(found.group(1))


async def follow(client: httpx.AsyncClient, task_id: int) -> str:
    """Poll the fragment as the page does until the task ends: its last fragment."""

    async def ended() -> str | None:
        page = (await client.get(f"/reader-tasks/{task_id}")).text
        return page if 'data-state="succeeded"' in page or "failed" in page or "canceled" in page else None

    return await wait_until(ended, what="the reader task's end")


async def answer_inputs(kiosk: Kiosk, value: str) -> None:
    """The customer types on the virtual reader's screen."""
    async with httpx.AsyncClient(base_url=kiosk.sim.url, trust_env=False) as sim:
        answer = await sim.post(f"/_sim/readers/{kiosk.readers[0]}/ui/inputs", data={"value-0": value})
        assert answer.status_code == 200, answer.text


async def ada_on_a_receipt(kiosk: Kiosk, client: httpx.AsyncClient, email: str = "ada@example.com") -> tuple[int, int]:
    receipt = await kiosk.receipt("10.00")
    made = await new_customer_at_till(client, receipt, email=email)
    assert made.status_code == 200, made.text
    row = await Customer.select(Customer.id).where(Customer.name == "Ada Lovelace").first()
    assert row is not None
    return receipt, int(row["id"])


async def test_a_card_is_saved_on_the_reader_without_paying_and_the_reader_is_held_meanwhile(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
        section = (await client.get(f"/receipts/{receipt}")).text
        assert 'data-testid="save-card-on-reader"' in section
        started = await ask(client, kiosk, "save_card", ada, receipt)
        assert 'data-testid="reader-task-running"' in started.text and "Nothing is charged" in started.text
        task_id = task_id_of(started.text)
        other = await kiosk.receipt("5.00")
        with pytest.raises(ReaderBusy):  # another till cannot take the held reader for a payment
            await kiosk.start(other, amount=500)
        picker = await client.get(f"/receipts/{other}/card/readers")
        assert 'data-testid="reader-task-note"' in picker.text and 'data-status="busy"' in picker.text
        await kiosk.tap(kiosk.readers[0])
        done = await follow(client, task_id)
        assert (
            message_of(done.text if isinstance(done, httpx.Response) else done, "reader-task-done").strip()
            == ("Card saved: Visa •••• 4242, expires 12/2030")
            or "Card saved: Visa •••• 4242, expires" in done
        )
        again = (await client.get(f"/reader-tasks/{task_id}")).text  # a late poll saves nothing more
        assert "Card saved" in again
    cards = await saved_cards()
    assert [(c["brand"], c["last4"], c["customer"]) for c in cards] == [("visa", "4242", ada)]
    assert str(cards[0]["payment_method_id"]).startswith("pm_")
    assert not await ReaderHold.exists()
    paid = await kiosk.start(other, amount=500)  # the reader is free again
    await kiosk.tap(kiosk.readers[0])
    await wait_state(paid.id, "succeeded")
    assert (await kiosk.ledger())["intents"][paid.payment_intent_id]["captured"] == 500  # only the payment
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]
    assert "customer.save_card_on_reader" in actions and "customer.card_saved" in actions
    assert "customer.reader_task_succeeded" in actions


async def test_saving_on_the_reader_is_refused_without_email_or_with_saving_off(kiosk: Kiosk) -> None:
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
        off = await client.get("/reader-tasks/pick", params={"kind": "save_card", "customer": ada, "receipt": receipt})
        assert "Saving cards is off" in message_of(off.text, "reader-task-error")
        await turn_saving_on(kiosk)
        await Customer.update({Customer.email: ""}).where(Customer.id == ada)
        url = f"/reader-tasks?kind=save_card&customer={ada}&receipt={receipt}"
        no_mail = await post_form(client, url, {"reader_id": kiosk.readers[0]})
        assert "Add the customer&#39;s email before saving a card" in no_mail.text
    assert not await ReaderTask.exists() and not await ReaderHold.exists()
    assert await kiosk.calls(SETUP_INTENTS) == 0


async def test_canceling_at_the_till_frees_the_reader_and_saves_nothing(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
        task_id = task_id_of((await ask(client, kiosk, "save_card", ada, receipt)).text)
        canceled = await post_form(client, f"/reader-tasks/{task_id}/cancel")
    assert message_of(canceled.text, "reader-task-failed") == reader_tasks.CANCELED_AT_TILL
    assert not await ReaderHold.exists() and await saved_cards() == []
    reader = await kiosk.stripe(lambda c: c.v1.terminal.readers.retrieve(kiosk.readers[0]))
    assert reader.action is None or reader.action.status != "in_progress"  # the reader stopped asking
    task = await ReaderTask.objects().get(ReaderTask.id == task_id)
    assert task is not None
    intent = await kiosk.stripe(lambda c: c.v1.setup_intents.retrieve(task.setup_intent_id))
    assert intent.status == "canceled"


async def test_the_email_asked_on_the_reader_is_checked_then_stored(kiosk: Kiosk) -> None:
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client, email="")
        page = (await client.get(f"/receipts/{receipt}")).text
        assert 'data-testid="ask-email-on-reader"' in page
        task_id = task_id_of((await ask(client, kiosk, "ask_email", ada, receipt)).text)
        await answer_inputs(kiosk, "ada at example")
        refused = await follow(client, task_id)
        assert "is not an email address" in refused and "Not stored" in refused
        assert (await Customer.select(Customer.email).where(Customer.id == ada).first()) == {"email": ""}
        task_id = task_id_of((await ask(client, kiosk, "ask_email", ada, receipt)).text)
        await answer_inputs(kiosk, "Ada@Example.COM")
        stored = await follow(client, task_id)
        assert "Email saved: ada@example.com" in stored
        section = (await client.get(f"/receipts/{receipt}/customer")).text
        assert "Stripe emails the card receipt to ada@example.com" in section
    assert await customer_id("ada@example.com") == ada
    assert not await ReaderHold.exists()


async def test_an_email_not_typed_in_time_is_said_and_frees_the_reader(kiosk: Kiosk) -> None:
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client, email="")
        task_id = task_id_of((await ask(client, kiosk, "ask_email", ada, receipt)).text)
        await kiosk.stripe(lambda c: c.v1.test_helpers.terminal.readers.timeout_input_collection(kiosk.readers[0]))
        ended = await follow(client, task_id)
    assert reader_tasks.INPUT_TIMED_OUT in ended
    assert not await ReaderHold.exists()


async def test_a_crash_between_the_setup_intent_and_the_reader_replays_it_once(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the SetupIntent was created, before the reader got it: the next poll sends the
    same SetupIntent (one at Stripe), and the card is saved once."""
    await turn_saving_on(kiosk)
    gateway: Any = kiosk.engine.gateway
    real = gateway.process_setup_on_reader

    async def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed between the SetupIntent and process_setup_intent")

    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
        monkeypatch.setattr(gateway, "process_setup_on_reader", killed)
        with pytest.raises(SystemExit):
            await reader_tasks.start(kiosk.engine, "save_card", ada, receipt, kiosk.readers[0], kiosk.user_id, "till")
        task = await ReaderTask.objects().first()
        assert task is not None and task.state == "starting" and task.setup_intent_id
        monkeypatch.setattr(gateway, "process_setup_on_reader", real)
        resumed = (await client.get(f"/reader-tasks/{task.id}")).text
        assert 'data-testid="reader-task-running"' in resumed
        await kiosk.tap(kiosk.readers[0])
        assert "Card saved" in await follow(client, int(task.id))
    assert await kiosk.calls(SETUP_INTENTS) == 1
    assert len(await saved_cards()) == 1


async def test_a_crash_left_alone_frees_the_reader_when_its_hold_expires(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody comes back after the crash: the hold expires, a payment takes the reader, and the
    task, looked at later, ends without sending anything to that reader."""
    await turn_saving_on(kiosk)
    gateway: Any = kiosk.engine.gateway

    async def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed")

    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
        monkeypatch.setattr(gateway, "process_setup_on_reader", killed)
        with pytest.raises(SystemExit):
            await reader_tasks.start(kiosk.engine, "save_card", ada, receipt, kiosk.readers[0], kiosk.user_id, "till")
        monkeypatch.undo()
        task = await ReaderTask.objects().first()
        assert task is not None
        other = await kiosk.receipt("5.00")
        with pytest.raises(ReaderBusy):
            await kiosk.start(other, amount=500)
        await ReaderHold.update({ReaderHold.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True)
        paid = await kiosk.start(other, amount=500)  # the expired hold no longer keeps the reader
        later = (await client.get(f"/reader-tasks/{task.id}")).text
        assert reader_tasks.INTERRUPTED in later
        await kiosk.tap(kiosk.readers[0])
        await wait_state(paid.id, "succeeded")
    assert await saved_cards() == []
    intent = await kiosk.stripe(lambda c: c.v1.setup_intents.retrieve(str(task.setup_intent_id)))
    assert intent.status == "canceled"


async def test_lost_webhooks_change_nothing_the_card_is_saved_once(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    await kiosk.control("POST", "/_sim/webhooks/faults", {"mode": "drop", "count": 50})
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
        task_id = task_id_of((await ask(client, kiosk, "save_card", ada, receipt)).text)
        await kiosk.tap(kiosk.readers[0])
        assert "Card saved" in await follow(client, task_id)
        await reader_tasks.advance(kiosk.engine, task_id)  # a replay of the end
    assert len(await saved_cards()) == 1
    assert not await ReaderHold.exists()


async def test_the_customers_page_asks_the_email_on_the_reader_without_a_receipt(kiosk: Kiosk) -> None:
    async with kiosk.cashier() as client:
        _, ada = await ada_on_a_receipt(kiosk, client, email="")
        page = (await client.get(f"/customers/{ada}")).text
        assert 'data-testid="ask-email-on-reader"' in page
        picker = await client.get("/reader-tasks/pick", params={"kind": "ask_email", "customer": ada})
        assert f'hx-post="/reader-tasks?kind=ask_email&amp;customer={ada}"' in picker.text
        started = await post_form(
            client, f"/reader-tasks?kind=ask_email&customer={ada}", {"reader_id": kiosk.readers[0]}
        )
        await answer_inputs(kiosk, "ada@example.com")
        assert "Email saved: ada@example.com" in await follow(client, task_id_of(started.text))
        assert "ada@example.com" in (await client.get(f"/customers/{ada}")).text
    task = await ReaderTask.objects().first()
    assert task is not None and task.receipt is None and task.state == "succeeded"


async def test_a_finished_tasks_action_seen_earlier_does_not_keep_the_reader_busy(kiosk: Kiosk) -> None:
    """The reader snapshot still says the setup action is in progress (news older than the task's
    end): the picker knows better, the task is the kiosk's and has ended (KioskHolds)."""
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
        task_id = task_id_of((await ask(client, kiosk, "save_card", ada, receipt)).text)
        await kiosk.tap(kiosk.readers[0])
        await follow(client, task_id)
        task = await ReaderTask.objects().get(ReaderTask.id == task_id)
        assert task is not None
        stale = {
            ReaderStatus.action_type: "process_setup_intent",
            ReaderStatus.action_status: "in_progress",
            ReaderStatus.action_intent: task.setup_intent_id,
        }
        await ReaderStatus.update(stale).where(ReaderStatus.reader_id == kiosk.readers[0])
        other = await kiosk.receipt("5.00")
        picker = await client.get(f"/receipts/{other}/card/readers")
    option = re.search(rf'<button[^>]*data-reader-id="{kiosk.readers[0]}"[^>]*>', picker.text)
    assert option is not None and 'data-status="online"' in option.group(0), picker.text


async def test_a_task_nobody_follows_is_finished_by_the_reconcilers_sweep(kiosk: Kiosk) -> None:
    """The till's tab closed after the reader got the request; the customer tapped anyway. The hold
    expires, and the reconciler's sweep reads the SetupIntent and keeps the card (once)."""
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
        task_id = task_id_of((await ask(client, kiosk, "save_card", ada, receipt)).text)
    await kiosk.tap(kiosk.readers[0])
    assert await reader_tasks.sweep(kiosk.engine) == 0  # still followed (its hold is live): left alone
    await ReaderHold.update({ReaderHold.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True)
    assert await reader_tasks.sweep(kiosk.engine) == 1
    assert await reader_tasks.sweep(kiosk.engine) == 0  # ended: never looked at again
    task = await ReaderTask.objects().get(ReaderTask.id == task_id)
    assert task is not None and task.state == "succeeded" and task.result.startswith("Visa •••• 4242")
    assert len(await saved_cards()) == 1 and not await ReaderHold.exists()


async def test_a_payment_and_a_task_asked_at_once_on_one_reader_get_it_one_at_a_time(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
    other = await kiosk.receipt("5.00")
    task = reader_tasks.start(kiosk.engine, "save_card", ada, receipt, kiosk.readers[0], kiosk.user_id, "till 1")
    paying = kiosk.start(other, amount=500)
    outcomes = await asyncio.gather(task, paying, return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, ReaderBusy)]
    assert len(refused) == 1, outcomes  # exactly one of them has the reader
    reader = await kiosk.stripe(lambda c: c.v1.terminal.readers.retrieve(kiosk.readers[0]))
    assert reader.action is not None and reader.action.status == "in_progress"
    winner = next(o for o in outcomes if not isinstance(o, BaseException))
    expected = "process_setup_intent" if isinstance(winner, reader_tasks.TaskView) else "process_payment_intent"
    assert reader.action.type == expected


async def test_the_task_picker_refreshes_itself_as_an_open_picker(kiosk: Kiosk) -> None:
    """The task's picker polls its own address with `refresh=1`: open, it shows a reader unplugged
    within seconds, while opening it trusts a reader shown online for up to a minute."""
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        receipt, ada = await ada_on_a_receipt(kiosk, client)
        query = {"kind": "save_card", "customer": ada, "receipt": receipt}
        opened = (await client.get("/reader-tasks/pick", params=query)).text
        own = f"/reader-tasks/pick?kind=save_card&amp;customer={ada}&amp;receipt={receipt}&amp;refresh=1"
        assert f'hx-get="{own}"' in opened
        listings = await kiosk.calls(LIST)
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[1]}/offline")
        await age(kiosk.location, listed=30, seen=30)
        again = (await client.get("/reader-tasks/pick", params=query)).text  # opened again: no listing
        assert re.search(rf'data-reader-id="{kiosk.readers[1]}"[^>]*data-status="online"', again)
        assert await kiosk.calls(LIST) == listings
        refreshed = (await client.get("/reader-tasks/pick", params={**query, "refresh": "1"})).text
        assert re.search(rf'data-reader-id="{kiosk.readers[1]}"[^>]*data-status="offline"', refreshed)
        assert await kiosk.calls(LIST) == listings + 1
