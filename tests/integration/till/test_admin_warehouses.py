"""/admin/warehouses as an admin uses it: create, rename, set the currency, delete — refused while
receipts are open, with messages next to the fields and nothing saved on bad input."""

from __future__ import annotations

from kiosk.audit.tables import AuditEntry
from kiosk.money.currencies import enable
from kiosk.readers.tables import LocationPairing
from kiosk.shop.tables import Warehouse
from kiosk.till.receipts import add_quick_amount, open_receipt, take_cash, void_receipt
from tests.admin_support import Client, snapshot
from tests.kiosk_support import post_form


async def test_admin_creates_a_warehouse_that_then_appears_at_the_till(admin_client: Client, warehouse: int) -> None:
    response = await post_form(admin_client, "/admin/warehouses", {"name": "  Annex  ", "currency": "usd"})
    assert response.status_code == 303
    page = await admin_client.get(response.headers["location"])
    assert "Warehouse created" in page.text and 'data-testid="warehouse-name">Annex<' in page.text
    assert "Annex" in (await admin_client.get("/warehouses")).text  # the warehouse picker offers it
    entry = await AuditEntry.select().where(AuditEntry.action == "warehouse.create").output(load_json=True).first()
    assert entry is not None and entry["subject"] == "warehouse Annex"
    assert entry["detail"] == {"currency": "usd", "locale": "en_US"}


async def test_currency_choices_are_the_enabled_currencies(admin_client: Client, admin_user: int) -> None:
    page = await admin_client.get("/admin/warehouses")
    assert '<option value="usd"' in page.text and '<option value="jpy"' not in page.text
    await enable("jpy", admin_user)
    page = await admin_client.get("/admin/warehouses")
    assert '<option value="jpy"' in page.text and "JPY (0 decimals)" in page.text
    response = await post_form(admin_client, "/admin/warehouses", {"name": "Tokyo", "currency": "jpy"})
    assert response.status_code == 303
    assert await Warehouse.exists().where((Warehouse.name == "Tokyo") & (Warehouse.currency == "jpy"))


async def test_bad_input_is_refused_next_to_each_field(admin_client: Client, warehouse: int) -> None:
    before = await snapshot()
    response = await post_form(admin_client, "/admin/warehouses", {"name": "main", "currency": "eur"})
    assert response.status_code == 400
    assert 'data-testid="error-name">There is already a warehouse named main' in response.text
    assert 'data-testid="error-currency">EUR is not enabled. Enable it under Currencies first' in response.text
    response = await post_form(admin_client, "/admin/warehouses", {"name": " ", "currency": "dollars"})
    assert 'data-testid="error-name">Enter a name' in response.text
    assert 'data-testid="error-currency">dollars is not a currency code' in response.text
    response = await post_form(admin_client, "/admin/warehouses", {"name": "x" * 101, "currency": "usd"})
    assert 'data-testid="error-name">A name is at most 100 characters' in response.text
    assert await snapshot() == before


async def test_rename_and_currency_change_are_saved_and_audited(
    admin_client: Client, admin_user: int, warehouse: int
) -> None:
    await enable("eur", admin_user)
    response = await post_form(
        admin_client, f"/admin/warehouses/{warehouse}", {"name": "High Street", "currency": "eur"}
    )
    assert response.headers["location"] == f"/admin/warehouses/{warehouse}?done=saved"
    row = await Warehouse.select(Warehouse.name, Warehouse.currency).where(Warehouse.id == warehouse).first()
    assert row == {"name": "High Street", "currency": "eur"}
    entry = await AuditEntry.select().where(AuditEntry.action == "warehouse.update").output(load_json=True).first()
    assert entry is not None
    assert entry["detail"] == {"name": {"from": "Main", "to": "High Street"}, "currency": {"from": "usd", "to": "eur"}}


async def test_currency_cannot_change_under_open_receipts(
    admin_client: Client, admin_user: int, cashier: int, warehouse: int
) -> None:
    await enable("eur", admin_user)
    await open_receipt(warehouse, cashier)
    before = await snapshot()
    response = await post_form(admin_client, f"/admin/warehouses/{warehouse}", {"name": "Main", "currency": "eur"})
    assert response.status_code == 400
    assert 'data-testid="error-currency">Main has 1 receipt open in USD: close them first' in response.text
    assert await snapshot() == before


async def test_a_warehouse_with_open_receipts_cannot_be_deleted(
    admin_client: Client, cashier: int, warehouse: int
) -> None:
    receipt = await open_receipt(warehouse, cashier)
    before = await snapshot()
    response = await post_form(admin_client, f"/admin/warehouses/{warehouse}/delete", {"confirm": "yes"})
    assert response.status_code == 400
    assert 'data-testid="error-confirm">Main has 1 receipt open. Close or void them before deleting it' in response.text
    assert await snapshot() == before
    # Closed, the receipt is history: kept for the accounts, and with it the warehouse.
    await add_quick_amount(receipt, warehouse, "5.00")
    await take_cash(receipt, warehouse, cashier, "5.00")
    response = await post_form(admin_client, f"/admin/warehouses/{warehouse}/delete", {"confirm": "yes"})
    assert response.status_code == 400
    assert "Main has 1 receipt in its history, kept for the accounts" in response.text
    assert await Warehouse.count() == 1


async def test_deleting_needs_the_confirmation_box(admin_client: Client, warehouse: int) -> None:
    response = await post_form(admin_client, f"/admin/warehouses/{warehouse}/delete")
    assert response.status_code == 400
    assert 'data-testid="error-confirm">Tick the box to confirm deleting Main' in response.text
    assert await Warehouse.count() == 1


async def test_an_unused_warehouse_is_deleted_with_its_links(
    cashier_client: Client, admin_client: Client, cashier: int, warehouse: int
) -> None:
    await LocationPairing.insert(LocationPairing(stripe_location_id="tml_main", warehouse=warehouse))
    response = await post_form(admin_client, f"/admin/warehouses/{warehouse}/delete", {"confirm": "yes"})
    assert response.headers["location"] == "/admin/warehouses?done=deleted"
    assert await Warehouse.count() == 0 and await LocationPairing.count() == 0
    assert "Warehouse deleted" in (await admin_client.get(response.headers["location"])).text
    # The cashier who worked there is sent to the picker, which has nothing left for her.
    assert (await cashier_client.get("/receipts")).headers["location"] == "/warehouses"
    entry = await AuditEntry.select().where(AuditEntry.action == "warehouse.delete").output(load_json=True).first()
    assert entry is not None and entry["detail"] == {"currency": "usd", "location": "tml_main", "people": 1}


async def test_voided_receipts_are_history_too(admin_client: Client, cashier: int, warehouse: int) -> None:
    receipt = await open_receipt(warehouse, cashier)
    await void_receipt(receipt, warehouse)
    response = await post_form(admin_client, f"/admin/warehouses/{warehouse}/delete", {"confirm": "yes"})
    assert "in its history" in response.text
    listing = await admin_client.get("/admin/warehouses")
    assert 'data-name="Main"' in listing.text


async def test_unknown_warehouses_are_not_found(admin_client: Client) -> None:
    assert (await admin_client.get("/admin/warehouses/999")).status_code == 404
    assert (await post_form(admin_client, "/admin/warehouses/999", {"name": "x", "currency": "usd"})).status_code == 404
    assert (await post_form(admin_client, "/admin/warehouses/999/delete", {"confirm": "yes"})).status_code == 404
