"""A return of lines rung up with discounts and tax gives back what the customer paid for them:
the line's share of the receipt's discount taken off and its tax in, to the minor unit, and every
unit of a line returned in several returns adds up to exactly what the line cost."""

from __future__ import annotations

from kiosk.catalogue.pricing import set_rules
from kiosk.people.permissions import set_take_returns
from kiosk.shop.tables import ReceiptLine
from kiosk.till import ringing
from kiosk.till.receipts import add_line, open_receipt, take_cash
from kiosk.till.returns import LINES, ReturnRequest, plan_return
from tests.kiosk_support import make_user


async def test_returned_lines_give_back_their_share_of_discount_and_tax(warehouse: int, cashier: int) -> None:
    boss = await make_user("boss", admin=True, warehouses=())
    assert await set_take_returns(boss, cashier, True)
    await set_rules(warehouse, "exclusive", "line", "10", boss)
    receipt_id = await open_receipt(warehouse, cashier)
    await add_line(receipt_id, warehouse, "Plate", "3", "10.00")  # 30.00 net
    await add_line(receipt_id, warehouse, "Cup", "1", "10.00")
    await ringing.set_receipt_discount(receipt_id, warehouse, "5", "amount", "Loyal customer")
    # 40.00 - 5.00 = 35.00 net (plates 26.25, cup 8.75), + 10 % tax: 28.88 + 9.63 = 38.51
    await take_cash(receipt_id, warehouse, cashier, "40")
    plates = await ReceiptLine.select().where(ReceiptLine.description == "Plate").first()
    assert plates is not None and plates["gross"] == 2888

    one = await plan_return(receipt_id, warehouse, ReturnRequest(LINES, {plates["id"]: "1"}), cashier)
    assert one.amount == 962  # a third of 28.88, rounded down; the last plate gets the remainder
    every = await plan_return(receipt_id, warehouse, ReturnRequest(LINES, {plates["id"]: "3"}), cashier)
    assert every.amount == 2888
