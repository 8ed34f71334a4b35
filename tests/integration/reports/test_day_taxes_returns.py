"""The day's figures carry what the catalogue and the till's returns add: net, tax by rate and
gross of the receipts paid, the discounts given, and cash handed back by returns (out of the
drawer and off the takings)."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.catalogue.pricing import set_rules
from kiosk.people.permissions import set_take_returns
from kiosk.reports.day_report import x_report
from kiosk.till import ringing
from kiosk.till.receipts import add_line, open_receipt, take_cash
from kiosk.till.returns import AMOUNT, ReturnRequest, plan_return, take_return
from tests.kiosk_support import make_user
from tests.payments_support import Kiosk

TODAY = datetime.now(UTC).date()


async def test_tax_discounts_and_cash_returns_are_in_the_day(kiosk: Kiosk) -> None:
    boss = await make_user("boss", admin=True, warehouses=())
    await set_rules(kiosk.warehouse_id, "inclusive", "line", "20", boss)
    receipt = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
    await add_line(receipt, kiosk.warehouse_id, "Lamp", "1", "60.00")  # 20 % inside
    await add_line(receipt, kiosk.warehouse_id, "Bulb", "2", "10.00")
    await ringing.set_receipt_discount(receipt, kiosk.warehouse_id, "10", "percent", "Opening day")
    await take_cash(receipt, kiosk.warehouse_id, kiosk.user_id, "100.00")  # 72.00 due
    assert await set_take_returns(boss, kiosk.user_id, True)
    asked = ReturnRequest(AMOUNT, amount="12.00")
    planned = await plan_return(receipt, kiosk.warehouse_id, asked, kiosk.user_id)
    confirmed = ReturnRequest(AMOUNT, amount="12.00", request_key="k1", minor=planned.amount, split=planned.split_code)
    await take_return(kiosk.engine, receipt, kiosk.warehouse_id, confirmed, kiosk.user_id)

    report = await x_report(kiosk.warehouse_id, TODAY, kiosk.engine.gateway)
    sums = report.block("sales_tax")
    assert sums is not None
    assert [(r.key, r.amount) for r in sums.rows] == [("net", 6000), ("tax", 1200), ("gross", 7200)]
    rates = report.block("tax_rates")
    assert rates is not None and [(r.key, r.amount) for r in rates.rows] == [("tax_20", 1200)]
    assert rates.rows[0].label == "Tax 20 % on $60.00 net ($72.00 gross)"
    off = report.block("discounts")
    assert off is not None and [(r.key, r.amount) for r in off.rows] == [("receipt_discounts", 800)]
    back = report.block("refunds")
    assert back is not None and [(r.key, r.amount) for r in back.rows] == [("cash_return", 1200)]
    assert report.cash_expected == 7200 - 1200
