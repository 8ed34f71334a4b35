"""Charging a saved card from the customer's page at the till: an amount (the warehouse's
currency) and what it is for open a receipt for the customer, paid off-session; a decline says why
and leaves that receipt open; bad input is refused next to its field and opens nothing; the same
form twice charges once; an expired card is not offered."""

from __future__ import annotations

import re

from kiosk.audit.tables import AuditEntry
from kiosk.customers.tables import ReceiptCustomer, SavedCard
from kiosk.payments.tables import Payment
from kiosk.shop.tables import Receipt, ReceiptLine
from tests.admin_payments_support import message_of
from tests.integration.customers.customers_support import customer_id, pay_with_saving, saved_cards, turn_saving_on
from tests.kiosk_support import post_form
from tests.payments_support import Kiosk

DECLINED_AFTER_SAVE = "4000000000000341"


def _key(page: str) -> str:
    found = re.search(r'name="request_key" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def test_the_customers_page_charges_a_saved_card_on_a_new_receipt(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        first = await pay_with_saving(kiosk, client)
        ada = await customer_id()
        receipt_page = await client.get(f"/receipts/{first}")
        assert f'href="/customers/{ada}?receipt={first}"' in receipt_page.text  # from the customer box
        page = await client.get(f"/customers/{ada}")
        assert page.status_code == 200 and "Visa •••• 4242" in page.text
        card = (await saved_cards())[0]
        form = {"card_id": str(card["id"]), "amount": "12.50", "reason": "Balance of order 1042"}
        form["request_key"] = _key(page.text)
        before = await Receipt.count()
        charged = await post_form(client, f"/customers/{ada}/charge", form)
        assert charged.status_code == 303
        receipt = int(charged.headers["location"].rsplit("/", 1)[1])
        again = await post_form(client, f"/customers/{ada}/charge", form)  # a double press
        assert again.status_code == 303 and again.headers["location"] == f"/receipts/{receipt}"
        shown = await client.get(f"/receipts/{receipt}")
        assert "Balance of order 1042" in shown.text and "Ada Lovelace" in shown.text
    assert await Receipt.count() == before + 1
    row = await Receipt.select(Receipt.status, Receipt.total).where(Receipt.id == receipt).first()
    assert row == {"status": "paid", "total": 1250}
    line = await ReceiptLine.select(ReceiptLine.description).where(ReceiptLine.receipt == receipt).first()
    assert line == {"description": "Balance of order 1042"}
    assert await ReceiptCustomer.exists().where(
        (ReceiptCustomer.receipt == receipt) & (ReceiptCustomer.customer == ada)
    )
    payments = await Payment.objects().where(Payment.receipt == receipt)
    assert [(p.state, p.amount, p.reader_id) for p in payments] == [("succeeded", 1250, None)]
    ledger = (await kiosk.ledger())["intents"]
    assert ledger[payments[0].payment_intent_id]["captured"] == 1250  # charged once
    entry = await AuditEntry.select().where(AuditEntry.action == "customer.charge_saved_card").output(load_json=True)
    assert len(entry) == 1 and entry[0]["detail"]["reason"] == "Balance of order 1042"
    assert entry[0]["detail"]["receipt"] == receipt


async def test_bad_input_is_refused_next_to_its_field_and_opens_no_receipt(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        await pay_with_saving(kiosk, client)
        ada = await customer_id()
        card = (await saved_cards())[0]
        before = await Receipt.count()
        key = _key((await client.get(f"/customers/{ada}")).text)
        bad = {"card_id": str(card["id"]), "amount": "12,5x", "reason": "", "request_key": key}
        refused = await post_form(client, f"/customers/{ada}/charge", bad)
        assert refused.status_code == 400
        assert message_of(refused.text, "error-amount")
        assert message_of(refused.text, "error-reason").startswith("Say what the charge is for")
        assert 'value="12,5x"' in refused.text  # what was typed stays
        small = {**bad, "amount": "0.10", "reason": "Tip"}
        too_small = await post_form(client, f"/customers/{ada}/charge", small)
        assert "Card needs at least" in message_of(too_small.text, "error-amount")
        await SavedCard.update({SavedCard.exp_year: 2020}).where(SavedCard.id == card["id"])
        expired = await post_form(client, f"/customers/{ada}/charge", {**small, "amount": "5.00"})
        assert "This card has expired" in expired.text
        page = await client.get(f"/customers/{ada}")
        assert 'data-testid="card-expired"' in page.text
        assert 'data-testid="charge-saved-card-form"' not in page.text  # no card left to offer
    assert await Receipt.count() == before
    assert await Payment.count().where(Payment.saved_card != "") == 0


async def test_a_declined_card_says_why_and_leaves_the_receipt_open(kiosk: Kiosk) -> None:
    await turn_saving_on(kiosk)
    async with kiosk.cashier() as client:
        await pay_with_saving(kiosk, client, number=DECLINED_AFTER_SAVE)
        ada = await customer_id()
        card = (await saved_cards())[0]
        key = _key((await client.get(f"/customers/{ada}")).text)
        form = {"card_id": str(card["id"]), "amount": "30.00", "reason": "Deposit", "request_key": key}
        declined = await post_form(client, f"/customers/{ada}/charge", form)
    assert declined.status_code == 200
    assert "The bank declined it without a reason. Ask for another card" in message_of(
        declined.text, "charge-declined-message"
    )
    receipt = int(re.search(r'href="/receipts/(\d+)" data-testid="open-declined-receipt"', declined.text).group(1))  # type: ignore[union-attr]
    row = await Receipt.select(Receipt.status).where(Receipt.id == receipt).first()
    assert row == {"status": "open"}
    payment = await Payment.objects().where(Payment.receipt == receipt).first()
    assert payment is not None and (payment.state, payment.decline_code) == ("canceled", "generic_decline")
