"""The cart on the customer's screen: the reader this till chose (a cookie of the device) shows the
receipt being built, one set_reader_display per burst of changes with the latest lines; never
while a payment is on the reader; cleared when the receipt is closed or left."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from kiosk.catalogue.pricing import set_rules
from kiosk.catalogue.tables import CatalogueItem, ItemPrice
from kiosk.payments import cart_display
from kiosk.payments.tables import Payment, ReaderDisplay
from kiosk.till.customer_display import COOKIE, displays_of
from tests.kiosk_support import make_user, post_form
from tests.payments_support import Kiosk, wait_state, wait_until

SET_DISPLAY = "POST /v1/terminal/readers/{reader}/set_reader_display"
CANCEL_ACTION = "POST /v1/terminal/readers/{reader}/cancel_action"
PROCESS = "POST /v1/terminal/readers/{reader}/process_payment_intent"


async def screen(kiosk: Kiosk, reader: int = 0) -> dict[str, Any]:
    shown: dict[str, Any] = await kiosk.control("GET", f"/_sim/readers/{kiosk.readers[reader]}/screen")
    return shown


async def settled(kiosk: Kiosk) -> None:
    """Every display the till asked for so far has been sent (or found unneeded)."""
    await displays_of(kiosk.app.state).drain()


async def choose_reader(client: httpx.AsyncClient, kiosk: Kiosk, reader: int = 0) -> None:
    page = await client.get("/receipts/")
    assert "Counter 1" in page.text and "Counter 2" in page.text  # the location's readers to choose from
    response = await post_form(client, "/receipts/customer-screen", {"reader_id": kiosk.readers[reader]})
    assert response.status_code == 303 and COOKIE in response.headers["set-cookie"]
    page = await client.get(response.headers["location"])
    assert f"to the customer on Counter {reader + 1}." in page.text
    assert f'<option value="{kiosk.readers[reader]}" selected>' in page.text


async def new_receipt(client: httpx.AsyncClient) -> int:
    response = await post_form(client, "/receipts/")
    return int(response.headers["location"].rsplit("/", 1)[1])


async def add_line(client: httpx.AsyncClient, receipt: int, description: str, price: str, quantity: str = "1") -> None:
    data = {"description": description, "quantity": quantity, "unit_price": price}
    response = await post_form(client, f"/receipts/{receipt}/lines", data)
    assert response.status_code == 303, response.text


async def test_a_burst_of_line_changes_is_one_cart_with_the_latest_lines(kiosk: Kiosk) -> None:
    kiosk.app.state.cart_quiet_seconds = 5.0  # longer than the burst below takes, even on a busy machine
    async with kiosk.cashier() as client:
        await choose_reader(client, kiosk)
        receipt = await new_receipt(client)
        await add_line(client, receipt, "Coffee", "3.50", "2")
        await add_line(client, receipt, "Croissant", "2.25")
        await add_line(client, receipt, "Water", "1.00")
        page = await client.get(f"/receipts/{receipt}")
        line_id = page.text.split(f"/receipts/{receipt}/lines/", 1)[1].split("/", 1)[0]
        response = await post_form(client, f"/receipts/{receipt}/lines/{line_id}/delete")  # the coffee goes
        assert response.status_code == 303
        await settled(kiosk)
        await client.get(f"/receipts/{receipt}")  # the page opened again: the same cart is not sent again
        await settled(kiosk)
    assert await kiosk.calls(SET_DISPLAY) == 1
    shown = await screen(kiosk)
    assert shown["state"] == "display"
    items = [(i["description"], i["quantity"], i["amount"]) for i in shown["cart"]["line_items"]]
    assert items == [("Croissant", 1, 225), ("Water", 1, 100)] and shown["cart"]["total"] == 325
    assert await screen(kiosk, 1) != shown  # the other reader shows nothing of it


async def test_no_cart_while_a_payment_is_on_the_reader(kiosk: Kiosk) -> None:
    async with kiosk.cashier() as client:
        await choose_reader(client, kiosk)
        first = await new_receipt(client)
        await add_line(client, first, "Bread", "4.00")
        await settled(kiosk)
        assert await kiosk.calls(SET_DISPLAY) == 1
        paying = await kiosk.start(first, amount=400)  # the card payment replaces the cart
        assert (await screen(kiosk))["state"] == "collecting"
        second = await new_receipt(client)  # the next customer's lines while the first one pays
        await add_line(client, second, "Milk", "1.20")
        await settled(kiosk)
        assert await kiosk.calls(SET_DISPLAY) == 1  # nothing sent: the payment is still on the reader
        reader = await kiosk.stripe(lambda c: c.v1.terminal.readers.retrieve(kiosk.readers[0]))
        assert reader.action.type == "process_payment_intent" and reader.action.status == "in_progress"
        await kiosk.tap(kiosk.readers[0])
        await wait_state(paying.id, "succeeded")
        await add_line(client, second, "Eggs", "2.80")  # the reader is free again: the cart follows
        await settled(kiosk)
    assert await kiosk.calls(SET_DISPLAY) == 2
    assert [i["description"] for i in (await screen(kiosk))["cart"]["line_items"]] == ["Milk", "Eggs"]


async def test_a_payment_waits_for_a_cart_already_on_its_way(kiosk: Kiosk) -> None:
    """A display call under way when the payment takes the reader reaches the reader first."""
    async with kiosk.cashier() as client:
        receipt = await new_receipt(client)
        await add_line(client, receipt, "Soap", "6.00")
    sequence = await cart_display._claim(kiosk.readers[0])  # a cart call has just been sent
    assert sequence is not None
    starting = asyncio.create_task(kiosk.start(receipt, amount=600))

    async def waiting() -> Payment | None:
        row = await Payment.objects().where(Payment.receipt == receipt).first()
        return row if row is not None and row.state == "intent_created" else None

    await wait_until(waiting, what="the payment waiting to be sent")
    assert await kiosk.calls(PROCESS) == 0  # held back while the cart call is under way
    assert await cart_display._claim(kiosk.readers[0]) is None  # and no new cart may start now
    await cart_display._release(kiosk.readers[0], receipt, shown=True)
    started = await starting
    assert started.state == "on_reader" and await kiosk.calls(PROCESS) == 1
    assert (await screen(kiosk))["state"] == "collecting"


async def test_the_screen_is_cleared_when_the_receipt_closes_or_is_left(kiosk: Kiosk) -> None:
    async with kiosk.cashier() as client:
        await choose_reader(client, kiosk)
        receipt = await new_receipt(client)
        await add_line(client, receipt, "Stamps", "5.00")
        await settled(kiosk)
        assert (await screen(kiosk))["state"] == "display"
        response = await post_form(client, f"/receipts/{receipt}/cash", {"given": "5.00"})
        assert response.status_code == 303
        await settled(kiosk)
        assert (await screen(kiosk))["state"] == "idle" and await kiosk.calls(CANCEL_ACTION) == 1
        assert await ReaderDisplay.select(ReaderDisplay.receipt).first() == {"receipt": None}

        left = await new_receipt(client)
        await add_line(client, left, "Envelope", "0.80")
        await settled(kiosk)
        assert (await screen(kiosk))["cart"]["total"] == 80
        await client.get("/receipts/")  # back to the list: the receipt is left
        await settled(kiosk)
        assert (await screen(kiosk))["state"] == "idle" and await kiosk.calls(CANCEL_ACTION) == 2
        await client.get("/receipts/")  # nothing of ours shown: no call
        await settled(kiosk)
    assert await kiosk.calls(CANCEL_ACTION) == 2


async def test_the_reader_is_remembered_per_device(kiosk: Kiosk) -> None:
    async with kiosk.cashier() as front, kiosk.cashier() as back:
        await choose_reader(front, kiosk, 0)
        await choose_reader(back, kiosk, 1)
        mine, theirs = await new_receipt(front), await new_receipt(back)
        await add_line(front, mine, "Front item", "1.00")
        await add_line(back, theirs, "Back item", "2.00")
        await settled(kiosk)
        assert [i["description"] for i in (await screen(kiosk, 0))["cart"]["line_items"]] == ["Front item"]
        assert [i["description"] for i in (await screen(kiosk, 1))["cart"]["line_items"]] == ["Back item"]
        response = await post_form(front, "/receipts/customer-screen", {"reader_id": ""})  # none on this till
        assert response.status_code == 303
        await add_line(front, mine, "More", "1.00")
        await settled(kiosk)
    assert await kiosk.calls(SET_DISPLAY) == 2


async def test_items_rung_up_show_by_name_and_quantity_with_the_tax_added(kiosk: Kiosk) -> None:
    kiosk.app.state.cart_quiet_seconds = 0.2
    boss = await make_user("boss", admin=True, warehouses=())
    await set_rules(kiosk.warehouse_id, "exclusive", "line", "10", boss)
    rows = await CatalogueItem.insert(
        CatalogueItem(name="Cola 0.33 l", search_name="cola 0.33 l", sku="COL", barcode="4006381333931")
    ).returning(CatalogueItem.id)
    await ItemPrice.insert(ItemPrice(item=rows[0]["id"], currency="usd", amount=250))
    async with kiosk.cashier() as client:
        await choose_reader(client, kiosk)
        receipt = await new_receipt(client)
        for _ in range(2):  # a scanner's code and Enter, twice
            response = await post_form(client, f"/receipts/{receipt}/scan", {"code": "4006381333931"})
            assert response.status_code == 303
        await settled(kiosk)
    shown = await screen(kiosk)
    items = [(i["description"], i["quantity"], i["amount"]) for i in shown["cart"]["line_items"]]
    assert items == [("Cola 0.33 l", 2, 250)]
    assert (shown["cart"]["tax"], shown["cart"]["total"]) == (50, 550)  # 5.00 + 10 % on top
