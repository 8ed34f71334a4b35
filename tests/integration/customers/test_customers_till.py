"""Customers at the till: search as the cashier types, add one, attach to a receipt, the receipt
email on the PaymentIntent and "Receipt sent to" on the receipt; bad input changes nothing."""

from __future__ import annotations

from kiosk.audit.tables import AuditEntry
from kiosk.customers.tables import Customer, ReceiptCustomer
from kiosk.payments.tables import Payment
from tests.integration.customers.customers_support import HTMX, customer_id, new_customer_at_till
from tests.kiosk_support import make_user, post_form
from tests.payments_support import Kiosk, start_card, wait_state


async def test_a_customer_added_at_the_till_is_attached_and_found_by_name_email_or_phone(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        page = await client.get(f"/receipts/{receipt}")
        assert 'hx-trigger="input changed delay:300ms, search"' in page.text  # debounced search
        added = await new_customer_at_till(client, receipt, phone="+1 (555) 010-0199")
        assert 'data-testid="receipt-customer-name"' in added.text and "Ada Lovelace" in added.text
        assert added.headers.get("HX-Trigger") == "customer-changed"
        other = await kiosk.receipt("5.00")
        for typed in ("lovel", "ADA@EXAMPLE", "5550100"):
            found = await client.get(f"/receipts/{other}/customer/search", params={"q": typed}, headers=HTMX)
            assert "Ada Lovelace" in found.text, typed
        nobody = await client.get(f"/receipts/{other}/customer/search", params={"q": "zzz"}, headers=HTMX)
        assert 'data-testid="customer-none"' in nobody.text
        attached = await post_form(client, f"/receipts/{other}/customer", {"customer_id": str(await customer_id())})
        assert "Ada Lovelace" in attached.text
    assert await ReceiptCustomer.count() == 2
    # Nobody asked Stripe for anything yet: the Stripe Customer is made when first needed.
    row = await Customer.select().first()
    assert row is not None and row["stripe_customer_id"] is None
    assert await kiosk.calls("POST /v1/customers") == 0
    assert await AuditEntry.exists().where(AuditEntry.action == "customer.create")


async def test_an_invalid_email_is_refused_next_to_it_and_nothing_is_saved(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        refused = await new_customer_at_till(client, receipt, email="ada@@example")
    assert 'data-testid="new-customer-error-email"' in refused.text
    assert "is not an email address" in refused.text
    assert 'value="ada@@example"' in refused.text  # what was typed stays, to be corrected
    assert await Customer.count() == 0 and await ReceiptCustomer.count() == 0


async def test_the_payment_carries_receipt_email_and_the_receipt_says_where_it_went(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await new_customer_at_till(client, receipt, email="Ada@Example.com")
        payment_id = await start_card(client, receipt, kiosk.readers[0])
        await kiosk.tap(kiosk.readers[0])
        payment = await wait_state(payment_id, "succeeded")
        page = await client.get(f"/receipts/{receipt}")
    intent = await kiosk.stripe(lambda c: c.v1.payment_intents.retrieve(str(payment.payment_intent_id)))
    assert intent.receipt_email == "ada@example.com"
    assert intent.setup_future_usage is None and intent.customer is None  # nothing saved without consent
    assert 'data-testid="receipt-sent">Receipt sent to ada@example.com' in page.text


async def test_detaching_the_customer_before_paying_sends_no_receipt_email(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await new_customer_at_till(client, receipt)
        detached = await post_form(client, f"/receipts/{receipt}/customer/detach")
        assert 'data-testid="customer-search"' in detached.text
        started = await post_form(client, f"/receipts/{receipt}/card", {"reader_id": kiosk.readers[0]})
        assert started.status_code == 200
    payment = await Payment.objects().first()
    assert payment is not None and payment.receipt_email == ""


async def test_a_closed_receipt_keeps_its_customer(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await post_form(client, f"/receipts/{receipt}/cash", {"given": "10.00"})
        refused = await new_customer_at_till(client, receipt)
        assert "This receipt is closed" in refused.text
    assert await Customer.count() == 0 and await ReceiptCustomer.count() == 0


async def test_another_warehouses_receipt_is_not_found(kiosk: Kiosk) -> None:
    async with kiosk.cashier() as client:
        answer = await client.get("/receipts/999/customer/search", params={"q": "ada"}, headers=HTMX)
    assert answer.status_code == 404


async def test_an_admins_edit_reaches_stripes_copy_of_the_customer(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await new_customer_at_till(client, receipt)
    made = await kiosk.stripe(lambda c: c.v1.customers.create(params={"name": "Ada", "email": "ada@example.com"}))
    ada = await customer_id()
    await Customer.update({Customer.stripe_customer_id: made.id}).where(Customer.id == ada)
    await make_user("boss", admin=True, warehouses=())
    async with kiosk.cashier("boss") as admin:
        saved = await post_form(admin, f"/admin/customers/{ada}", {"name": "Ada King", "email": "ada@king.example"})
    assert saved.status_code == 303
    mirrored = await kiosk.stripe(lambda c: c.v1.customers.retrieve(made.id))
    assert (mirrored.name, mirrored.email) == ("Ada King", "ada@king.example")
