"""Saved cards (token only): the admin's setting, saving with consent through setup_future_usage,
charging a saved card off-session (approvals close the receipt; declines and
authentication_required say why), expired cards not offered, removing a card (twice)."""

from __future__ import annotations

from datetime import date

from kiosk.audit.tables import AuditEntry
from kiosk.customers.tables import Customer, ReceiptCustomer, SavedCard
from kiosk.payments.driver import drive
from kiosk.payments.saved_cards import charge_saved_card
from kiosk.payments.tables import Payment
from kiosk.shop.tables import Receipt
from tests.integration.customers.customers_support import (
    customer_id,
    new_customer_at_till,
    pay_with_saving,
    saved_cards,
    turn_saving_on,
)
from tests.kiosk_support import make_user, post_form
from tests.payments_support import Kiosk

DECLINED_AFTER_SAVE = "4000000000000341"
AUTHENTICATION_REQUIRED = "4000002760003184"


async def test_saving_is_off_by_default_and_the_setting_is_audited(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        page = (await new_customer_at_till(client, receipt)).text
        assert 'data-testid="save-card-toggle"' not in page  # "don't save cards": nothing offered
        refused = await post_form(client, f"/receipts/{receipt}/customer/save-card", {"save": "yes"})
        assert "Saving cards is off" in refused.text
    await make_user("boss", admin=True, warehouses=())
    async with kiosk.cashier("boss") as admin:
        setting = await admin.get("/admin/customers")
        assert "PCI DSS" in setting.text and "PaymentMethod id" in setting.text
        assert "last 4 digits and its expiry" in setting.text
        wrong = await post_form(admin, "/admin/customers/card-data", {"card_data": "full_numbers"})
        assert wrong.status_code == 400 and "Choose" in wrong.text
        await post_form(admin, "/admin/customers/card-data", {"card_data": "token_only"})
    entry = await AuditEntry.select().where(AuditEntry.action == "customer.card_data").output(load_json=True).first()
    assert entry is not None and entry["detail"]["to"] == "token_only"


async def test_saving_without_an_email_is_refused_with_a_message_to_add_one(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await new_customer_at_till(client, receipt, name="No Mail", email="")
        refused = await post_form(client, f"/receipts/{receipt}/customer/save-card", {"save": "yes"})
    assert "Add the customer&#39;s email before saving a card" in refused.text
    assert 'data-testid="save-card-error"' in refused.text
    link = await ReceiptCustomer.select().first()
    assert link is not None and link["save_card"] is False
    async with kiosk.cashier() as client:
        bad = await post_form(client, f"/receipts/{receipt}/customer/email", {"email": "nomail@"})
        assert 'data-testid="add-email-error"' in bad.text
        assert await Customer.exists().where(Customer.email == "") and not await AuditEntry.exists().where(
            AuditEntry.action == "customer.update"
        )
        added = await post_form(client, f"/receipts/{receipt}/customer/email", {"email": "no.mail@example.com"})
        assert "Stripe emails the card receipt to no.mail@example.com" in added.text
        consented = await post_form(client, f"/receipts/{receipt}/customer/save-card", {"save": "yes"})
        assert 'data-testid="save-card-on"' in consented.text


async def test_a_card_paid_with_consent_is_saved_as_a_stripe_token_only(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        await pay_with_saving(kiosk, client)
    cards = await saved_cards()
    assert len(cards) == 1
    card = cards[0]
    assert str(card["payment_method_id"]).startswith("pm_")
    assert (card["brand"], card["last4"]) == ("visa", "4242") and card["exp_year"] >= date.today().year
    customer = await Customer.select().first()
    assert customer is not None and str(customer["stripe_customer_id"]).startswith("cus_")
    payment = await Payment.objects().first()
    assert payment is not None and payment.stripe_customer == customer["stripe_customer_id"] and payment.save_card
    intent = await kiosk.stripe(lambda c: c.v1.payment_intents.retrieve(str(payment.payment_intent_id)))
    assert intent.setup_future_usage == "off_session" and intent.customer == customer["stripe_customer_id"]
    # Stripe holds the card, attached to the customer; the kiosk has only its token and what it shows.
    methods = await kiosk.stripe(lambda c: c.v1.customers.payment_methods.list(str(customer["stripe_customer_id"])))
    assert [m.id for m in methods.data] == [card["payment_method_id"]]
    assert await kiosk.calls("POST /v1/customers") == 1
    assert await AuditEntry.exists().where(AuditEntry.action == "customer.card_saved")


async def test_charging_the_saved_card_closes_the_next_receipt(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        await pay_with_saving(kiosk, client)
        receipt = await kiosk.receipt("25.00")
        attached = await post_form(client, f"/receipts/{receipt}/customer", {"customer_id": str(await customer_id())})
        assert attached.status_code == 200
        page = await client.get(f"/receipts/{receipt}")
        assert 'data-testid="charge-saved-card"' in page.text and "Visa •••• 4242" in page.text
        card = (await saved_cards())[0]
        charged = await post_form(client, f"/receipts/{receipt}/saved-card", {"card_id": str(card["id"])})
        assert charged.headers.get("HX-Redirect") == f"/receipts/{receipt}"
        again = await post_form(client, f"/receipts/{receipt}/saved-card", {"card_id": str(card["id"])})
        assert 'data-testid="charge-saved-card"' not in again.text  # paid: nothing more to charge
    row = await Receipt.select(Receipt.status).where(Receipt.id == receipt).first()
    assert row is not None and row["status"] == "paid"
    payment = await Payment.objects().where(Payment.receipt == receipt).first()
    assert payment is not None and payment.state == "succeeded" and payment.reader_id is None
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert await Payment.count().where(Payment.receipt == receipt) == 1  # the second press charged nothing
    ledger = (await kiosk.ledger())["intents"]
    assert ledger[payment.payment_intent_id]["captured"] == 2500  # taken once, the whole amount due
    assert sum(entry["captured"] for entry in ledger.values()) == 1000 + 2500


async def test_a_declined_saved_card_says_why_and_leaves_the_receipt_open(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        await pay_with_saving(kiosk, client, number=DECLINED_AFTER_SAVE)
        await pay_with_saving(kiosk, client, number=AUTHENTICATION_REQUIRED)
        declined_card, auth_card = await saved_cards()
        receipt = await kiosk.receipt("25.00")
        await post_form(client, f"/receipts/{receipt}/customer", {"customer_id": str(await customer_id())})
        declined = await post_form(client, f"/receipts/{receipt}/saved-card", {"card_id": str(declined_card["id"])})
        assert 'data-testid="saved-card-error"' in declined.text
        assert "The bank declined it without a reason. Ask for another card" in declined.text
        needs_customer = await post_form(client, f"/receipts/{receipt}/saved-card", {"card_id": str(auth_card["id"])})
        assert "wants the customer to confirm" in needs_customer.text
    row = await Receipt.select(Receipt.status).where(Receipt.id == receipt).first()
    assert row is not None and row["status"] == "open"
    failed = await Payment.objects().where(Payment.receipt == receipt).order_by(Payment.id)
    assert [(p.state, p.decline_code) for p in failed] == [
        ("canceled", "generic_decline"),
        ("canceled", "authentication_required"),
    ]


async def test_an_expired_card_is_not_offered_and_cannot_be_charged(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        await pay_with_saving(kiosk, client)
        card = (await saved_cards())[0]
        await SavedCard.update({SavedCard.exp_year: 2020}).where(SavedCard.id == card["id"])
        receipt = await kiosk.receipt("25.00")
        await post_form(client, f"/receipts/{receipt}/customer", {"customer_id": str(await customer_id())})
        page = await client.get(f"/receipts/{receipt}")
        assert 'data-testid="charge-saved-card"' not in page.text
        refused = await post_form(client, f"/receipts/{receipt}/saved-card", {"card_id": str(card["id"])})
    assert "This card has expired" in refused.text
    assert await Payment.count().where(Payment.receipt == receipt) == 0


async def test_removing_a_card_detaches_it_and_twice_says_it_is_gone(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        await pay_with_saving(kiosk, client)
    card = (await saved_cards())[0]
    customer = await customer_id()
    async with kiosk.cashier("boss") as admin:
        listed = await admin.get(f"/admin/customers/{customer}")
        assert "Visa •••• 4242" in listed.text and 'data-testid="remove-card"' in listed.text
        removed = await post_form(admin, f"/admin/customers/{customer}/cards/{card['id']}/remove")
        assert removed.status_code == 303
        twice = await post_form(admin, f"/admin/customers/{customer}/cards/{card['id']}/remove")
    assert twice.status_code == 400 and "This card was already removed" in twice.text
    assert await saved_cards() == []
    pm = await kiosk.stripe(lambda c: c.v1.payment_methods.retrieve(str(card["payment_method_id"])))
    assert pm.customer is None  # detached at Stripe: it can never be charged again
    assert await kiosk.calls("POST /v1/payment_methods/{payment_method}/detach") == 1
    assert await AuditEntry.exists().where(AuditEntry.action == "customer.card_removed")
    async with kiosk.cashier() as client:
        receipt = await kiosk.receipt("25.00")
        await post_form(client, f"/receipts/{receipt}/customer", {"customer_id": str(customer)})
        charged = await post_form(client, f"/receipts/{receipt}/saved-card", {"card_id": str(card["id"])})
    assert "This card was already removed" in charged.text
    assert await Payment.count().where(Payment.receipt == receipt) == 0


async def test_a_crash_after_stripe_charged_the_saved_card_replays_instead_of_charging_twice(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        await pay_with_saving(kiosk, client)
    receipt = await kiosk.receipt("25.00")
    await ReceiptCustomer.insert(ReceiptCustomer(receipt=receipt, customer=await customer_id()))
    card = (await saved_cards())[0]
    outcome = await charge_saved_card(kiosk.engine, receipt, int(str(card["id"])), kiosk.user_id, date.today())
    assert outcome.approved
    # The kiosk lost Stripe's answer (a crash between Stripe and the database): the row is back at creating.
    await Payment.update({Payment.state: "creating", Payment.payment_intent_id: None}).where(
        Payment.id == outcome.payment.id
    )
    resumed = await drive(kiosk.engine, outcome.payment.id)
    assert resumed.state == "succeeded" and resumed.payment_intent_id == outcome.payment.payment_intent_id
    ledger = (await kiosk.ledger())["intents"]
    assert len(ledger) == 2 and ledger[resumed.payment_intent_id]["captured"] == 2500  # the same charge, once


async def test_a_card_removed_at_stripe_is_not_charged_and_forgotten(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        await pay_with_saving(kiosk, client)
        card = (await saved_cards())[0]
        await kiosk.stripe(lambda c: c.v1.payment_methods.detach(str(card["payment_method_id"])))
        receipt = await kiosk.receipt("25.00")
        await post_form(client, f"/receipts/{receipt}/customer", {"customer_id": str(await customer_id())})
        refused = await post_form(client, f"/receipts/{receipt}/saved-card", {"card_id": str(card["id"])})
    assert "This card was removed at Stripe, so it was not charged" in refused.text
    assert 'data-testid="charge-saved-card"' not in refused.text and await saved_cards() == []
    row = await Receipt.select(Receipt.status).where(Receipt.id == receipt).first()
    assert row is not None and row["status"] == "open"
