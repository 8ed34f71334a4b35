"""A reader that has just lost power or network, as Stripe sees it: still "online" for up to 2 minutes,
but every command sent to it times out. At the start the cashier is told it did not answer, that
nothing was charged, and is offered the others (Try again keeps the PaymentIntent); mid-payment the
panel waits on Stripe's word, says the reader is offline once Stripe does, and Cancel works all along."""

from __future__ import annotations

import html
import re

import httpx

from kiosk.payments.tables import Payment
from tests.integration.payments.test_payments_http import DISABLED, HTMX, options
from tests.kiosk_support import post_form, redrawn
from tests.payments_support import (
    Kiosk,
    assert_charged_once,
    assert_nothing_charged,
    payment,
    wait_state,
    wait_until,
)

PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"
TIMEOUT = "terminal_reader_timeout"


def text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


async def only_payment(receipt: int) -> Payment:
    row = await Payment.objects().where(Payment.receipt == receipt).first()
    assert row is not None
    return row


async def test_a_freshly_unplugged_reader_did_not_answer_nothing_charged_others_offered(kiosk: Kiosk) -> None:
    first, second = kiosk.readers
    receipt = await kiosk.receipt("10.00")
    await kiosk.control("POST", f"/_sim/readers/{first}/unplug")
    async with kiosk.cashier() as client:
        picker = options((await client.get(f"/receipts/{receipt}/card/readers", headers=HTMX)).text)
        assert 'data-status="online"' in picker[first]  # Stripe still shows it online: the kiosk cannot know
        started = await post_form(client, f"/receipts/{receipt}/card", {"reader_id": first}, HTMX)
        answer = html.unescape(redrawn(started))  # the page drawn anew shows how it ended
        silent = await only_payment(receipt)
        assert (silent.state, silent.failure_code) == ("declined", TIMEOUT)
        assert await kiosk.calls(PROCESS) == 2  # sent once more after reading the reader, never more
        assert "Not charged" in answer and "Declined" not in answer
        assert "Counter 1 did not answer: check it is powered on and connected" in answer
        assert "nothing was charged" in answer and "Try again on Counter 1" in answer
        # The other readers are offered at once (the picker loads with the panel).
        assert re.search(rf'hx-get="/payments/{silent.id}/readers"[^>]*hx-trigger="click, load"', answer)
        offered = options((await client.get(f"/payments/{silent.id}/readers", headers=HTMX)).text)
        assert not DISABLED.search(offered[second])
        listed = text(await client.get("/receipts"))
        assert "Card not charged: reader did not answer" in listed and "Card declined" not in listed
        await assert_nothing_charged(kiosk)

        # Plugged back in, Try again on the same reader sends the same PaymentIntent.
        await kiosk.control("POST", f"/_sim/readers/{first}/online")
        await post_form(client, f"/payments/{silent.id}/retry", {})
    await wait_state(silent.id, "on_reader")
    await kiosk.tap(first)
    done = await wait_state(silent.id, "succeeded")
    assert done.payment_intent_id == silent.payment_intent_id
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_cancel_works_on_a_reader_unplugged_mid_payment(kiosk: Kiosk) -> None:
    """Stripe still shows the reader online with our action, and cancel_action times out: the kiosk
    cancels the PaymentIntent at Stripe instead; the reader, back, refuses it and is free again."""
    first = kiosk.readers[0]
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await post_form(client, f"/receipts/{receipt}/card", {"reader_id": first})
        started = await only_payment(receipt)
        assert started.state == "on_reader"
        await kiosk.control("POST", f"/_sim/readers/{first}/unplug")
        panel = text(await client.get(f"/payments/{started.id}/progress", headers=HTMX))
        assert "Present card on Counter 1" in panel and "Cancel on reader" in panel
        answer = text(await post_form(client, f"/payments/{started.id}/cancel", {}))
    assert "cannot stop now" not in answer and 'data-testid="card-error"' not in answer
    canceled = await payment(started.id)
    assert canceled.state == "canceled"
    intent = await kiosk.stripe(lambda c: c.v1.payment_intents.retrieve(started.payment_intent_id))
    assert intent.status == "canceled"
    await assert_nothing_charged(kiosk)

    await kiosk.control("POST", f"/_sim/readers/{first}/online")
    reader = await kiosk.stripe(lambda c: c.v1.terminal.readers.retrieve(first))
    assert reader.action is not None and reader.action.status == "failed"  # it learnt the cancel
    again = await kiosk.start(await kiosk.receipt("5.00"), amount=500)
    assert again.state == "on_reader"  # the reader takes the next payment
    await kiosk.tap(first)
    done = await wait_state(again.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 500)
    assert (await payment(started.id)).state == "canceled"


async def test_an_unplugged_reader_mid_payment_is_said_offline_once_stripe_says_so(kiosk: Kiosk) -> None:
    """Within the 2 minutes Stripe shows the reader online with our action in progress: the panel
    waits; once Stripe calls it offline the panel says so; plugged back in, the payment goes on."""
    first = kiosk.readers[0]
    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    await kiosk.control("POST", f"/_sim/readers/{first}/unplug")
    await kiosk.control("POST", "/_sim/settings", {"reader_offline_after": 0})  # the 2 minutes have passed

    async def noted_offline() -> Payment | None:
        row = await payment(started.id)
        return row if row.state == "on_reader" and row.failure_code == "terminal_reader_offline" else None

    await wait_until(noted_offline, what="the payment noted as waiting on an offline reader")
    async with kiosk.cashier() as client:
        panel = text(await client.get(f"/payments/{started.id}/progress", headers=HTMX))
    assert "Counter 1 is offline" in panel and "Cancel card payment" in panel

    await kiosk.control("POST", f"/_sim/readers/{first}/online")
    await kiosk.tap(first)
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)
