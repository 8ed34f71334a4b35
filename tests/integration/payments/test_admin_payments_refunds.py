"""Refunds from the admin Payments page through the simulator: full and partial, refused amounts,
double submits, refunds made in the Stripe Dashboard, Stripe unreachable. The ledger says what
really went back; the receipt page and the printed receipt show it."""

from __future__ import annotations

import re

import httpx

from kiosk.payments.tables import Payment, Refund
from tests.admin_payments_support import admin_browser, attr, audit_log, message_of, paid, tagged
from tests.kiosk_support import post_form
from tests.payments_support import Kiosk, payment, wait_until

REFUNDS = "POST /v1/refunds"


async def ask(admin: httpx.AsyncClient, payment_id: int, **form: str) -> httpx.Response:
    """Open the payment's refund panel and submit its form (with the panel's one-time token): the
    answer asks "Refund $x to Visa •••• 4242?" (or refuses the form)."""
    panel = (await admin.get(f"/admin/payments?payment={payment_id}")).text
    key = re.search(r'name="request_key" value="([^"]+)"', panel)
    assert key, "the refund form is not offered"
    fields = {"amount": "", "reason": "requested_by_customer", "note": "", **form, "request_key": key.group(1)}
    return await post_form(admin, f"/admin/payments/{payment_id}/refunds", fields)


def confirmation(page: str) -> dict[str, str]:
    """The hidden fields of the question's Yes form, as the browser would send them."""
    start = page.index('data-testid="refund-confirm"')
    form = page[start : page.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


async def refund(admin: httpx.AsyncClient, payment_id: int, **form: str) -> httpx.Response:
    """Ask, then press Yes on the question; a refused form comes back as it is."""
    asked = await ask(admin, payment_id, **form)
    if asked.status_code != 200:
        return asked
    fields = {k: v for k, v in confirmation(asked.text).items() if k != "_csrf_token"}
    return await post_form(admin, f"/admin/payments/{payment_id}/refunds", fields)


async def refunded_at_stripe(kiosk: Kiosk, intent_id: str | None) -> int:
    return int((await kiosk.ledger())["intents"][intent_id]["refunded"])


async def test_a_full_refund_goes_through_stripe_and_shows_on_the_receipt(kiosk: Kiosk) -> None:
    paid_payment = await paid(kiosk, "10.00")
    async with admin_browser(kiosk) as admin:
        page = (await admin.get("/admin/payments")).text
        assert str(paid_payment.id) in [attr(row, "data-payment-id") for row in tagged(page, "captured-payment")]
        done = await refund(admin, paid_payment.id, scope="all", note="Wrong size")
        assert done.status_code == 303
        panel = (await admin.get(done.headers["location"])).text
        assert "Refund sent to Stripe" in panel and "Nothing is left to refund" in panel
        assert [attr(line, "data-state") for line in tagged(panel, "refund-line")] == ["succeeded"]
    assert await refunded_at_stripe(kiosk, paid_payment.payment_intent_id) == 1000
    [row] = await Refund.select().where(Refund.payment == paid_payment.id)
    assert (row["sequence"], row["amount"], row["state"], row["note"]) == (1, 1000, "succeeded", "Wrong size")
    # charge.refunded reached the kiosk: Stripe's own total is recorded too.
    await wait_until(lambda: _refund_total_is(paid_payment.id, 1000), what="charge.refunded handled")
    [entry] = await audit_log("payment.refund")
    assert entry["detail"]["amount"] == "$10.00" and entry["detail"]["reason"] == "Requested by the customer"
    async with kiosk.cashier() as cashier:
        receipt = (await cashier.get(f"/receipts/{paid_payment.receipt}")).text
        assert 'data-testid="refund-status" data-state="refunded"' in receipt
        assert "Requested by the customer" in receipt and "\u2212$10.00" in receipt
        printed = (await cashier.get(f"/receipts/{paid_payment.receipt}/print")).text
        assert 'data-testid="printed-refunds" data-state="refunded"' in printed and "REFUNDED" in printed


async def _refund_total_is(payment_id: int, amount: int) -> bool:
    return (await payment(payment_id)).amount_refunded == amount


async def test_partial_refunds_add_up_and_more_than_is_left_is_refused(kiosk: Kiosk) -> None:
    paid_payment = await paid(kiosk, "20.00")
    async with admin_browser(kiosk) as admin:
        assert (await refund(admin, paid_payment.id, amount="5.00")).status_code == 303
        assert (await refund(admin, paid_payment.id, amount="7.50", reason="duplicate")).status_code == 303
        refused = await refund(admin, paid_payment.id, amount="8.00")
        assert refused.status_code == 400
        assert "At most $7.50 can still be refunded." in message_of(refused.text, "error-amount")
        bad = await refund(admin, paid_payment.id, amount="1.234")
        assert bad.status_code == 400 and message_of(bad.text, "error-amount")
        wrong_reason = await refund(admin, paid_payment.id, amount="1.00", reason="because")
        assert "Choose a reason" in message_of(wrong_reason.text, "error-reason")
    assert await refunded_at_stripe(kiosk, paid_payment.payment_intent_id) == 1250
    rows = await Refund.select(Refund.sequence, Refund.amount).where(Refund.payment == paid_payment.id)
    assert [(r["sequence"], r["amount"]) for r in rows] == [(1, 500), (2, 750)]
    assert len(await audit_log("payment.refund")) == 2
    async with kiosk.cashier() as cashier:
        receipt = (await cashier.get(f"/receipts/{paid_payment.receipt}")).text
        assert 'data-state="partially_refunded"' in receipt and "$12.50" in receipt


async def test_the_same_form_sent_twice_refunds_once(kiosk: Kiosk) -> None:
    paid_payment = await paid(kiosk, "10.00")
    async with admin_browser(kiosk) as admin:
        panel = (await admin.get(f"/admin/payments?payment={paid_payment.id}")).text
        key = re.search(r'name="request_key" value="([^"]+)"', panel)
        assert key
        form = {"amount": "3.00", "reason": "requested_by_customer", "note": "", "request_key": key.group(1)}
        asked = await post_form(admin, f"/admin/payments/{paid_payment.id}/refunds", form)
        yes = {k: v for k, v in confirmation(asked.text).items() if k != "_csrf_token"}
        first = await post_form(admin, f"/admin/payments/{paid_payment.id}/refunds", yes)
        second = await post_form(admin, f"/admin/payments/{paid_payment.id}/refunds", yes)
        assert (first.status_code, second.status_code) == (303, 303)
    assert await Refund.count().where(Refund.payment == paid_payment.id) == 1
    assert await kiosk.calls(REFUNDS) == 1
    assert await refunded_at_stripe(kiosk, paid_payment.payment_intent_id) == 300


async def test_a_refund_made_in_the_dashboard_shows_on_the_receipt(kiosk: Kiosk) -> None:
    paid_payment = await paid(kiosk, "10.00")
    intent = paid_payment.payment_intent_id
    await kiosk.stripe(lambda c: c.v1.refunds.create(params={"payment_intent": intent, "amount": 400}))
    await wait_until(lambda: Refund.exists().where(Refund.payment == paid_payment.id), what="refund webhook")
    [row] = await Refund.select().where(Refund.payment == paid_payment.id)
    assert (row["amount"], row["state"], row["sequence"], row["note"]) == (
        400,
        "succeeded",
        None,
        "Made outside the kiosk",
    )
    async with kiosk.cashier() as cashier:
        receipt = (await cashier.get(f"/receipts/{paid_payment.receipt}")).text
        assert "Made outside the kiosk" in receipt and 'data-state="partially_refunded"' in receipt
    async with admin_browser(kiosk) as admin:
        refused = await refund(admin, paid_payment.id, amount="7.00")
        assert "At most $6.00" in message_of(refused.text, "error-amount")


async def test_stripe_unreachable_leaves_the_refund_unconfirmed_until_checked(kiosk: Kiosk) -> None:
    paid_payment = await paid(kiosk, "10.00")
    await wait_until(lambda: _settled_quietly(paid_payment.id), what="no Stripe call left to make")
    async with admin_browser(kiosk) as admin:
        # The next Stripe call (the refund) is refused as too many requests, before Stripe acts.
        await kiosk.control("POST", "/_sim/faults/api", {"status": 429, "count": 1})
        assert (await refund(admin, paid_payment.id, amount="4.00")).status_code == 303
        [row] = await Refund.select().where(Refund.payment == paid_payment.id)
        assert row["state"] == "creating" and "not confirmed" in row["failure_message"]
        panel = (await admin.get(f"/admin/payments?payment={paid_payment.id}")).text
        assert [attr(line, "data-state") for line in tagged(panel, "refund-line")] == ["creating"]
        assert "$6.00" in panel  # the unconfirmed refund is held back from what may still be refunded
        assert await refunded_at_stripe(kiosk, paid_payment.payment_intent_id) == 0
        checked = await post_form(admin, f"/admin/payments/{paid_payment.id}/refunds/check")
        assert checked.status_code == 303
        assert (await post_form(admin, f"/admin/payments/{paid_payment.id}/refunds/check")).status_code == 303
    [row] = await Refund.select().where(Refund.payment == paid_payment.id)
    assert row["state"] == "succeeded" and row["stripe_refund_id"]
    assert await refunded_at_stripe(kiosk, paid_payment.payment_intent_id) == 400


async def _settled_quietly(payment_id: int) -> bool:
    row = await payment(payment_id)
    return bool(row.card_brand) and row.reconcile_after is None


async def test_only_captured_payments_can_be_refunded_and_cashiers_cannot(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    running = await kiosk.start(receipt, reader=1)
    async with admin_browser(kiosk) as admin:
        refused = await post_form(admin, f"/admin/payments/{running.id}/refunds", {"amount": "1.00"})
        assert refused.status_code == 400 and "Only a captured card payment can be refunded." in refused.text
        assert (await post_form(admin, "/admin/payments/999999/refunds", {"amount": "1.00"})).status_code == 404
    paid_payment = await paid(kiosk, "10.00")
    async with kiosk.cashier() as cashier:
        assert (await cashier.get("/admin/payments")).status_code == 403
        denied = await post_form(cashier, f"/admin/payments/{paid_payment.id}/refunds", {"amount": "1.00"})
        assert denied.status_code == 403
        assert (await post_form(cashier, "/admin/payments/settings", {"capture_mode": "manual"})).status_code == 403
    assert not await Refund.exists()
    assert (await payment(paid_payment.id)).state == "succeeded"
    assert await kiosk.calls(REFUNDS) == 0 and await audit_log() == []
    assert await Payment.count() == 2


async def test_a_refund_is_asked_first_and_an_empty_amount_is_never_everything(kiosk: Kiosk) -> None:
    """One press never refunds: the form asks "Refund $4.00 to Visa •••• 4242?", only Yes refunds;
    an empty amount is refused; "Refund all" is a choice of its own, confirmed with its amount."""
    paid_payment = await paid(kiosk, "10.00")
    async with admin_browser(kiosk) as admin:
        panel = (await admin.get(f"/admin/payments?payment={paid_payment.id}")).text
        assert "Leave empty" not in panel and 'data-testid="refund-all"' in panel and "Refund all $10.00" in panel

        empty = await ask(admin, paid_payment.id)
        assert empty.status_code == 400
        assert message_of(empty.text, "error-amount") == (
            "Enter the amount to refund (up to $10.00), or choose \u201cRefund all $10.00\u201d."
        )

        asked = await ask(admin, paid_payment.id, amount="4.00", note="Scratched")
        assert asked.status_code == 200
        assert message_of(asked.text, "refund-question") == "Refund $4.00 to Visa \u2022\u2022\u2022\u2022 4242?"
        assert "Yes, refund $4.00 to Visa \u2022\u2022\u2022\u2022 4242" in asked.text
        assert 'data-testid="refund-keep"' in asked.text and 'data-testid="refund-form"' not in asked.text
        assert not await Refund.exists() and await kiosk.calls(REFUNDS) == 0  # asking saves nothing

        everything = await ask(admin, paid_payment.id, amount="1.00", scope="all")
        assert message_of(everything.text, "refund-question") == "Refund $10.00 to Visa \u2022\u2022\u2022\u2022 4242?"
        assert "That is all that is left of this payment." in everything.text
        assert not await Refund.exists()

        # Yes refunds exactly the amount the question showed.
        yes = {k: v for k, v in confirmation(asked.text).items() if k != "_csrf_token"}
        assert yes["amount_minor"] == "400" and yes["step"] == "confirm"
        done = await post_form(admin, f"/admin/payments/{paid_payment.id}/refunds", yes)
        assert done.status_code == 303
    [row] = await Refund.select(Refund.amount, Refund.note).where(Refund.payment == paid_payment.id)
    assert row == {"amount": 400, "note": "Scratched"}
    assert await refunded_at_stripe(kiosk, paid_payment.payment_intent_id) == 400


async def test_a_confirmation_for_more_than_is_left_by_then_is_refused(kiosk: Kiosk) -> None:
    """Two admins ask about the whole payment; the second Yes finds less left and refunds nothing."""
    paid_payment = await paid(kiosk, "10.00")
    async with admin_browser(kiosk) as admin:
        first = await ask(admin, paid_payment.id, scope="all")
        second = await ask(admin, paid_payment.id, scope="all")
        for asked in (first, second):
            assert message_of(asked.text, "refund-question") == "Refund $10.00 to Visa \u2022\u2022\u2022\u2022 4242?"
        first_yes = {k: v for k, v in confirmation(first.text).items() if k != "_csrf_token"}
        assert (await post_form(admin, f"/admin/payments/{paid_payment.id}/refunds", first_yes)).status_code == 303
        second_yes = {k: v for k, v in confirmation(second.text).items() if k != "_csrf_token"}
        late = await post_form(admin, f"/admin/payments/{paid_payment.id}/refunds", second_yes)
        assert (
            late.status_code == 400
            and message_of(late.text, "form-error") == "Nothing is left to refund on this payment."
        )
    assert await Refund.count().where(Refund.payment == paid_payment.id) == 1
    assert await refunded_at_stripe(kiosk, paid_payment.payment_intent_id) == 1000
