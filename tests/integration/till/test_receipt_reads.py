"""The receipt page reads its rows once, by hand-written SQL (kiosk/till/sql.py, kiosk/payments/sql.py,
kiosk/catalogue/sql.py, kiosk/customers/sql.py): what it shows must be what the rows say, on SQLite
and on PostgreSQL (timestamps, JSON card details, booleans, prices in the till's currency)."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.catalogue.tables import CatalogueItem, ItemPrice
from kiosk.customers import attach, directory, protection
from kiosk.customers.directory import CustomerForm
from kiosk.payments import store
from kiosk.payments.settlement import refresh_receipt_status
from kiosk.payments.tables import Payment, Refund
from kiosk.people.permissions import set_take_returns
from kiosk.till.receipts import add_quick_amount, open_receipt, take_cash
from tests.kiosk_support import kiosk_settings, make_user, make_warehouse, post_form

Client = AsyncTestClient[Litestar]
DETAILS = '{"receipt": {"application_preferred_name": "VISA CREDIT", "authorization_code": "A1B2C3"}}'


async def paid_receipt(warehouse: int, cashier: int) -> int:
    """$20.00: $5.00 in cash, $15.00 on a Visa with a $2.00 tip (Stripe took $17.00)."""
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, "20.00")
    await take_cash(receipt_id, warehouse, cashier, "5")
    await Payment.insert(
        Payment(
            receipt=receipt_id, amount=1500, currency="usd", state="succeeded", reader_label="Counter 1",
            card_brand="visa", card_last4="4242", card_details=DETAILS, tip_amount=200, amount_charged=1700,
            settled_at=store.now(), receipt_email="ada@example.com", keep_for_capture=False,
        )
    )  # fmt: skip
    assert await refresh_receipt_status(receipt_id) == "paid"
    return receipt_id


async def test_a_paid_receipt_shows_its_cash_its_card_its_tip_and_who_got_the_card_receipt(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await paid_receipt(warehouse, cashier)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'data-testid="receipt-status" data-state="paid"' in page
    assert re.search(r'data-testid="receipt-tip">\s*\$2\.00', page)
    assert re.search(r'data-testid="receipt-paid">\s*\$22\.00', page)  # cash $5 + what Stripe took $17
    assert "Receipt sent to ada@example.com" in page
    assert re.search(r"opened \w", page)  # the opening time, read as a timestamp
    printed = (await cashier_client.get(f"/receipts/{receipt_id}/print")).text
    assert "A1B2C3" in printed and "VISA CREDIT" in printed and "4242" in printed  # the card's EMV fields


async def test_another_warehouses_receipt_is_not_found(cashier_client: Client, warehouse: int, cashier: int) -> None:
    elsewhere = await make_warehouse("Annex")
    receipt_id = await open_receipt(elsewhere, cashier)
    assert (await cashier_client.get(f"/receipts/{receipt_id}")).status_code == 404
    assert (await cashier_client.get(f"/receipts/{receipt_id}/summary")).status_code == 404


async def test_a_canceled_card_leaves_the_lines_open_a_running_one_fixes_them(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, "10.00")
    await Payment.insert(Payment(receipt=receipt_id, amount=1000, currency="usd", state="canceled"))
    added = await post_form(cashier_client, f"/receipts/{receipt_id}/amount", {"amount": "2.50"})
    assert added.status_code == 303
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'data-testid="add-amount"' in page and re.search(r'data-testid="amount-due">\s*\$12\.50', page)
    await Payment.insert(Payment(receipt=receipt_id, amount=1250, currency="usd", state="on_reader"))
    refused = await post_form(cashier_client, f"/receipts/{receipt_id}/amount", {"amount": "1.00"})
    assert refused.status_code == 400 and "Payment has started on this receipt" in refused.text


async def test_favourites_show_their_price_in_the_tills_currency_or_none(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    for name, sku, currency in (("Croissant", "CR", "usd"), ("Baguette", "BG", "eur")):
        rows = await CatalogueItem.insert(
            CatalogueItem(name=name, search_name=name.casefold(), sku=sku, favourite=True)
        ).returning(CatalogueItem.id)
        await ItemPrice.insert(ItemPrice(item=rows[0]["id"], currency=currency, amount=180))
    receipt_id = await open_receipt(warehouse, cashier)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    prices = re.findall(r'favourite-name">([^<]+)</span>\s*<span class="favourite-price">([^<]+)<', page)
    assert prices == [("Baguette", "no price"), ("Croissant", "$1.80")]


async def test_the_page_shows_its_customer_card_saving_and_returns_right_as_stored(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    """What the page reads with the receipt (kiosk/till/sql.py RECEIPT): the customer link and its
    consent, the admin's card data setting, the cashier's own right to take returns."""
    boss = await make_user("boss", admin=True)
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, "8.00")
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'data-testid="customer-search"' in page and 'data-testid="save-card-toggle"' not in page
    customer = await directory.create(CustomerForm("Ada Lovelace", "ada@example.com", "", ""), boss)
    await attach.attach(receipt_id, warehouse, customer, cashier)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert "Ada Lovelace" in page and 'data-testid="save-card-toggle"' not in page  # saving is off
    await protection.set_card_data_mode(kiosk_settings(), protection.TOKEN_ONLY, boss)
    await attach.set_save_card(receipt_id, warehouse, True, cashier)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'data-testid="save-card-on"' in page and "Save card for next time" not in page
    await take_cash(receipt_id, warehouse, cashier, "8")
    paid = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'data-state="paid"' in paid and 'data-testid="start-return"' not in paid
    await set_take_returns(boss, cashier, True)
    assert 'data-testid="start-return"' in (await cashier_client.get(f"/receipts/{receipt_id}")).text


async def test_a_refund_on_a_card_shows_with_the_payment_that_gave_it_back(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await paid_receipt(warehouse, cashier)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'data-testid="receipt-refunds"' not in page
    payment = await Payment.select(Payment.id).where(Payment.receipt == receipt_id).first()
    assert payment is not None
    await Refund.insert(Refund(payment=payment["id"], amount=500, currency="usd", state="succeeded"))
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'data-testid="receipt-refund" data-state="succeeded"' in page
    assert re.search(r'data-testid="receipt-refunded">\s*\$5\.00', page)
