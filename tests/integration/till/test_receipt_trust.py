"""What a receipt tells the customer and the cashier, and nothing more: the shop's name, address and
phone and TEST MODE on the printed receipt; a refunded receipt printed as refunded, never also PAID;
no empty Cash card, no card attempt that took nothing; the Warehouses admin naming locations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar

from kiosk.audit.tables import AuditEntry
from kiosk.cli.demo import DEMO_STRIPE_KEY, SHOPS, _seed_database
from kiosk.payments.settlement import refresh_receipt_status
from kiosk.payments.tables import Payment, Refund
from kiosk.readers.tables import LocationPairing
from kiosk.shop.tables import Warehouse
from kiosk.till.receipts import add_quick_amount, open_receipt, take_cash
from tests.admin_support import Client, snapshot
from tests.kiosk_support import post_form
from tests.setup_support import setup_app
from tests.simulator_support import RunningSimulator


@pytest.fixture
def app(db: str, simulator: RunningSimulator) -> Litestar:
    """The kiosk as `kiosk demo` runs it: test keys from the environment."""
    return setup_app(simulator, stripe_secret_key=DEMO_STRIPE_KEY)


async def paid_by_card(warehouse: int, cashier: int, amount: int = 2000, **extra: Any) -> tuple[int, int]:
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, f"{amount / 100:.2f}")
    rows = await Payment.insert(
        Payment(
            receipt=receipt_id,
            amount=amount,
            currency="usd",
            state="succeeded",
            card_brand="visa",
            card_last4="4242",
            settled_at=datetime.now(UTC),
            **extra,
        )
    ).returning(Payment.id)
    assert await refresh_receipt_status(receipt_id) == "paid"
    return receipt_id, int(rows[0]["id"])


async def refunded(payment_id: int, amount: int) -> None:
    await Refund.insert(Refund(payment=payment_id, sequence=1, amount=amount, currency="usd", state="succeeded"))


def part(page: str, testid: str) -> str:
    """The text of the element with this data-testid (up to its closing tag)."""
    after = page.split(f'data-testid="{testid}"', 1)[1]
    return after.split(">", 1)[1].split("</", 1)[0].strip()


async def test_the_printed_receipt_is_headed_by_the_shop_and_says_test_mode(
    admin_client: Client, cashier_client: Client, warehouse: int, cashier: int
) -> None:
    header = {
        "receipt_name": "Kiosk Coffee",
        "address": " 1 Demo St \n\n San Francisco, CA 94103 ",
        "phone": "+1 415 555 0134",
    }
    response = await post_form(admin_client, f"/admin/warehouses/{warehouse}/receipt-header", header)
    assert response.status_code == 303 and response.headers["location"].endswith("?done=header")
    receipt_id, _ = await paid_by_card(warehouse, cashier)
    printed = (await cashier_client.get(f"/receipts/{receipt_id}/print")).text
    assert part(printed, "printed-test-mode") == "*** TEST MODE · no real money ***"
    assert part(printed, "printed-shop") == "Kiosk Coffee"
    assert printed.count('data-testid="printed-address"') == 2
    assert ">1 Demo St<" in printed and ">San Francisco, CA 94103<" in printed
    assert part(printed, "printed-phone") == "Tel. +1 415 555 0134"
    assert ">Main<" in printed  # the warehouse still named under the shop's own name
    entry = await AuditEntry.select().where(AuditEntry.action == "warehouse.receipt_header").output(load_json=True)
    assert entry[0]["detail"]["phone"] == {"from": "", "to": "+1 415 555 0134"}


async def test_without_a_header_the_warehouse_name_heads_the_receipt(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id, _ = await paid_by_card(warehouse, cashier)
    printed = (await cashier_client.get(f"/receipts/{receipt_id}/print")).text
    assert part(printed, "printed-shop") == "Main"
    assert 'data-testid="printed-address"' not in printed and 'data-testid="printed-phone"' not in printed


async def test_a_bad_header_is_refused_by_field_and_nothing_saved(admin_client: Client, warehouse: int) -> None:
    before = await snapshot()
    typed = {"receipt_name": "x" * 101, "address": "1\n2\n3\n4\n5", "phone": "call us"}
    response = await post_form(admin_client, f"/admin/warehouses/{warehouse}/receipt-header", typed)
    assert response.status_code == 400
    assert part(response.text, "error-receipt_name") == "A name is at most 100 characters."
    assert part(response.text, "error-address") == "An address is at most 4 lines on the receipt."
    assert part(response.text, "error-phone").startswith("A phone number has digits, spaces and + - ( ) . / only")
    assert "call us" in response.text  # what was typed stays in the field
    assert await snapshot() == before


async def test_a_fully_refunded_receipt_prints_refunded_never_paid(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id, payment_id = await paid_by_card(warehouse, cashier, 1250)
    await refunded(payment_id, 1250)
    printed = (await cashier_client.get(f"/receipts/{receipt_id}/print")).text
    assert 'data-testid="printed-status" data-state="refunded"' in printed
    assert part(printed, "printed-status") == "REFUNDED IN FULL"
    assert ">PAID<" not in printed and "Thank you" not in printed


async def test_a_partly_refunded_receipt_prints_what_was_kept(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id, payment_id = await paid_by_card(warehouse, cashier, 2000)
    await refunded(payment_id, 1250)
    printed = (await cashier_client.get(f"/receipts/{receipt_id}/print")).text
    assert part(printed, "printed-status") == "PARTLY REFUNDED"
    assert part(printed, "printed-kept") == "Paid $20.00 · refunded $12.50 · net $7.50"
    assert ">PAID<" not in printed


async def test_a_card_paid_receipt_has_no_empty_cash_card(cashier_client: Client, warehouse: int, cashier: int) -> None:
    receipt_id, _ = await paid_by_card(warehouse, cashier)
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'id="cash"' not in page and "<h2>Cash</h2>" not in page
    assert 'data-testid="payment-status" data-state="succeeded"' in page


async def test_a_cash_paid_receipt_shows_no_canceled_card_attempt(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, "7.25")
    await Payment.insert(Payment(receipt=receipt_id, amount=725, currency="usd", state="canceled"))
    await take_cash(receipt_id, warehouse, cashier, "10")
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert 'data-testid="receipt-status" data-state="paid"' in page
    assert 'id="card-tenders"' not in page and "Canceled" not in page
    assert 'data-testid="cash-tenders"' in page


async def test_a_card_attempt_before_the_card_that_paid_gives_way_to_it(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id, payment_id = await paid_by_card(warehouse, cashier)
    # A later attempt that took nothing (an admin tried again on a closed receipt's reader, say).
    await Payment.insert(Payment(receipt=receipt_id, amount=2000, currency="usd", state="canceled"))
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert f'id="payment-{payment_id}"' in page and 'data-state="canceled"' not in page


async def test_refund_is_not_offered_on_a_fully_refunded_payment(
    admin_client: Client, warehouse: int, cashier: int
) -> None:
    _, whole = await paid_by_card(warehouse, cashier, 1250)
    _, some = await paid_by_card(warehouse, cashier, 2000)
    await refunded(whole, 1250)
    await refunded(some, 500)
    page = (await admin_client.get("/admin/payments")).text
    rows = {row.split('"', 1)[0]: row for row in page.split('data-testid="captured-payment" data-payment-id="')[1:]}
    assert 'data-testid="open-refund"' not in rows[str(whole)].split("</tr>")[0]
    assert 'data-testid="refunded-in-full"' in rows[str(whole)].split("</tr>")[0]
    assert 'data-testid="open-refund"' in rows[str(some)].split("</tr>")[0]


async def test_warehouses_name_their_location_not_its_id(
    admin_client: Client, warehouse: int, simulator: RunningSimulator
) -> None:
    def create_location() -> str:
        address = {"line1": "2 Quay St", "city": "Dublin", "country": "IE"}
        params: Any = {"display_name": "Harbour shop", "address": address}
        return str(simulator.client().v1.terminal.locations.create(params=params).id)

    location = await asyncio.to_thread(create_location)
    await LocationPairing.insert(LocationPairing(stripe_location_id=location, warehouse=warehouse))
    for path in ("/admin/warehouses", f"/admin/warehouses/{warehouse}"):
        page = (await admin_client.get(path)).text
        assert "Harbour shop" in part(page, "warehouse-location"), path
        assert f">{location}<" not in page and f" {location}" not in page, path


async def test_the_demo_shops_have_an_address_and_phone(db: str) -> None:
    await _seed_database({shop.warehouse: f"tml_{shop.warehouse}" for shop in SHOPS})
    rows = await Warehouse.select(Warehouse.name, Warehouse.address, Warehouse.phone).order_by(Warehouse.name)
    assert [(r["name"], bool(r["address"]), bool(r["phone"])) for r in rows] == [
        ("Downtown", True, True),
        ("Harbour", True, True),
    ]
    assert rows[0]["address"] == "1 Demo St\nSan Francisco, CA 94103"
