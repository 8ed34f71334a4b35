"""The cashier's side over HTTP: reader picker, start, polled progress, decline and retry, cancel."""

from __future__ import annotations

import re

import httpx

from kiosk.payments.tables import Payment
from kiosk.readers.tables import LocationPairing
from tests.kiosk_support import make_warehouse, post_form, redrawn
from tests.payments_support import (
    INSUFFICIENT_FUNDS,
    Kiosk,
    assert_charged_once,
    assert_nothing_charged,
    start_card,
    wait_card,
    wait_state,
    wait_until,
)

HTMX = {"HX-Request": "true"}
DISABLED = re.compile(r"\sdisabled[\s>]")


def options(html: str) -> dict[str, str]:
    """reader id → its <button> markup, for each reader option of a picker."""
    found = re.findall(r'<button[^>]*data-testid="reader-option"[^>]*>', html)
    return {re.search(r'data-reader-id="([^"]+)"', b).group(1): b for b in found}  # type: ignore[union-attr]


def status_of(html: str) -> str:
    match = re.search(r'data-testid="payment-status" data-state="([a-z_]+)"', html)
    assert match, html
    return match.group(1)


async def poll_until_final(client: httpx.AsyncClient, payment_id: int) -> httpx.Response:
    """Poll like htmx does, until the server answers 286 (stop polling)."""

    async def probe() -> httpx.Response | None:
        answer = await client.get(f"/payments/{payment_id}/progress", headers=HTMX)
        return answer if answer.status_code == 286 else None

    return await wait_until(probe, what="a final progress fragment")


async def test_picker_lists_the_locations_readers_offline_ones_not_choosable(kiosk: Kiosk) -> None:
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[1]}/offline")
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        page = await client.get(f"/receipts/{receipt}")
        assert 'data-testid="add-card"' in page.text
        picker = await client.get(f"/receipts/{receipt}/card/readers", headers=HTMX)
    buttons = options(picker.text)
    assert set(buttons) == set(kiosk.readers)
    assert not DISABLED.search(buttons[kiosk.readers[0]])
    assert DISABLED.search(buttons[kiosk.readers[1]]) and 'data-status="offline"' in buttons[kiosk.readers[1]]
    assert "Counter 1" in picker.text and "WisePOS E (simulated)" in picker.text
    assert 'hx-trigger="every 5s"' in picker.text


async def test_picker_without_a_paired_location_says_what_the_admin_must_do(kiosk: Kiosk) -> None:
    await LocationPairing.delete().where(LocationPairing.warehouse == kiosk.warehouse_id)
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        picker = await client.get(f"/receipts/{receipt}/card/readers", headers=HTMX)
    assert options(picker.text) == {}
    assert "admin must pair it" in picker.text


async def test_pay_by_card_from_the_till(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        payment_id = await start_card(client, receipt, kiosk.readers[0])  # the answer is the page
        started = (await client.get(f"/receipts/{receipt}")).text  # as a reload shows it too
        assert status_of(started) == "on_reader" and f'id="payment-{payment_id}"' in started
        assert "Present card on Counter 1" in started and "$10.00" in started
        assert 'hx-trigger="every 1s"' in started
        # The payment holds the receipt: no Void button, cash form or "+ Card" left on the page.
        assert 'data-testid="void-receipt"' not in started and 'data-testid="add-card"' not in started
        polled = await client.get(f"/payments/{payment_id}/progress", headers=HTMX)
        assert polled.status_code == 200 and status_of(polled.text) == "on_reader"
        await kiosk.tap(kiosk.readers[0])
        final = await poll_until_final(client, payment_id)
        reloaded = redrawn(final)  # the receipt is paid: the answer is its page, drawn anew
        assert status_of(reloaded) == "succeeded" and 'hx-trigger="every 1s"' not in reloaded
        # The card comes with charge.succeeded, which may arrive after the events that settled it.
        await wait_card(payment_id)
        page = await client.get(f"/receipts/{receipt}")
        assert status_of(page.text) == "succeeded" and "Visa •••• 4242" in page.text
        assert 'data-testid="receipt-status" data-state="paid"' in page.text
        assert 'data-testid="add-card"' not in page.text
    done = await wait_state(payment_id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_decline_shows_the_reason_and_try_again_succeeds(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await post_form(client, f"/receipts/{receipt}/card", {"reader_id": kiosk.readers[0]})
        payment = await Payment.objects().where(Payment.receipt == receipt).first()
        assert payment is not None
        await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
        final = await poll_until_final(client, payment.id)
        assert status_of(final.text) == "declined"
        assert "Not enough money on the card" in final.text and "insufficient_funds" in final.text
        assert 'data-testid="retry-same"' in final.text and 'data-testid="retry-other"' in final.text
        # Still open and held: the reason stays on screen (no reload); the summary refreshes itself.
        assert final.headers.get("HX-Trigger") == "receipt-changed" and "HX-Refresh" not in final.headers
        retried = await post_form(client, f"/payments/{payment.id}/retry", {"reader_id": kiosk.readers[0]})
        assert status_of(retried.text) == "on_reader"
        await kiosk.tap(kiosk.readers[0])
        paid = redrawn(await poll_until_final(client, payment.id))  # the paid receipt's page, in place
        assert status_of(paid) == "succeeded" and 'data-testid="receipt-status" data-state="paid"' in paid
    done = await wait_state(payment.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_cancel_from_the_till(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        payment_id = await start_card(client, receipt, kiosk.readers[0])
        assert 'data-testid="cancel-payment"' in (await client.get(f"/receipts/{receipt}")).text
        canceled = await post_form(client, f"/payments/{payment_id}/cancel")
        assert status_of(canceled.text) == "canceled"
        assert 'data-testid="add-card"' in canceled.text  # the receipt is still due: card again, or cash
    await assert_nothing_charged(kiosk)


async def test_amount_below_the_card_minimum_is_refused_before_stripe(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("0.30")
    async with kiosk.cashier() as client:
        answer = await post_form(client, f"/receipts/{receipt}/card", {"reader_id": kiosk.readers[0]})
    assert 'data-testid="card-error"' in answer.text and "0.50" in answer.text
    assert await Payment.count() == 0
    assert await kiosk.calls("POST /v1/payment_intents") == 0


async def test_payments_of_another_warehouse_are_not_found(kiosk: Kiosk) -> None:
    started = await kiosk.start(await kiosk.receipt("10.00"))
    other = await make_warehouse("Elsewhere", "usd")
    from tests.kiosk_support import make_user

    await make_user("stranger", warehouses=("Elsewhere",))
    assert other
    async with kiosk.cashier("stranger") as client:
        assert (await client.get(f"/payments/{started.id}/progress", headers=HTMX)).status_code == 404
        assert (await post_form(client, f"/payments/{started.id}/cancel")).status_code == 404
    assert (await wait_state(started.id, "on_reader")).state == "on_reader"
