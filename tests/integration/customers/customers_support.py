"""Helpers of the customers tests: a customer made at the till, the admin's setting, a saved card."""

from __future__ import annotations

import httpx

from kiosk.customers.tables import Customer, SavedCard
from tests.kiosk_support import make_user, post_form
from tests.payments_support import VISA, Kiosk, start_card, wait_state, wait_until

HTMX = {"HX-Request": "true"}


async def new_customer_at_till(
    client: httpx.AsyncClient, receipt: int, name: str = "Ada Lovelace", email: str = "ada@example.com", phone: str = ""
) -> httpx.Response:
    data = {"name": name, "email": email, "phone": phone}
    return await post_form(client, f"/receipts/{receipt}/customer/new", data)


async def customer_id(email: str = "ada@example.com") -> int:
    row = await Customer.select(Customer.id).where(Customer.email == email).first()
    assert row is not None
    return int(row["id"])


async def turn_saving_on(kiosk: Kiosk) -> None:
    """The admin chooses "Save as a Stripe token only"."""
    await make_user("boss", admin=True, warehouses=())
    async with kiosk.cashier("boss") as admin:
        answer = await post_form(admin, "/admin/customers/card-data", {"card_data": "token_only"})
        assert answer.status_code in (200, 303), answer.text


async def pay_with_saving(kiosk: Kiosk, client: httpx.AsyncClient, amount: str = "10.00", number: str = VISA) -> int:
    """A receipt for Ada, consent given, paid on the reader with `number`: the receipt id."""
    receipt = await kiosk.receipt(amount)
    if not await Customer.exists().where(Customer.email == "ada@example.com"):
        await new_customer_at_till(client, receipt)
    else:
        await post_form(client, f"/receipts/{receipt}/customer", {"customer_id": str(await customer_id())})
    consent = await post_form(client, f"/receipts/{receipt}/customer/save-card", {"save": "yes"})
    assert 'data-testid="save-card-on"' in consent.text, consent.text
    payment_id = await start_card(client, receipt, kiosk.readers[0])
    before = await SavedCard.count()
    await kiosk.tap(kiosk.readers[0], number)
    await wait_state(payment_id, "succeeded")

    async def saved() -> bool | None:  # the card details (generated_card) come with Stripe's news
        return await SavedCard.count() > before or None

    await wait_until(saved, what="the saved card")
    return receipt


async def saved_cards() -> list[dict[str, object]]:
    return list(await SavedCard.select().order_by(SavedCard.id))
