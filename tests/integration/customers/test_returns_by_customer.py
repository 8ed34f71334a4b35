"""Returns found by the customer a receipt was for: name, email or phone typed at /returns finds
the warehouse's receipts attached to the matching customers, newest first; a typo or a customer
with no receipt here says so next to the field."""

from __future__ import annotations

from kiosk.payments.settlement import balance
from kiosk.people.permissions import set_take_returns
from kiosk.till.receipts import add_line, open_receipt
from tests.admin_payments_support import attr, message_of, tagged
from tests.integration.customers.customers_support import new_customer_at_till
from tests.kiosk_support import make_user, post_form
from tests.payments_support import Kiosk, wait_state


async def _paid_for(kiosk: Kiosk, name: str, email: str, phone: str = "") -> int:
    """A receipt paid by a Visa tap with a new customer attached at the till: its id."""
    receipt_id = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
    await add_line(receipt_id, kiosk.warehouse_id, "Mug", "1", "6.00")
    async with kiosk.cashier() as client:
        made = await new_customer_at_till(client, receipt_id, name=name, email=email, phone=phone)
        assert made.status_code == 200, made.text
    started = await kiosk.start(receipt_id, amount=(await balance(receipt_id)).due)
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    return receipt_id


async def test_receipts_are_found_by_the_customers_name_email_or_phone(kiosk: Kiosk) -> None:
    boss = await make_user("boss", admin=True, warehouses=())
    assert await set_take_returns(boss, kiosk.user_id, True)
    ada = await _paid_for(kiosk, "Ada Lovelace", "ada@example.com", "+44 20 7946 0001")
    grace = await _paid_for(kiosk, "Grace Hopper", "grace@example.com")
    async with kiosk.cashier() as cashier:
        by_name = await cashier.get("/returns", params={"customer": "lovelace"})
        rows = tagged(by_name.text, "found-receipt")
        assert len(rows) == 1 and attr(rows[0], "data-returnable") == "yes"
        assert message_of(by_name.text, "found-customer") == "Ada Lovelace"
        assert f'href="/returns/receipts/{ada}"' in by_name.text
        by_email = await cashier.get("/returns", params={"customer": "grace@example"})
        assert f'href="/returns/receipts/{grace}"' in by_email.text
        assert f'href="/returns/receipts/{ada}"' not in by_email.text
        by_phone = await cashier.get("/returns", params={"customer": "7946 0001"})
        assert f'href="/returns/receipts/{ada}"' in by_phone.text
        both = await cashier.get("/returns", params={"customer": "example.com"})
        links = [attr(r, "href") for r in tagged(both.text, "found-receipt")]
        assert links == [f"/returns/receipts/{grace}", f"/returns/receipts/{ada}"]  # newest first
        unknown = await cashier.get("/returns", params={"customer": "Babbage"})
        assert unknown.status_code == 400
        assert message_of(unknown.text, "error-customer") == "No customer matches “Babbage”."
        short = await cashier.get("/returns", params={"customer": "a"})
        assert "at least 2 letters" in message_of(short.text, "error-customer")


async def test_a_customer_with_receipts_only_elsewhere_is_told_so(kiosk: Kiosk) -> None:
    boss = await make_user("boss", admin=True, warehouses=())
    assert await set_take_returns(boss, kiosk.user_id, True)
    receipt_id = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
    async with kiosk.cashier() as cashier:
        await new_customer_at_till(cashier, receipt_id, name="Alan Turing", email="alan@example.com")
        await post_form(cashier, f"/receipts/{receipt_id}/customer/detach", {})
        none = await cashier.get("/returns", params={"customer": "Turing"})
    assert message_of(none.text, "error-customer") == "No receipt of this warehouse is for Alan Turing."
