"""A cashier sees and touches only their own warehouses' receipts, payments and readers, also when
guessing the ids of another warehouse's. Every till route with an id is tried (from app.routes)."""

from __future__ import annotations

import asyncio

from litestar import Litestar

from kiosk.payments.tables import Payment
from kiosk.readers.tables import LocationPairing
from kiosk.shop.tables import ReceiptLine
from kiosk.till.receipts import add_quick_amount, open_receipt, take_cash
from tests.admin_support import Client, fill, routes, snapshot
from tests.kiosk_support import make_user, make_warehouse, post_form
from tests.payments_support import ADDRESS, Kiosk


async def annex_receipt(user_id: int) -> dict[str, int]:
    """Another warehouse's receipt with a line, some cash and a card payment; their ids."""
    annex = await make_warehouse("Annex", "usd")
    receipt = await open_receipt(annex, user_id)
    await add_quick_amount(receipt, annex, "20.00")
    await take_cash(receipt, annex, user_id, "5.00")
    line = await ReceiptLine.select(ReceiptLine.id).where(ReceiptLine.receipt == receipt).first()
    assert line is not None
    rows = await Payment.insert(
        Payment(receipt=receipt, amount=1500, currency="usd", state="declined", reader_id="tmr_annex")
    ).returning(Payment.id)
    return {"receipt_id": receipt, "line_id": line["id"], "payment_id": rows[0]["id"], "warehouse": annex}


async def test_guessed_ids_of_another_warehouse_are_not_found(
    app: Litestar, cashier_client: Client, cashier: int
) -> None:
    annie = await make_user("annie", warehouses=())
    ids = await annex_receipt(annie)
    before = await snapshot()
    tried = 0
    for method, template in routes(app):
        if not ("{receipt_id" in template or "{payment_id" in template) or template.startswith("/admin"):
            continue
        url = fill(template, ids)
        response = await cashier_client.get(url) if method == "GET" else await post_form(cashier_client, url)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Annex" not in response.text
        tried += 1
    assert tried >= 12
    assert await snapshot() == before
    listing = await cashier_client.get("/receipts")
    assert 'data-testid="receipt-row"' not in listing.text


async def test_a_cashier_cannot_switch_to_a_warehouse_that_is_not_theirs(cashier_client: Client, cashier: int) -> None:
    ids = await annex_receipt(cashier)
    response = await post_form(cashier_client, "/warehouses", {"warehouse_id": str(ids["warehouse"])})
    assert response.status_code == 400
    assert "Annex" not in (await cashier_client.get("/warehouses")).text
    assert "Main" in (await cashier_client.get("/receipts")).text


async def test_a_cashier_is_offered_and_can_use_only_their_own_readers(kiosk: Kiosk) -> None:
    """Annex has its own paired location and reader; Main's cashier never sees it and cannot pay
    on it by sending its id."""

    def other_location() -> tuple[str, str]:
        client = kiosk.sim.client()
        location = client.v1.terminal.locations.create(params={"display_name": "Annex", "address": ADDRESS}).id
        reader = client.v1.terminal.readers.create(
            params={"registration_code": "simulated-wpe", "label": "Annex counter", "location": location}
        ).id
        return location, reader

    location, annex_reader = await asyncio.to_thread(other_location)
    annex = await make_warehouse("Annex", "usd")
    await LocationPairing.insert(LocationPairing(stripe_location_id=location, warehouse=annex))
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as till:
        picker = await till.get(f"/receipts/{receipt}/card/readers")
        assert kiosk.readers[0] in picker.text and annex_reader not in picker.text
        assert "Annex counter" not in picker.text
        response = await post_form(till, f"/receipts/{receipt}/card", {"reader_id": annex_reader})
        assert "not one of this warehouse&#39;s readers" in response.text
    assert await Payment.count() == 0
