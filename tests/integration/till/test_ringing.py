"""Ringing items up at the till: a scanner's code and Enter, search as the cashier types, the
favourites grid, quantities and discounts, and taxes on the receipt — over HTTP as the pages do."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.catalogue.pricing import set_rules
from kiosk.catalogue.tables import CatalogueItem, ItemPrice
from kiosk.shop.tables import Receipt, ReceiptLine
from tests.kiosk_support import make_user, post_form

Client = AsyncTestClient[Litestar]
COLA = "4006381333931"


async def item(name: str, sku: str, price: int, *, barcode: str | None = None, rate: int | None = None,
               favourite: bool = False, currency: str = "usd") -> int:  # fmt: skip
    rows = await CatalogueItem.insert(
        CatalogueItem(
            name=name, search_name=name.casefold(), sku=sku, barcode=barcode, tax_rate=rate, favourite=favourite
        )
    ).returning(CatalogueItem.id)
    item_id = int(rows[0]["id"])
    await ItemPrice.insert(ItemPrice(item=item_id, currency=currency, amount=price))
    return item_id


async def new_receipt(client: Client) -> str:
    response = await post_form(client, "/receipts")
    return str(response.headers["location"])


async def lines(url: str) -> list[dict[str, object]]:
    receipt_id = int(url.rsplit("/", 1)[1])
    return (
        await ReceiptLine.select(
            ReceiptLine.description, ReceiptLine.quantity, ReceiptLine.gross, ReceiptLine.tax, ReceiptLine.discount
        )
        .where(ReceiptLine.receipt == receipt_id)
        .order_by(ReceiptLine.id)
    )


async def total(url: str) -> int:
    row = await Receipt.select(Receipt.total).where(Receipt.id == int(url.rsplit("/", 1)[1])).first()
    assert row is not None
    return int(row["total"])


async def test_a_scan_adds_the_item_and_scanning_again_counts_one_more(cashier_client: Client) -> None:
    await item("Cola 0.5 l", "COLA05", 195, barcode=COLA)
    url = await new_receipt(cashier_client)
    response = await post_form(cashier_client, f"{url}/scan", {"code": f" {COLA}"})
    assert response.status_code == 303
    page = await cashier_client.get(response.headers["location"])
    assert 'data-testid="rung">Added Cola 0.5 l (1).' in page.text
    await post_form(cashier_client, f"{url}/scan", {"code": COLA})
    await post_form(cashier_client, f"{url}/scan", {"code": "COLA05"})  # the SKU typed, then Enter
    assert await lines(url) == [{"description": "Cola 0.5 l", "quantity": 3, "gross": 585, "tax": 0, "discount": 0}]
    assert await total(url) == 585


async def test_an_unknown_scan_is_said_plainly_and_stays_in_the_box(cashier_client: Client) -> None:
    url = await new_receipt(cashier_client)
    response = await post_form(cashier_client, f"{url}/scan", {"code": "5901234123457"})
    assert response.status_code == 400
    assert "No item has the code 5901234123457: nothing was added." in response.text
    assert 'value="5901234123457"' in response.text  # the scan is not lost
    misread = await post_form(cashier_client, f"{url}/scan", {"code": "5901234123458"})
    assert "check digit is wrong" in misread.text
    assert await lines(url) == []


async def test_search_as_the_cashier_types_then_press_to_add(cashier_client: Client) -> None:
    cola = await item("Cola Zero", "CZ", 195)
    await item("Coffee beans", "CB", 1290)
    await item("Tea", "TEA", 350)
    url = await new_receipt(cashier_client)
    found = await cashier_client.get(f"{url}/items", params={"code": "co"})
    names = re.findall(r'class="item-result-name">([^<]+)<', found.text)
    assert names == ["Coffee beans", "Cola Zero"]
    assert "Tea" not in found.text
    words = await cashier_client.get(f"{url}/items", params={"code": "zero co"})
    assert re.findall(r'class="item-result-name">([^<]+)<', words.text) == ["Cola Zero"]
    nothing = await cashier_client.get(f"{url}/items", params={"code": "pizza"})
    assert "No item matches “pizza”" in nothing.text
    assert (await post_form(cashier_client, f"{url}/items/{cola}")).status_code == 303
    assert [line["description"] for line in await lines(url)] == ["Cola Zero"]


async def test_favourites_are_buttons_on_an_open_receipt(cashier_client: Client) -> None:
    await item("Croissant", "CR", 180, favourite=True)
    await item("Not a favourite", "NF", 100)
    url = await new_receipt(cashier_client)
    page = await cashier_client.get(url)
    assert re.findall(r'class="favourite-name">([^<]+)<', page.text) == ["Croissant"]


async def test_an_item_without_a_price_in_the_till_currency_is_not_added(cashier_client: Client) -> None:
    euro_only = await item("Baguette", "BG", 120, currency="eur")
    url = await new_receipt(cashier_client)
    response = await post_form(cashier_client, f"{url}/items/{euro_only}")
    assert response.status_code == 400 and "Baguette has no price in USD: nothing was added." in response.text
    assert await lines(url) == []


async def test_an_inactive_item_cannot_be_rung_up(cashier_client: Client) -> None:
    gone = await item("Old stock", "OLD", 100, barcode="036000291452")
    await CatalogueItem.update({CatalogueItem.active: False}).where(CatalogueItem.id == gone)
    url = await new_receipt(cashier_client)
    assert (await post_form(cashier_client, f"{url}/scan", {"code": "036000291452"})).status_code == 400
    assert (await post_form(cashier_client, f"{url}/items/{gone}")).status_code == 400
    assert await lines(url) == []


async def test_quantity_and_line_discount_with_its_reason(cashier_client: Client) -> None:
    await item("Shirt", "SH", 2000, barcode=COLA)
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/scan", {"code": COLA})
    line_id = (await ReceiptLine.select(ReceiptLine.id).first() or {})["id"]
    form = {"quantity": "3", "discount": "10", "kind": "percent", "reason": "Damaged box"}
    assert (await post_form(cashier_client, f"{url}/lines/{line_id}/change", form)).status_code == 303
    assert await lines(url) == [{"description": "Shirt", "quantity": 3, "gross": 5400, "tax": 0, "discount": 600}]
    page = await cashier_client.get(url)
    assert "\u2212$6.00 (10 %) · Damaged box" in page.text and "$54.00" in page.text


async def test_discount_refusals_change_nothing(cashier_client: Client) -> None:
    await item("Shirt", "SH", 2000, barcode=COLA)
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/scan", {"code": COLA})
    line_id = (await ReceiptLine.select(ReceiptLine.id).first() or {})["id"]
    too_big = {"quantity": "1", "discount": "25", "kind": "amount", "reason": "Why not"}
    response = await post_form(cashier_client, f"{url}/lines/{line_id}/change", too_big)
    assert response.status_code == 400
    assert "The discount ($25.00) is larger than the line ($20.00)." in response.text
    no_reason = await post_form(
        cashier_client, f"{url}/lines/{line_id}/change", {**too_big, "discount": "5", "reason": ""}
    )
    assert "A discount needs a reason: it is printed on the receipt." in no_reason.text
    over = await post_form(cashier_client, f"{url}/discount", {"discount": "120", "kind": "percent", "reason": "x"})
    assert over.status_code == 400 and "percent is a number from 0 to 100" in over.text
    more = await post_form(cashier_client, f"{url}/discount", {"discount": "30", "kind": "amount", "reason": "x"})
    assert "larger than the receipt ($20.00)" in more.text
    assert await lines(url) == [{"description": "Shirt", "quantity": 1, "gross": 2000, "tax": 0, "discount": 0}]
    assert await total(url) == 2000


async def test_taxes_show_net_tax_per_rate_and_gross(cashier_client: Client, warehouse: int) -> None:
    admin = await make_user("boss", admin=True)
    await set_rules(warehouse, "exclusive", "line", "19", admin)
    await item("Book", "BK", 1000, barcode=COLA, rate=7000)
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/scan", {"code": COLA})
    await post_form(cashier_client, f"{url}/amount", {"amount": "10.00"})  # the warehouse's 19 %
    await post_form(cashier_client, f"{url}/discount", {"discount": "10", "kind": "percent", "reason": "Member"})
    page = await cashier_client.get(url)
    # 20.00 net less 10 % = 9.00 + 9.00; tax 0.63 at 7 % and 1.71 at 19 %: total 20.34.
    assert await total(url) == 2034
    assert re.findall(
        r'data-testid="tax-row"><th colspan="3">([^<]+)</th>\s*<td class="num money">([^<]+)<', page.text
    ) == [
        ("Tax 7 % on $9.00", "$0.63"),
        ("Tax 19 % on $9.00", "$1.71"),
    ]
    assert 'data-testid="net-total">$18.00<' in page.text
    assert "Receipt discount (10 %) · Member" in page.text
    printed = await cashier_client.get(f"{url}/print")
    assert "Tax 19 %" in printed.text and "$20.34" in printed.text


async def test_what_the_card_is_asked_for_is_the_taxed_total(cashier_client: Client, warehouse: int) -> None:
    admin = await make_user("boss", admin=True)
    await set_rules(warehouse, "exclusive", "receipt", "10", admin)
    url = await new_receipt(cashier_client)
    await post_form(cashier_client, f"{url}/amount", {"amount": "10.00"})
    page = await cashier_client.get(url)
    assert re.search(r'data-testid="amount-due"[^>]*>\s*\$11\.00', page.text)
