"""A receipt's customer: attach, detach, the consent to save the card, and what a card payment
for the receipt must carry (`payment_terms`: the receipt email, the Stripe Customer, saving)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.audit import trail as audit
from kiosk.customers import directory, protection
from kiosk.customers import sql as customers_sql
from kiosk.customers.directory import CustomerView
from kiosk.customers.mirror import ensure_stripe_customer
from kiosk.customers.tables import Customer, ReceiptCustomer
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors
from kiosk.shop.lookup import receipt_row
from kiosk.shop.tables import OPEN
from kiosk.stripe_account.gateway import StripeGateway

NEEDS_EMAIL = (
    "Add the customer's email before saving a card: Stripe ties a saved card to a customer it can "
    "write to. Type their email above."
)
NOT_SAVING = "Saving cards is off: an admin can turn it on under Customers → Card data protection."
CLOSED = "This receipt is closed: its customer can no longer change."


@dataclass(frozen=True)
class ReceiptCustomerView:
    customer: CustomerView
    save_card: bool


@dataclass(frozen=True)
class PaymentTerms:
    """What a card payment for the receipt carries to Stripe, fixed on the payment when it starts."""

    receipt_email: str = ""
    stripe_customer: str = ""
    save_card: bool = False


async def check_open(receipt_id: int, warehouse_id: int) -> None:
    row = await receipt_row(receipt_id, warehouse_id)
    if row["status"] != OPEN:
        raise FormErrors({"customer": CLOSED})


async def of_receipt(receipt_id: int) -> ReceiptCustomerView | None:
    link = await customers_sql.receipt_customer(receipt_id)
    return await of_link(link["customer"], link["save_card"]) if link else None


async def of_link(customer_id: int | None, save_card: object) -> ReceiptCustomerView | None:
    """The receipt's customer from its link as the caller read it (the receipt page reads it with
    the receipt: kiosk/till/sql.py); None without one."""
    if customer_id is None:
        return None
    return ReceiptCustomerView(await directory.get(customer_id), bool(save_card))


async def attach(receipt_id: int, warehouse_id: int, customer_id: int, actor_id: int) -> None:
    await check_open(receipt_id, warehouse_id)
    await directory.get(customer_id)  # CustomerNotFound for a stale search result
    async with write_transaction(ReceiptCustomer._meta.db):
        await ReceiptCustomer.delete().where(ReceiptCustomer.receipt == receipt_id)
        await ReceiptCustomer.insert(ReceiptCustomer(receipt=receipt_id, customer=customer_id, attached_by=actor_id))


async def detach(receipt_id: int, warehouse_id: int) -> None:
    await check_open(receipt_id, warehouse_id)
    await ReceiptCustomer.delete().where(ReceiptCustomer.receipt == receipt_id)


async def set_save_card(receipt_id: int, warehouse_id: int, save: bool, actor_id: int) -> None:
    """The customer's consent to save the card they pay with; refused without an email."""
    await check_open(receipt_id, warehouse_id)
    current = await of_receipt(receipt_id)
    if current is None:
        raise FormErrors({"save_card": "Attach the customer first."})
    if save and not await protection.saving_allowed():
        raise FormErrors({"save_card": NOT_SAVING})
    if save and not current.customer.email:
        raise FormErrors({"save_card": NEEDS_EMAIL})
    async with write_transaction(ReceiptCustomer._meta.db):
        await ReceiptCustomer.update({ReceiptCustomer.save_card: save}).where(ReceiptCustomer.receipt == receipt_id)
        action = "customer.save_card_consent" if save else "customer.save_card_withdrawn"
        await audit.record(
            actor_id, action, current.customer.name, {"customer": current.customer.id, "receipt": receipt_id}
        )


async def payment_terms(gateway: StripeGateway, receipt_id: int) -> PaymentTerms:
    """For a card payment starting now: the email Stripe sends its receipt to, and, when the
    customer agreed to save the card (and the setting and the email still allow it), their Stripe
    Customer (created now if it is the first time)."""
    current = await of_receipt(receipt_id)
    if current is None:
        return PaymentTerms()
    email = current.customer.email
    save = current.save_card and bool(email) and await protection.saving_allowed()
    stripe_customer = await ensure_stripe_customer(gateway, current.customer.id) if save else ""
    return PaymentTerms(receipt_email=email, stripe_customer=stripe_customer, save_card=save)


async def stripe_customer_of(customer_id: int) -> str | None:
    row = await Customer.select(Customer.stripe_customer_id).where(Customer.id == customer_id).first()
    return str(row["stripe_customer_id"]) if row and row["stripe_customer_id"] else None


async def receipts_of_customers(customer_ids: list[int]) -> list[int]:
    """The receipts these customers are on (their ReceiptCustomer links), newest first."""
    rows = await ReceiptCustomer.select(ReceiptCustomer.receipt).where(
        ReceiptCustomer.customer.is_in(customer_ids or [0])
    )
    return sorted({int(row["receipt"]) for row in rows}, reverse=True)


async def customer_names_of(receipt_ids: list[int]) -> dict[int, str]:
    """receipt id → the name of its customer, for the receipts that have one."""
    rows = await ReceiptCustomer.select(ReceiptCustomer.receipt, ReceiptCustomer.customer.name).where(
        ReceiptCustomer.receipt.is_in(receipt_ids or [0])
    )
    return {int(row["receipt"]): str(row["customer.name"]) for row in rows}


async def add_email(receipt_id: int, warehouse_id: int, typed: str, actor_id: int) -> None:
    """The cashier types the email of the receipt's customer who had none (FormErrors if invalid)."""
    await check_open(receipt_id, warehouse_id)
    current = await of_receipt(receipt_id)
    if current is None:
        raise FormErrors({"customer": "Attach the customer first."})
    email = directory.check_email(typed)
    if not email:
        raise FormErrors({"email": "Type the customer's email."})
    form = directory.CustomerForm(current.customer.name, email, current.customer.phone, current.customer.note)
    await directory.update(current.customer.id, form, actor_id)
