"""The 30-day charts (SVG shapes on a round scale) and a report's CSV and frozen JSON form."""

from __future__ import annotations

from datetime import date

from kiosk.reports.charts import HEIGHT, cash_difference_chart, sales_chart
from kiosk.reports.day_report import DayReport
from kiosk.reports.export import report_csv
from kiosk.reports.figures import Block, ReceiptCounts, Row
from kiosk.reports.history import DayTotals
from kiosk.reports.stripe_check import Mismatch, StripeCheck


def test_sales_bars_stack_cash_under_card_on_a_round_scale() -> None:
    days = [DayTotals(date(2026, 12, 5), 0, 0, None, None), DayTotals(date(2026, 12, 6), 3000, 4500, 1, -50)]
    chart = sales_chart(days, "usd")
    cash, card = chart.bars
    assert (cash.css, card.css) == ("bar-cash", "bar-card")
    assert abs(cash.y - card.y - card.height) < 0.01  # card sits on top of cash
    assert abs((cash.height + card.height) / (chart.baseline - 12) - 0.75) < 0.01  # $75 on a $100 scale
    assert [t.label for t in chart.ticks] == ["$0.00", "$25.00", "$50.00", "$75.00", "$100.00"]
    assert card.title == "2026-12-06 card $45.00" and not chart.empty


def test_cash_difference_bars_go_up_when_over_and_down_when_short() -> None:
    days = [DayTotals(date(2026, 12, 5), 100, 0, 1, 200), DayTotals(date(2026, 12, 6), 100, 0, 2, -100)]
    over, short = cash_difference_chart(days, "usd").bars
    assert over.css == "bar-over" and over.y + over.height <= HEIGHT / 2 + 1
    assert short.css == "bar-short" and short.title == "2026-12-06 Z #2: cash short $1.00"
    assert cash_difference_chart(days[:0], "usd").empty


def _report() -> DayReport:
    tenders = Block("tenders", "Sales by tender", (Row("Cash", 1, 1250, "cash"), Row("Card", 2, 3000, "card")))
    check = StripeCheck(True, "", 3100, 0, 3000, 0, (Mismatch("7", "The amounts differ.", 1000, 1100, "ch_1"),))
    return DayReport(
        "Z", 1, "Main", "usd", "2026-12-06", "Europe/Berlin", "2026-12-06T21:00:00+00:00", (tenders,),
        1250, 4250, ReceiptCounts(3, 4250, 0, 1), check, number=4, cash_counted=1200, closed_by="ana",
    )  # fmt: skip


def test_a_z_report_survives_its_frozen_json_form() -> None:
    report = _report()
    assert DayReport.from_json(report.to_json()) == report
    assert report.cash_difference == -50 and report.made_local == "2026-12-06 22:00" and report.title == "Z report #4"


def test_the_csv_has_a_line_per_figure_and_per_difference() -> None:
    lines = report_csv(_report()).splitlines()
    assert lines[0] == "report,Z #4,Main,2026-12-06,Europe/Berlin,2026-12-06T21:00:00+00:00"
    assert lines[1] == "section,line,key,count,amount,currency,stripe_amount,note"
    assert "tenders,Total,total,3,42.50,usd" in lines
    assert "cash,Difference,difference,,-0.50,usd" in lines
    assert "mismatch,Receipt #7,ch_1,,10.00,usd,11.00,The amounts differ." in lines
