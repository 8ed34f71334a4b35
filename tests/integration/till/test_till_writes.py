"""The till's hand-written writes and reads (kiosk/till/sql.py, kiosk/people/sql.py) give the rows
Piccolo's own would: a new receipt with every default, a rung-up line, a paid receipt's returns and
who may take them, on whichever database the run uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.people.accounts import set_active
from kiosk.people.permissions import may_take_returns, set_take_returns
from kiosk.shop.tables import Receipt, ReceiptLine, Warehouse
from kiosk.till.receipts import ReceiptError, add_quick_amount, open_receipt
from kiosk.till.returns import returns_of
from tests.kiosk_support import make_user, make_warehouse

pytestmark = pytest.mark.usefixtures("db")


async def test_a_new_receipt_is_open_empty_and_numbered_next() -> None:
    warehouse = await make_warehouse("Main", "eur")
    cashier = await make_user("cashier")
    before = datetime.now(UTC)
    first, second = await open_receipt(warehouse, cashier), await open_receipt(warehouse, cashier)
    rows = await Receipt.select().where(Receipt.id.is_in([first, second])).order_by(Receipt.id)
    assert [row["number"] for row in rows] == [1, 2]
    row = rows[0]
    assert (row["warehouse"], row["currency"], row["status"], row["opened_by"]) == (warehouse, "eur", "open", cashier)
    assert (row["total"], row["net_total"], row["tax_total"]) == (0, 0, 0)
    assert (row["discount_percent"], row["discount_fixed"], row["discount_reason"], row["closed_at"]) == (
        0,
        0,
        "",
        None,
    )
    assert before - timedelta(seconds=1) <= row["opened_at"] <= datetime.now(UTC)
    assert (await Warehouse.select(Warehouse.next_receipt_number).where(Warehouse.id == warehouse).first()) == {
        "next_receipt_number": 3
    }
    assert await returns_of(first) == []


async def test_no_receipt_opens_in_a_warehouse_that_is_gone() -> None:
    cashier = await make_user("cashier", warehouses=())
    with pytest.raises(ReceiptError, match="no longer exists"):
        await open_receipt(9999, cashier)
    assert await Receipt.count() == 0


async def test_a_quick_amount_is_one_line_with_its_sums() -> None:
    warehouse = await make_warehouse("Main", "usd")
    receipt = await open_receipt(warehouse, await make_user("cashier"))
    await add_quick_amount(receipt, warehouse, "12.40")
    lines = await ReceiptLine.select().where(ReceiptLine.receipt == receipt)
    assert len(lines) == 1
    line = lines[0]
    assert (line["description"], line["quantity"], line["unit_amount"], line["item_id"], line["sku"]) == (
        "Amount",
        1,
        1240,
        None,
        "",
    )
    assert (line["discount"], line["receipt_discount"], line["gross"]) == (0, 0, 1240)
    assert (await Receipt.select(Receipt.total).where(Receipt.id == receipt).first()) == {"total": 1240}


async def test_who_may_take_returns() -> None:
    await make_warehouse("Main")
    admin = await make_user("boss", admin=True)
    cashier = await make_user("cashier")
    assert await may_take_returns(admin) and not await may_take_returns(cashier)
    await set_take_returns(admin, cashier, True)
    assert await may_take_returns(cashier)
    await set_active(admin, cashier, False)
    assert not await may_take_returns(cashier)  # an inactive account never
    assert not await may_take_returns(424242)  # nobody
