"""A reader that goes offline, before or during a payment, and a reader held by another receipt: the
cashier is told which reader and what happened, is offered the others, and can free a held reader
(its own receipt's page, or an admin) without ever letting go of a payment that could be charged."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx

from kiosk.payments import actions as payments
from kiosk.payments.tables import Payment
from kiosk.readers.tables import ReaderListing, ReaderStatus
from kiosk.shop.tables import Receipt
from tests.integration.payments.test_payments_http import DISABLED, HTMX, options
from tests.kiosk_support import make_user, post_form, redrawn
from tests.payments_support import (
    Kiosk,
    assert_charged_once,
    assert_nothing_charged,
    payment,
    wait_state,
    wait_until,
)

OFFLINE = "terminal_reader_offline"


def text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


async def only_payment(receipt: int) -> Payment:
    row = await Payment.objects().where(Payment.receipt == receipt).first()
    assert row is not None
    return row


async def relist(kiosk: Kiosk) -> None:
    """As if the pickers' ten seconds had passed: the next picker lists the readers at Stripe."""
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    where = ReaderListing.location_id == kiosk.location
    await ReaderListing.update({ReaderListing.listed_at: long_ago}).where(where)
    await ReaderStatus.update({ReaderStatus.observed_at: long_ago}).where(ReaderStatus.location_id == kiosk.location)


async def number_of(receipt: int) -> int:
    row = await Receipt.select(Receipt.number).where(Receipt.id == receipt).first()
    assert row is not None
    return int(row["number"])


async def test_a_reader_offline_at_the_start_is_not_charged_and_the_others_are_offered(kiosk: Kiosk) -> None:
    first, second = kiosk.readers
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await client.get(f"/receipts/{receipt}/card/readers", headers=HTMX)  # the picker shows it online
        await kiosk.control("POST", f"/_sim/readers/{first}/offline")
        started = await post_form(client, f"/receipts/{receipt}/card", {"reader_id": first}, HTMX)
        answer = html.unescape(redrawn(started))  # the page drawn anew shows how it ended
        refused = await only_payment(receipt)
        assert refused.state == "declined" and refused.failure_code == OFFLINE
        assert (
            "Not charged" in answer
            and "The reader is offline: Counter 1 did not get the payment, so nothing was charged" in answer
        )
        assert "Declined" not in answer
        # The other readers are offered at once (the picker loads with the panel), Counter 1 as offline.
        assert re.search(rf'hx-get="/payments/{refused.id}/readers"[^>]*hx-trigger="click, load"', answer)
        offered = options((await client.get(f"/payments/{refused.id}/readers", headers=HTMX)).text)
        assert 'data-status="offline"' in offered[first] and not DISABLED.search(offered[second])
        listed = text(await client.get("/receipts"))
        assert "Card not charged" in listed and "Card declined" not in listed
        # The same PaymentIntent goes to the other reader.
        await post_form(client, f"/payments/{refused.id}/retry", {"reader_id": second})
    await wait_state(refused.id, "on_reader")
    await kiosk.tap(second)
    done = await wait_state(refused.id, "succeeded")
    assert done.payment_intent_id == refused.payment_intent_id
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_picking_a_reader_the_picker_shows_offline_names_it(kiosk: Kiosk) -> None:
    first = kiosk.readers[0]
    await kiosk.control("POST", f"/_sim/readers/{first}/offline")
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        answer = text(await post_form(client, f"/receipts/{receipt}/card", {"reader_id": first}))
    assert 'data-testid="card-error"' in answer and "Counter 1 did not get the payment" in answer
    assert await Payment.count().where(Payment.receipt == receipt) == 0


async def wait_noted_offline(payment_id: int) -> Payment:
    async def probe() -> Payment | None:
        row = await payment(payment_id)
        return row if row.state == "on_reader" and row.failure_code == OFFLINE else None

    return await wait_until(probe, what=f"payment {payment_id} noted as waiting on an offline reader")


async def test_a_reader_unplugged_mid_payment_says_so_and_cancel_cancels_it_at_stripe(kiosk: Kiosk) -> None:
    first = kiosk.readers[0]
    receipt, other = await kiosk.receipt("10.00"), await kiosk.receipt("5.00")
    async with kiosk.cashier() as client:
        await post_form(client, f"/receipts/{receipt}/card", {"reader_id": first})
        started = await only_payment(receipt)
        await kiosk.control("POST", f"/_sim/readers/{first}/offline")
        await wait_noted_offline(started.id)
        panel = text(await client.get(f"/payments/{started.id}/progress", headers=HTMX))
        assert "Counter 1 is offline" in panel and "Waiting for the customer" not in panel
        assert "Cancel card payment" in panel
        # Another receipt's picker says where the reader is held.
        number = await number_of(receipt)
        picker = text(await client.get(f"/receipts/{other}/card/readers", headers=HTMX))
        assert f'href="/receipts/{receipt}"' in picker and f"Receipt #{number} · cashier" in picker
        canceled = text(await post_form(client, f"/payments/{started.id}/cancel"))
    assert 'data-testid="card-error"' not in canceled and "Canceled" in canceled
    assert (await payment(started.id)).state == "canceled"
    await assert_nothing_charged(kiosk)
    # Plugged back, the reader takes the next receipt's payment.
    await kiosk.control("POST", f"/_sim/readers/{first}/online")
    await relist(kiosk)
    async with kiosk.cashier() as client:
        assert not DISABLED.search(options((await client.get(f"/receipts/{other}/card/readers")).text)[first])
    next_payment = await kiosk.start(other, amount=500)
    assert next_payment.state == "on_reader"
    await kiosk.tap(first)
    done = await wait_state(next_payment.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 500)


async def test_a_reader_plugged_back_mid_payment_goes_on(kiosk: Kiosk) -> None:
    first = kiosk.readers[0]
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.control("POST", f"/_sim/readers/{first}/offline")
    await wait_noted_offline(started.id)
    await kiosk.control("POST", f"/_sim/readers/{first}/online")

    async def back() -> Payment | None:
        row = await payment(started.id)
        return row if row.failure_code is None else None

    assert (await wait_until(back, what="the offline note cleared")).state == "on_reader"
    assert payments.payment_view(await payment(started.id)).headline == "Present card on Counter 1"
    await kiosk.tap(first)
    done = await wait_state(started.id, "succeeded")
    assert done.failure_code is None
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_an_admin_releases_a_reader_another_receipt_holds_after_asking(kiosk: Kiosk) -> None:
    first = kiosk.readers[0]
    await make_user("boss", admin=True)
    receipt, other = await kiosk.receipt("10.00"), await kiosk.receipt("5.00")
    held = await kiosk.start(receipt)
    picker_url = f"/receipts/{other}/card/readers"
    async with kiosk.cashier() as cashier:  # a cashier sees where it is held, and may not release it
        page = text(await cashier.get(picker_url, headers=HTMX))
        assert "Release Counter 1" not in page and "Held by" in page
        refused = await post_form(cashier, f"/payments/{held.id}/release", {"picker": picker_url})
        assert refused.status_code == 403
    assert (await payment(held.id)).state == "on_reader"
    async with kiosk.cashier("boss") as admin:
        assert f'hx-get="{picker_url}?release={held.id}"' in text(await admin.get(picker_url, headers=HTMX))
        asked = text(await admin.get(f"{picker_url}?release={held.id}", headers=HTMX))
        assert "Cancel the card payment of receipt #" in asked and "Yes, release Counter 1" in asked
        # The picker refreshing itself keeps the question on screen.
        assert f'hx-get="{picker_url}?refresh=1&release={held.id}"' in asked  # unescaped by text()
        kept = text(await admin.get(f"{picker_url}?refresh=1&release={held.id}", headers=HTMX))
        assert "Yes, release Counter 1" in kept
        assert (await payment(held.id)).state == "on_reader"  # asking changes nothing
        released = text(await post_form(admin, f"/payments/{held.id}/release", {"picker": picker_url}))
    assert "Counter 1 is free" in released and not DISABLED.search(options(released)[first])
    assert (await payment(held.id)).state == "canceled"
    await assert_nothing_charged(kiosk)


async def test_a_release_while_the_card_is_authorizing_keeps_the_payment(kiosk: Kiosk) -> None:
    """The reader is authorizing: releasing it now could lose a charge, so it is refused."""
    first = kiosk.readers[0]
    await make_user("boss", admin=True)
    await kiosk.control("POST", f"/_sim/readers/{first}/authorization_delay", {"seconds": 60})
    receipt, other = await kiosk.receipt("10.00"), await kiosk.receipt("5.00")
    held = await kiosk.start(receipt)
    await kiosk.tap(first)
    picker_url = f"/receipts/{other}/card/readers"
    async with kiosk.cashier("boss") as admin:
        answer = text(await post_form(admin, f"/payments/{held.id}/release", {"picker": picker_url}))
    assert "cannot stop now" in answer and 'data-status="busy"' in options(answer)[first]
    assert (await payment(held.id)).state == "on_reader"
    await kiosk.control("POST", f"/_sim/readers/{first}/authorization_delay", {"seconds": 0})
    await kiosk.control("POST", f"/_sim/readers/{first}/offline")  # ends the authorization: connection_error
    done = await wait_state(held.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)
