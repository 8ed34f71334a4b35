"""The admin Payments page through the simulator: capture mode and customer cancellation stored
and used by the next payment, authorizations kept for capture with their deadline, capture and
cancel by an admin. Every money test ends with the simulator's ledger."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from kiosk.db.tables import Setting
from kiosk.payments import policy as payment_policy
from kiosk.payments.tables import Payment
from kiosk.shop.tables import Receipt
from tests.admin_payments_support import admin_browser, attr, audit_log, message_of, paid, save_policy, tagged
from tests.admin_support import Client
from tests.kiosk_support import post_form
from tests.payments_support import Kiosk, assert_charged_once, wait_card, wait_state


async def receipt_status(receipt_id: int) -> str:
    row = await Receipt.select(Receipt.status).where(Receipt.id == receipt_id).first()
    assert row is not None
    return str(row["status"])


async def test_settings_are_stored_audited_and_used_by_the_next_payment(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        page = await admin.get("/admin/payments")
        assert 'value="automatic"' in page.text and "checked" in tagged(page.text, "capture_mode-automatic")[0]
        saved = await save_policy(admin, "manual", "keep", cancellation=False)
        assert saved.status_code == 303
        assert "Payment settings saved" in (await admin.get(saved.headers["location"])).text
    stored = await Setting.select(Setting.name, Setting.value).where(Setting.name.like("payments.%"))
    assert {r["name"]: r["value"] for r in stored} == {
        payment_policy.CAPTURE_MODE: "manual",
        payment_policy.MANUAL_CAPTURE: "keep",
        payment_policy.CUSTOMER_CANCELLATION: "off",
    }
    [entry] = await audit_log("payment.settings")
    assert entry["actor_name"] == "boss"
    assert entry["detail"]["capture_mode"] == {"from": "automatic", "to": "manual"}
    assert entry["detail"]["customer_cancellation"] == {"from": "on", "to": "off"}

    receipt = await kiosk.receipt("10.00")
    started = await kiosk.start(receipt)
    assert (started.capture_method, started.keep_for_capture, started.customer_cancellation) == ("manual", True, False)
    # The reader was told the customer may not cancel: the simulator refuses the cancel button.
    with pytest.raises(httpx.HTTPStatusError):
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/customer_cancel")


async def test_bad_settings_are_refused_next_to_the_field_and_nothing_is_saved(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        page = await post_form(admin, "/admin/payments/settings", {"capture_mode": "sometimes"})
        assert page.status_code == 400
        assert "Choose automatic or manual capture." in message_of(page.text, "error-capture_mode")
        again = await save_policy(admin, "automatic")  # what the environment says already
        assert "Nothing changed" in (await admin.get(again.headers["location"])).text
    assert not await Setting.exists().where(Setting.name.like("payments.%"))
    assert await audit_log() == []


async def test_kept_authorization_closes_the_receipt_and_an_admin_captures_it(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        await save_policy(admin, "manual", "keep")
        payment = await paid(kiosk, "12.00", states=("requires_capture",))
        assert await receipt_status(int(payment.receipt)) == "paid"
        page = (await admin.get("/admin/payments")).text
        [row] = tagged(page, "uncaptured")
        assert attr(row, "data-payment-id") == str(payment.id) and attr(row, "data-urgency") == "ok"
        assert "$12.00" in page and "47 h" in page  # about two days left
        done = await post_form(admin, f"/admin/payments/{payment.id}/capture")
        assert done.status_code == 303
        assert "Captured" in (await admin.get(done.headers["location"])).text
    captured = await wait_state(payment.id, "captured")
    ledger = await kiosk.ledger()
    assert ledger["intents"][captured.payment_intent_id]["captured"] == 1200
    await assert_charged_once(kiosk, captured.payment_intent_id, 1200)
    [entry] = await audit_log("payment.capture")
    assert entry["detail"]["amount"] == "$12.00" and str(payment.id) in entry["subject"]


async def test_an_admin_cancels_a_kept_authorization_and_nothing_is_charged(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        await save_policy(admin, "manual", "keep")
        payment = await paid(kiosk, "7.00", states=("requires_capture",))
        done = await post_form(admin, f"/admin/payments/{payment.id}/cancel")
        assert done.status_code == 303
        assert "no-uncaptured" in (await admin.get("/admin/payments")).text
        again = await post_form(admin, f"/admin/payments/{payment.id}/cancel")
        assert again.status_code == 400 and "not waiting for capture" in again.text
    await wait_state(payment.id, "canceled")
    entry = (await kiosk.ledger())["intents"][payment.payment_intent_id]
    assert (entry["authorized"], entry["captured"], entry["canceled"]) == (700, 0, 700)
    assert [e["action"] for e in await audit_log()] == ["payment.settings", "payment.cancel"]
    async with kiosk.cashier() as cashier:
        receipt = (await cashier.get(f"/receipts/{payment.receipt}")).text
        assert "Authorization canceled: not charged" in receipt
        assert 'data-testid="add-card"' not in receipt  # the receipt stays closed
        printed = (await cashier.get(f"/receipts/{payment.receipt}/print")).text
        assert "Released" in printed and 'data-state="refunded"' in printed


async def test_the_list_warns_as_the_deadline_nears_and_after_it(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        await save_policy(admin, "manual", "keep")
        soon = await wait_card((await paid(kiosk, "5.00", states=("requires_capture",))).id)
        late = await wait_card((await paid(kiosk, "6.00", states=("requires_capture",))).id)
        assert soon.capture_before is not None and late.capture_before is not None
        near = soon.capture_before - timedelta(hours=40)
        await Payment.update({Payment.capture_before: near}).where(Payment.id == soon.id)
        passed = late.capture_before - timedelta(days=3)
        await Payment.update({Payment.capture_before: passed}).where(Payment.id == late.id)
        page = (await admin.get("/admin/payments")).text
    rows = {attr(row, "data-payment-id"): attr(row, "data-urgency") for row in tagged(page, "uncaptured")}
    assert rows == {str(soon.id): "soon", str(late.id): "expired"}
    assert "Capture soon: 7 h" in page and "Deadline passed" in page
    assert page.index(f'data-payment-id="{late.id}"') < page.index(f'data-payment-id="{soon.id}"')  # nearest first


async def test_capture_at_once_closes_the_receipt_only_when_captured(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        await save_policy(admin, "manual", "now")
    payment = await paid(kiosk, "9.00", states=("captured",))
    assert not payment.keep_for_capture
    assert await receipt_status(int(payment.receipt)) == "paid"
    await assert_charged_once(kiosk, payment.payment_intent_id, 900)
    assert (await kiosk.ledger())["intents"][payment.payment_intent_id]["captured"] == 900


async def test_without_stripe_the_page_says_so_and_settings_can_still_be_saved(admin_client: Client) -> None:
    page = await admin_client.get("/admin/payments")
    assert page.status_code == 200 and 'data-testid="stripe-missing"' in page.text
    assert (await save_policy(admin_client, "manual")).status_code == 303
    refused = await post_form(admin_client, "/admin/payments/1/capture")
    assert refused.status_code == 400 and "Stripe is not configured" in message_of(refused.text, "capture-error")
    assert [e["action"] for e in await audit_log()] == ["payment.settings"]
