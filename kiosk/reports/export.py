"""A day's report as CSV, one line per figure: section, line, key, count, amount (in the currency's
units, like 12.50), currency; the differences with Stripe add Stripe's amount and what is wrong.
For a spreadsheet or the accountant."""

from __future__ import annotations

import csv
import io

from kiosk.money.amounts import format_decimal
from kiosk.reports.day_report import DayReport

# A mismatch with Stripe puts the kiosk's amount under `amount` and Stripe's under `stripe_amount`.
HEADER = ("section", "line", "key", "count", "amount", "currency", "stripe_amount", "note")


def report_csv(report: DayReport) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")

    def money(amount: int) -> str:
        return format_decimal(amount, report.currency)

    title = f"Z #{report.number}" if report.number is not None else "X"
    w.writerow(["report", title, report.warehouse_name, report.day, report.timezone, report.made_at])
    w.writerow(HEADER)
    for block in report.blocks:
        for row in block.rows:
            w.writerow([block.key, row.label, row.key, row.count, money(row.amount), report.currency])
        if block.totalled:
            w.writerow([block.key, "Total", "total", block.count, money(block.amount), report.currency])
    w.writerow(["takings", "Net takings", "net", "", money(report.takings), report.currency])
    w.writerow(["receipts", "Paid", "paid", report.receipts.paid, money(report.receipts.paid_total), report.currency])
    w.writerow(["receipts", "Voided", "voided", report.receipts.voided, "", report.currency])
    w.writerow(["receipts", "Still open", "open", report.receipts.still_open, "", report.currency])
    w.writerow(["cash", "Expected", "expected", "", money(report.cash_expected), report.currency])
    if report.cash_counted is not None and report.cash_difference is not None:
        w.writerow(["cash", "Counted", "counted", "", money(report.cash_counted), report.currency])
        w.writerow(["cash", "Difference", "difference", "", money(report.cash_difference), report.currency])
    check = report.stripe
    if check.checked:
        w.writerow(["stripe", "Charged (Stripe)", "charged", "", money(check.charged), report.currency])
        w.writerow(["stripe", "Charged (kiosk)", "kiosk_charged", "", money(check.kiosk_charged), report.currency])
        w.writerow(["stripe", "Refunded (Stripe)", "refunded", "", money(check.refunded), report.currency])
        w.writerow(["stripe", "Refunded (kiosk)", "kiosk_refunded", "", money(check.kiosk_refunded), report.currency])
        for m in check.mismatches:
            amounts = [money(a) if a is not None else "" for a in (m.kiosk, m.stripe)]
            w.writerow(
                [
                    "mismatch",
                    f"Receipt #{m.receipt}" if m.receipt else "No receipt",
                    m.reference,
                    "",
                    amounts[0],
                    report.currency,
                    amounts[1],
                    m.problem,
                ]
            )
    else:
        w.writerow(["stripe", "Not checked", "unchecked", "", "", report.currency, "", check.unchecked])
    return out.getvalue()
