"""Saved cards: Stripe's PaymentMethod id with the brand, last 4 and expiry shown to people.

A card is remembered when a payment the customer agreed to save it with succeeds (Stripe's
`generated_card`), and forgotten when removed (detached at Stripe first). An expired card is kept
on the customer's page but never offered for a charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kiosk.audit import trail as audit
from kiosk.customers.tables import Customer, SavedCard
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors
from kiosk.stripe_account.customer_gateway import is_not_attached
from kiosk.stripe_account.errors import PaymentError
from kiosk.stripe_account.gateway import StripeGateway

ALREADY_REMOVED = "This card was already removed: it can no longer be charged."
EXPIRED = "This card has expired: ask for another card."


@dataclass(frozen=True)
class SavedCardView:
    id: int
    customer_id: int
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int

    @property
    def label(self) -> str:
        return f"{(self.brand or 'card').title()} •••• {self.last4}"

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"

    def expired(self, today: date) -> bool:
        """A card is good through the last day of its expiry month."""
        return (self.exp_year, self.exp_month) < (today.year, today.month)


def _view(row: dict[str, object]) -> SavedCardView:
    return SavedCardView(
        id=int(str(row["id"])),
        customer_id=int(str(row["customer"])),
        payment_method_id=str(row["payment_method_id"]),
        brand=str(row["brand"]),
        last4=str(row["last4"]),
        exp_month=int(str(row["exp_month"])),
        exp_year=int(str(row["exp_year"])),
    )


async def of_customer(customer_id: int) -> list[SavedCardView]:
    rows = await SavedCard.select().where(SavedCard.customer == customer_id).order_by(SavedCard.id)
    return [_view(row) for row in rows]


async def chargeable(customer_id: int, today: date) -> list[SavedCardView]:
    """The cards that may be charged now: the expired ones are not offered."""
    return [card for card in await of_customer(customer_id) if not card.expired(today)]


async def card_to_charge(card_id: int, customer_id: int, today: date) -> SavedCardView:
    """The saved card, if it is still there, this customer's and not expired (FormErrors else)."""
    row = await SavedCard.select().where((SavedCard.id == card_id) & (SavedCard.customer == customer_id)).first()
    if row is None:
        raise FormErrors({"saved_card": ALREADY_REMOVED})
    card = _view(row)
    if card.expired(today):
        raise FormErrors({"saved_card": EXPIRED})
    return card


async def remember_generated(
    stripe_customer: str, payment_method_id: str, brand: str, last4: str, exp_month: int, exp_year: int, actor_id: int
) -> bool:
    """Keep the card a payment saved (once, however often Stripe's news of it arrives)."""
    customer = (
        await Customer.select(Customer.id, Customer.name).where(Customer.stripe_customer_id == stripe_customer).first()
    )
    if customer is None or await SavedCard.exists().where(SavedCard.payment_method_id == payment_method_id):
        return False
    async with write_transaction(SavedCard._meta.db):
        await SavedCard.insert(
            SavedCard(
                customer=customer["id"],
                payment_method_id=payment_method_id,
                brand=brand,
                last4=last4,
                exp_month=exp_month,
                exp_year=exp_year,
            )
        )
        detail = {"customer": customer["id"], "brand": brand, "last4": last4, "expiry": f"{exp_month:02d}/{exp_year}"}
        await audit.record(actor_id, "customer.card_saved", customer["name"], detail)
    return True


async def remove(gateway: StripeGateway, customer_id: int, card_id: int, actor_id: int) -> SavedCardView:
    """Detach the card at Stripe, then forget it here. Removing it twice says so and calls no one."""
    row = await SavedCard.select().where((SavedCard.id == card_id) & (SavedCard.customer == customer_id)).first()
    if row is None:
        raise FormErrors({"saved_card": ALREADY_REMOVED})
    card = _view(row)
    try:
        await gateway.detach_payment_method(card.payment_method_id, idempotency_key=f"{card.payment_method_id}:detach")
    except PaymentError as exc:
        if not is_not_attached(exc):  # already detached at Stripe: forgetting it here is all that is left
            raise
    customer = await Customer.select(Customer.name).where(Customer.id == customer_id).first()
    async with write_transaction(SavedCard._meta.db):
        deleted = await SavedCard.delete().where(SavedCard.id == card_id).returning(SavedCard.id)
        if not deleted:
            raise FormErrors({"saved_card": ALREADY_REMOVED})
        detail = {"customer": customer_id, "brand": card.brand, "last4": card.last4, "expiry": card.expiry}
        await audit.record(actor_id, "customer.card_removed", customer["name"] if customer else "", detail)
    return card


async def forget_detached(card_id: int, actor_id: int) -> None:
    """A card Stripe says is no longer attached (removed outside the kiosk): forget it, audited."""
    async with write_transaction(SavedCard._meta.db):
        gone = await SavedCard.delete().where(SavedCard.id == card_id).returning(SavedCard.customer, SavedCard.last4)
        if gone:
            detail = {"customer": gone[0]["customer"], "last4": gone[0]["last4"], "why": "detached at Stripe"}
            await audit.record(actor_id, "customer.card_removed", f"customer #{gone[0]['customer']}", detail)
