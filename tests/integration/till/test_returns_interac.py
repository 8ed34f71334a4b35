"""Returns of Interac payments (CAD) at the till, through the simulator: Stripe refunds Interac only
in person, so the cashier sends the refund to a reader and the customer taps the card that paid.
Approved, the customer's cancel and "Try again", another card, a reader offline, the cashier's
cancel, a lost webhook mended by "Check with Stripe", a double press: the card gets its money back
once, never through refunds.create, and the reader is free again afterwards."""

from __future__ import annotations

import asyncio
import re

import httpx

from kiosk.audit.tables import AuditEntry
from kiosk.payments import actions as payments
from kiosk.payments.refunds.actions import IN_PERSON_ONLY
from kiosk.payments.store import reader_holds
from kiosk.payments.tables import Payment, ReaderLease, Refund
from kiosk.shop.tables import Receipt, Warehouse
from kiosk.simulator.cards import INTERAC_CARD
from kiosk.stripe_account.errors import ReaderBusy
from kiosk.till.receipts import add_line, open_receipt
from tests.admin_payments_support import admin_browser, attr, message_of, tagged
from tests.integration.readers.test_reader_snapshot import LIST, age
from tests.integration.till.test_returns import allow, give_back
from tests.kiosk_support import post_form
from tests.payments_support import VISA, Kiosk, wait_state, wait_until

REFUND_ON_READER = "POST /v1/terminal/readers/{reader}/refund_payment"
ONLINE_REFUNDS = "POST /v1/refunds"


async def interac_sale(kiosk: Kiosk, price: str = "20.00") -> tuple[int, Payment]:
    """A CAD receipt paid by an Interac tap on the first reader."""
    await Warehouse.update({Warehouse.currency: "cad"}).where(Warehouse.id == kiosk.warehouse_id)
    receipt_id = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
    await add_line(receipt_id, kiosk.warehouse_id, "Toque", "1", price)
    found = await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[0])
    started = await payments.start_payment(
        kiosk.engine,
        receipt_id=receipt_id,
        reader=found,
        amount=2000,
        currency="cad",
        user_id=kiosk.user_id,
        holder="test till",
    )
    await kiosk.tap(kiosk.readers[0], INTERAC_CARD)
    await wait_state(started.id, "succeeded")

    async def card_known() -> Payment | None:  # the brand comes with charge.succeeded, its own event
        row = await Payment.objects().get(Payment.id == started.id)
        return row if row is not None and row.card_brand else None

    paid = await wait_until(card_known, 10.0, "the card's brand from charge.succeeded")
    assert paid.card_brand == "interac"

    async def is_paid() -> bool:
        row = await Receipt.select(Receipt.status).where(Receipt.id == receipt_id).first()
        return bool(row and row["status"] == "paid")

    await wait_until(is_paid, what="receipt paid")
    return receipt_id, paid


async def returned(client: httpx.AsyncClient, receipt_id: int) -> tuple[str, int]:
    """Return everything; (the return's URL, the Interac refund's id)."""
    done = await give_back(client, receipt_id, scope="everything")
    assert done.status_code == 303, done.text
    url = done.headers["location"]
    page = (await client.get(url)).text
    [panel] = tagged(page, "reader-refund")
    assert attr(panel, "data-phase") == "pick"
    found = re.search(r'id="reader-refund-(\d+)"', page)
    assert found
    return url, int(found.group(1))


async def send(client: httpx.AsyncClient, url: str, refund_id: int, reader: str) -> httpx.Response:
    return await post_form(client, f"{url}/refunds/{refund_id}/reader", {"reader_id": reader})


async def panel(client: httpx.AsyncClient, url: str, refund_id: int) -> str:
    return (await client.get(f"{url}/refunds/{refund_id}")).text


def phase(page: str) -> str:
    [found] = tagged(page, "reader-refund")
    return attr(found, "data-phase") or ""


async def wait_phase(client: httpx.AsyncClient, url: str, refund_id: int, wanted: str) -> str:
    async def probe() -> str | None:
        page = await panel(client, url, refund_id)
        return page if phase(page) == wanted else None

    return await wait_until(probe, what=f"refund {wanted}")


async def refunded_at_stripe(kiosk: Kiosk, payment: Payment) -> int:
    return int((await kiosk.ledger())["intents"][payment.payment_intent_id]["refunded"])


async def leases() -> list[ReaderLease]:
    return list(await ReaderLease.objects())


async def test_the_customer_taps_the_interac_card_and_gets_the_money_back(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        asked = (await cashier.get(f"/returns/receipts/{receipt_id}")).text
        assert "Interac is refunded on the reader only" not in asked
        url, refund_id = await returned(cashier, receipt_id)
        sent = await send(cashier, url, refund_id, kiosk.readers[0])
        assert phase(sent.text) == "waiting"
        assert "Ask the customer to tap their Interac card on Counter 1" in sent.text
        assert 'hx-trigger="every 1s"' in sent.text
        # Meanwhile no payment can start on that reader.
        other = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
        try:
            await kiosk.start(other)
            raise AssertionError("a payment started on a reader busy with a refund")
        except ReaderBusy:
            pass
        await kiosk.tap(kiosk.readers[0], INTERAC_CARD)
        done = await wait_phase(cashier, url, refund_id, "refunded")
        assert message_of(done, "reader-refund-message") == "Refunded"
        assert 'hx-trigger="every 1s"' not in done
        page = (await cashier.get(url)).text
        assert [attr(t, "data-state") for t in tagged(page, "return-tender")] == ["succeeded"]
    assert await refunded_at_stripe(kiosk, paid) == 2000
    assert await kiosk.calls(ONLINE_REFUNDS) == 0
    assert await leases() == []
    [entry] = await AuditEntry.select().where(AuditEntry.action == "return.reader_refund").output(load_json=True)
    assert entry["actor_name"] == "cashier" and entry["detail"]["reader"] == "Counter 1"


async def test_customer_cancel_then_another_card_then_try_again_refunds_once(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        await send(cashier, url, refund_id, kiosk.readers[0])
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/customer_cancel")
        canceled = await wait_phase(cashier, url, refund_id, "pick")
        [failure] = tagged(canceled, "reader-refund-failure")
        assert attr(failure, "data-code") == "customer_canceled"
        assert "The customer canceled on the reader: nothing was refunded." in canceled
        assert "Try again" in canceled
        # Try again on the other reader; the customer taps a Visa: refused, nothing refunded.
        await send(cashier, url, refund_id, kiosk.readers[1])
        await kiosk.tap(kiosk.readers[1], VISA)
        mismatch = await wait_phase(cashier, url, refund_id, "pick")
        assert "is not the Interac card that paid" in mismatch
        await send(cashier, url, refund_id, kiosk.readers[1])
        await kiosk.tap(kiosk.readers[1], INTERAC_CARD)
        await wait_phase(cashier, url, refund_id, "refunded")
    assert await refunded_at_stripe(kiosk, paid) == 2000
    refund = await Refund.objects().get(Refund.id == refund_id)
    assert refund is not None and (refund.attempt, refund.state) == (3, "succeeded")


async def test_a_reader_offline_says_so_and_refunds_nothing(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/offline")
        sent = await send(cashier, url, refund_id, kiosk.readers[0])
        assert phase(sent.text) == "pick"
        assert "Counter 1 is offline" in sent.text
    assert await refunded_at_stripe(kiosk, paid) == 0
    assert await leases() == []


async def test_the_cashier_cancels_and_the_reader_is_free_again(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        await send(cashier, url, refund_id, kiosk.readers[0])
        canceled = await post_form(cashier, f"{url}/refunds/{refund_id}/cancel", {})
        assert phase(canceled.text) == "pick"
        assert "Canceled at the till: nothing was refunded." in canceled.text
    device = await kiosk.control("GET", f"/_sim/readers/{kiosk.readers[0]}/device")
    assert device["reader"]["action"] is None
    assert await refunded_at_stripe(kiosk, paid) == 0
    other = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
    await add_line(other, kiosk.warehouse_id, "Mitts", "1", "10.00")
    started = await kiosk.start(other)  # the reader takes a payment again
    assert started.reader_id == kiosk.readers[0]


async def test_a_lost_webhook_is_mended_by_check_with_stripe(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        await send(cashier, url, refund_id, kiosk.readers[0])
        await kiosk.control("POST", "/_sim/webhooks/faults", {"mode": "drop", "count": 50})
        await kiosk.tap(kiosk.readers[0], INTERAC_CARD)
        checked = await post_form(cashier, f"{url}/check", {})
        assert checked.status_code == 303
        page = (await cashier.get(checked.headers["location"])).text
        assert phase(page) == "refunded"
    refund = await Refund.objects().get(Refund.id == refund_id)
    assert refund is not None and refund.state == "succeeded" and refund.stripe_refund_id
    assert await refunded_at_stripe(kiosk, paid) == 2000


async def test_a_double_press_sends_the_refund_to_the_reader_once(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        first, second = await asyncio.gather(
            send(cashier, url, refund_id, kiosk.readers[0]), send(cashier, url, refund_id, kiosk.readers[1])
        )
        assert sorted([phase(first.text), phase(second.text)]) == ["waiting", "waiting"]
        assert "already on a reader" in first.text + second.text or "updating this payment" in first.text + second.text
        refund = await Refund.objects().get(Refund.id == refund_id)
        assert refund is not None and refund.attempt == 1
        await kiosk.tap(str(refund.reader_id), INTERAC_CARD)
        await wait_phase(cashier, url, refund_id, "refunded")
    assert await kiosk.calls(REFUND_ON_READER) == 1
    assert await refunded_at_stripe(kiosk, paid) == 2000


async def test_the_picker_shows_the_reader_held_by_the_refund(kiosk: Kiosk) -> None:
    """Another till sees the reader busy, held by the returned receipt, while the customer is asked to tap."""
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    intent = str(paid.payment_intent_id)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        await send(cashier, url, refund_id, kiosk.readers[0])
        # The reader snapshot keeps showing the refund's action: the kiosk's, running.
        assert await reader_holds([intent]) == {intent: "running"}
        other = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
        await add_line(other, kiosk.warehouse_id, "Mitts", "1", "10.00")
        picker = (await cashier.get(f"/receipts/{other}/card/readers")).text
        options = {attr(o, "data-reader-id"): attr(o, "data-status") for o in tagged(picker, "reader-option")}
        assert options == {kiosk.readers[0]: "busy", kiosk.readers[1]: "online"}
        number = (await Receipt.select(Receipt.number).where(Receipt.id == receipt_id).first() or {})["number"]
        assert f"Held by Receipt #{number}" in picker
        await kiosk.tap(kiosk.readers[0], INTERAC_CARD)
        await wait_phase(cashier, url, refund_id, "refunded")
        picker = (await cashier.get(f"/receipts/{other}/card/readers")).text
        options = {attr(o, "data-reader-id"): attr(o, "data-status") for o in tagged(picker, "reader-option")}
        assert options[kiosk.readers[0]] == "online"
        assert await reader_holds([intent]) == {intent: "ended"}


async def test_giving_up_leaves_the_money_on_the_receipt(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        gave_up = await post_form(cashier, f"{url}/refunds/{refund_id}/give-up", {})
        assert phase(gave_up.text) == "ended"
        assert "Given up at the till: nothing went back to the card" in gave_up.text
        form = (await cashier.get(f"/returns/receipts/{receipt_id}")).text
        assert message_of(form, "return-left") == "CA$20.00"
    assert await refunded_at_stripe(kiosk, paid) == 0
    [entry] = (
        await AuditEntry.select().where(AuditEntry.action == "return.reader_refund_give_up").output(load_json=True)
    )
    assert entry["detail"]["amount"] == "CA$20.00"


async def test_a_reader_timeout_that_took_the_refund_waits_for_the_card(kiosk: Kiosk) -> None:
    """terminal_reader_timeout can be a false negative: the reader is read before saying no."""
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/timeout", {"applied": True})
        sent = await send(cashier, url, refund_id, kiosk.readers[0])
        assert phase(sent.text) == "waiting"
        await kiosk.tap(kiosk.readers[0], INTERAC_CARD)
        await wait_phase(cashier, url, refund_id, "refunded")
    assert await refunded_at_stripe(kiosk, paid) == 2000


async def test_a_reader_timeout_that_lost_it_or_a_busy_reader_offers_to_try_again(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/timeout", {"applied": False})
        lost = await send(cashier, url, refund_id, kiosk.readers[0])
        assert phase(lost.text) == "pick" and "Counter 1 did not answer: nothing was refunded. Try again." in lost.text
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[1]}/busy")
        busy = await send(cashier, url, refund_id, kiosk.readers[1])
        assert phase(busy.text) == "pick" and "Counter 2 is busy: nothing was refunded." in busy.text
        assert await leases() == []
        again = await send(cashier, url, refund_id, kiosk.readers[0])
        assert phase(again.text) == "waiting"
        await kiosk.tap(kiosk.readers[0], INTERAC_CARD)
        await wait_phase(cashier, url, refund_id, "refunded")
    assert await refunded_at_stripe(kiosk, paid) == 2000


async def test_the_admin_payments_page_sends_an_interac_refund_to_the_till(kiosk: Kiosk) -> None:
    """Stripe refunds Interac only in person: the admin's refund form is not offered, a forged one
    is refused, and nothing reaches Stripe."""
    _receipt_id, paid = await interac_sale(kiosk)
    async with admin_browser(kiosk) as admin:
        panel = (await admin.get(f"/admin/payments?payment={paid.id}")).text
        assert message_of(panel, "refund-in-person") == IN_PERSON_ONLY
        assert 'name="request_key"' not in panel
        form = {"amount": "5.00", "reason": "requested_by_customer", "note": "", "request_key": "k1"}
        refused = await post_form(admin, f"/admin/payments/{paid.id}/refunds", form)
        assert refused.status_code == 400 and "taps the card on a reader" in refused.text
    assert not await Refund.exists()
    assert await kiosk.calls(ONLINE_REFUNDS) == 0


async def test_the_refund_picker_refreshes_itself_as_an_open_picker(kiosk: Kiosk) -> None:
    """The Interac refund's picker polls its own address with `refresh=1`: open, it shows a reader
    unplugged within seconds; opened again, it trusts a reader shown online for up to a minute."""
    await allow(kiosk)
    receipt_id, _ = await interac_sale(kiosk)
    async with kiosk.cashier() as cashier:
        url, refund_id = await returned(cashier, receipt_id)
        readers_url = f"{url}/refunds/{refund_id}/readers"
        assert f'hx-get="{readers_url}?refresh=1"' in (await cashier.get(url)).text
        listings = await kiosk.calls(LIST)
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[1]}/offline")
        await age(kiosk.location, listed=30, seen=30)

        def status(page: str) -> str | None:
            shown = {attr(o, "data-reader-id"): attr(o, "data-status") for o in tagged(page, "reader-option")}
            return shown[kiosk.readers[1]]

        assert status((await cashier.get(readers_url)).text) == "online"  # opened: Stripe's word 30 s old
        assert await kiosk.calls(LIST) == listings
        assert status((await cashier.get(f"{readers_url}?refresh=1")).text) == "offline"
        assert await kiosk.calls(LIST) == listings + 1
