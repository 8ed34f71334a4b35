"""/admin/catalogue as an admin uses it: items with checked barcodes and unique SKUs, the CSV file
both ways (all or nothing, with a report per refused row), and each warehouse's tax rules."""

from __future__ import annotations

import csv
import io

from kiosk.audit.tables import AuditEntry
from kiosk.catalogue.tables import CatalogueItem, ItemPrice, WarehouseTax
from kiosk.money.currencies import enable
from tests.admin_support import Client, snapshot
from tests.kiosk_support import csrf_token, post_form

ITEM = {"name": "Cola 0.5 l", "sku": "COLA05", "barcode": "4006381333931", "barcode_kind": "", "category": "Drinks",
        "tax_rate": "19", "active": "yes", "favourite": "yes", "price_usd": "1.95"}  # fmt: skip


async def upload(client: Client, content: str) -> object:
    files = {"file": ("items.csv", content.encode(), "text/csv")}
    return await client.post("/admin/catalogue/import", data={"_csrf_token": await csrf_token(client)}, files=files)


async def test_an_admin_creates_an_item_that_is_listed_and_audited(admin_client: Client) -> None:
    response = await post_form(admin_client, "/admin/catalogue/new", ITEM)
    assert response.status_code == 303
    page = await admin_client.get(response.headers["location"])
    assert "Item created." in page.text and 'value="4006381333931"' in page.text
    listing = await admin_client.get("/admin/catalogue", params={"q": "cola"})
    assert 'data-sku="COLA05"' in listing.text and "$1.95" in listing.text and "19 %" in listing.text
    row = await CatalogueItem.select().first()
    assert row is not None and (row["barcode_kind"], row["tax_rate"], row["favourite"]) == ("ean13", 19000, True)
    assert await ItemPrice.select(ItemPrice.currency, ItemPrice.amount) == [{"currency": "usd", "amount": 195}]
    entry = await AuditEntry.select().where(AuditEntry.action == "catalogue.item_created").first()
    assert entry is not None and entry["subject"] == "Cola 0.5 l (COLA05)"


async def test_bad_items_are_refused_next_to_each_field_and_nothing_is_saved(admin_client: Client) -> None:
    await post_form(admin_client, "/admin/catalogue/new", ITEM)
    before = await snapshot()
    bad = {**ITEM, "name": "Other", "barcode": "4006381333932", "price_usd": "-1", "tax_rate": "120"}
    response = await post_form(admin_client, "/admin/catalogue/new", bad)
    assert response.status_code == 400
    assert (
        'data-testid="error-barcode">4006381333932 is not a valid EAN-13 barcode: its check digit is wrong'
        in response.text
    )
    assert 'data-testid="error-price_usd">A price cannot be negative.' in response.text
    assert 'data-testid="error-tax_rate">A tax rate cannot be above 100 %.' in response.text
    twice = await post_form(admin_client, "/admin/catalogue/new", {**ITEM, "name": "Copy"})
    assert "SKU COLA05 is already used by Cola 0.5 l." in twice.text
    assert "Barcode 4006381333931 is already on Cola 0.5 l." in twice.text
    assert await snapshot() == before


async def test_an_item_is_edited_and_its_price_removed(admin_client: Client) -> None:
    response = await post_form(admin_client, "/admin/catalogue/new", ITEM)
    url = response.headers["location"].split("?")[0]
    changed = await post_form(admin_client, url, {**ITEM, "name": "Cola 1 l", "price_usd": "", "favourite": ""})
    assert changed.status_code == 303
    row = await CatalogueItem.select(CatalogueItem.name, CatalogueItem.favourite).first()
    assert row == {"name": "Cola 1 l", "favourite": False}
    assert await ItemPrice.count() == 0


async def test_export_then_import_the_same_file_changes_nothing(admin_client: Client, admin_user: int) -> None:
    await enable("eur", admin_user)
    await post_form(admin_client, "/admin/catalogue/new", {**ITEM, "price_eur": "1.80"})
    exported = await admin_client.get("/admin/catalogue/export.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows == [{"sku": "COLA05", "name": "Cola 0.5 l", "barcode": "4006381333931", "barcode_kind": "ean13",
                     "category": "Drinks", "tax_rate": "19", "active": "yes", "favourite": "yes",
                     "price_eur": "1.80", "price_usd": "1.95"}]  # fmt: skip
    items_before = await CatalogueItem.select(CatalogueItem.name, CatalogueItem.barcode, CatalogueItem.tax_rate)
    prices_before = await ItemPrice.select(ItemPrice.currency, ItemPrice.amount).order_by(ItemPrice.currency)
    response = await upload(admin_client, exported.text)
    assert "Imported: 0 new, 1 changed." in response.text  # type: ignore[attr-defined]
    assert await CatalogueItem.select(CatalogueItem.name, CatalogueItem.barcode, CatalogueItem.tax_rate) == items_before
    assert await ItemPrice.select(ItemPrice.currency, ItemPrice.amount).order_by(ItemPrice.currency) == prices_before


async def test_a_file_of_thousands_of_rows_imports_in_one_go(admin_client: Client) -> None:
    lines = ["sku,name,barcode,category,tax_rate,price_usd"]
    lines += [f"SKU{i:05d},Item {i},,Bulk,7,{i % 100}.{i % 97:02d}" for i in range(3000)]
    response = await upload(admin_client, "\n".join(lines))
    assert "Imported: 3000 new, 0 changed." in response.text, response.text[-3000:]  # type: ignore[attr-defined]
    assert await CatalogueItem.count() == 3000 and await ItemPrice.count() == 3000
    entries = await AuditEntry.select().where(AuditEntry.action == "catalogue.imported")
    assert len(entries) == 1


async def test_one_bad_row_and_nothing_is_imported_with_every_problem_listed(admin_client: Client) -> None:
    await post_form(admin_client, "/admin/catalogue/new", ITEM)
    before = await snapshot()
    content = "\n".join(
        [
            "sku,name,barcode,price_usd",
            "A1,Good item,,1.00",
            "A2,Bad barcode,4006381333932,1.00",
            "A1,Same SKU again,,2.00",
            "A3,Negative,,-3",
            "A4,Taken barcode,4006381333931,1.00",
            ",No SKU,,1.00",
        ]
    )
    response = await upload(admin_client, content)
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "Nothing was imported:" in html and html.count('data-testid="import-row-error"') == 5
    for expected in ("check digit is wrong", "SKU A1 is also on line 2.", "A price cannot be negative.",
                     "Barcode 4006381333931 is already on item COLA05.", "Give the item a SKU"):  # fmt: skip
        assert expected in html
    assert await snapshot() == before


async def test_a_file_that_is_not_a_catalogue_is_refused(admin_client: Client) -> None:
    response = await upload(admin_client, "id;title\n1;x")
    assert "needs a header row with at least the columns sku and name" in response.text  # type: ignore[attr-defined]
    latin = await admin_client.post(
        "/admin/catalogue/import",
        data={"_csrf_token": await csrf_token(admin_client)},
        files={"file": ("x.csv", "sku,name\nA,Café".encode("latin-1"), "text/csv")},
    )
    assert "not UTF-8" in latin.text


async def test_tax_rules_per_warehouse(admin_client: Client, warehouse: int) -> None:
    page = await admin_client.get("/admin/catalogue/taxes")
    assert 'data-warehouse="Main"' in page.text
    bad = await post_form(admin_client, f"/admin/catalogue/taxes/{warehouse}",
                          {"prices": "exclusive", "rounding": "line", "default_rate": "abc"})  # fmt: skip
    assert bad.status_code == 400 and "A tax rate is a percentage" in bad.text
    assert await WarehouseTax.count() == 0
    good = await post_form(admin_client, f"/admin/catalogue/taxes/{warehouse}",
                           {"prices": "exclusive", "rounding": "receipt", "default_rate": "7,7"})  # fmt: skip
    assert good.status_code == 303
    assert await WarehouseTax.select(WarehouseTax.prices, WarehouseTax.rounding, WarehouseTax.default_rate) == [
        {"prices": "exclusive", "rounding": "receipt", "default_rate": 7700}
    ]
    assert await AuditEntry.exists().where(AuditEntry.action == "catalogue.tax_rules")


async def test_cashiers_cannot_reach_the_catalogue_admin(cashier_client: Client) -> None:
    assert (await cashier_client.get("/admin/catalogue")).status_code in (302, 303, 403)
