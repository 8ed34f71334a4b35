"""The Stripe Customer behind a kiosk customer: created the first time a payment needs one.

A customer only ever typed at the till costs no Stripe call; the first card saved for them (or an
edit of one already at Stripe) does. The create carries a key derived from the customer's row, so
two tills saving a card for the same customer at once get the same Stripe Customer.
"""

from __future__ import annotations

from kiosk.customers.tables import Customer
from kiosk.stripe_account.gateway import StripeGateway


async def ensure_stripe_customer(gateway: StripeGateway, customer_id: int) -> str:
    """The customer's Stripe Customer id, creating (and storing) it if there is none yet."""
    row = await Customer.select().where(Customer.id == customer_id).first()
    if row is None:
        raise LookupError(f"customer {customer_id} does not exist")
    if row["stripe_customer_id"]:
        return str(row["stripe_customer_id"])
    made = await gateway.create_customer(
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        kiosk_customer=customer_id,
        idempotency_key=f"{row['key']}:create",
    )
    await Customer.update({Customer.stripe_customer_id: made.id}).where(
        (Customer.id == customer_id) & Customer.stripe_customer_id.is_null()
    )
    return made.id


async def push_changes(gateway: StripeGateway, customer_id: int) -> None:
    """After an edit: Stripe's copy gets the same name, email and phone (nothing to do before the
    Customer exists at Stripe). The key names the edit, so a replay is one update."""
    row = await Customer.select().where(Customer.id == customer_id).first()
    if row is None or not row["stripe_customer_id"]:
        return
    stamp = int(row["updated_at"].timestamp() * 1000)
    await gateway.update_customer(
        row["stripe_customer_id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        idempotency_key=f"{row['key']}:update:{stamp}",
    )
