"""The Z report: closes a warehouse's local day once, numbered per warehouse, its figures frozen.

The cashier counts the drawer and types the count; the report keeps it next to the cash expected
and the difference. A day is closed once: the check before the write is for the message, the
unique index on (warehouse, day) is what holds when two people close the same day at the same
moment (the second gets "already closed" and nothing is written). Closing goes to the audit log.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Max

from kiosk.audit import trail as audit
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors, field_error
from kiosk.money.amounts import MoneyError, format_money, parse_amount
from kiosk.reports.day_report import DayReport, Z, as_z, make_report, place
from kiosk.reports.days import local_day, parse_day
from kiosk.reports.tables import DayClose
from kiosk.shop.timezones import zone
from kiosk.stripe_account.gateway import StripeGateway

_ZERO = re.compile(r"^0+([.,]0*)?$")


class ZNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ZSummary:
    id: int
    number: int
    day: date
    currency: str
    cash_expected: int
    cash_counted: int
    cash_difference: int
    mismatches: int
    stripe_unchecked: str
    closed_by: str
    closed_at: datetime


def parse_count(text: str, currency: str) -> int:
    """The cash counted in the drawer, in minor units (an empty drawer is 0); MoneyError if it is not an amount."""
    typed = text.strip()
    if not typed:
        raise MoneyError("Count the cash in the drawer and enter the total (0 if it is empty).")
    if _ZERO.match(typed):
        return 0
    return parse_amount(typed, currency)


def _is_duplicate(exc: BaseException) -> bool:
    # sqlite3.IntegrityError / asyncpg's UniqueViolationError: the unique index said no.
    return type(exc).__name__ in {"IntegrityError", "UniqueViolationError"}


async def _closed(warehouse_id: int, day: date) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await DayClose.select(DayClose.number, DayClose.closed_at, DayClose.closed_by.username, DayClose.timezone)
        .where((DayClose.warehouse == warehouse_id) & (DayClose.day == day))
        .first()
    )
    return row


def _already(day: date, row: dict[str, Any]) -> FormErrors:
    at = row["closed_at"].astimezone(zone(str(row["timezone"]))).strftime("%H:%M on %Y-%m-%d")
    who = row["closed_by.username"] or "someone"
    return field_error(
        "day",
        f"{day.isoformat()} is already closed: Z #{row['number']} by {who} at {at}. Reprint it from the list below.",
    )


async def close_day(
    warehouse_id: int, user_id: int, username: str, day_text: str, counted_text: str, gateway: StripeGateway | None
) -> int:
    """Make, number and keep the Z report of a day; its id. FormErrors (nothing saved) for a day
    that is not a date, has not begun, or is closed already, and for a count that is not an amount."""
    where = await place(warehouse_id)
    errors: dict[str, str] = {}
    day: date | None = None
    try:
        day = parse_day(day_text, where.timezone)
    except ValueError as exc:
        errors["day"] = str(exc)
    try:
        counted = parse_count(counted_text, where.currency)
    except MoneyError as exc:
        errors["cash_counted"] = str(exc)
    if day is not None and (existing := await _closed(warehouse_id, day)):
        errors.update(_already(day, existing).errors)
    if errors or day is None:
        raise FormErrors(errors)
    report = await make_report(where, local_day(day, where.timezone), gateway, kind=Z)
    try:
        return await _keep(report, day, counted, user_id, username)
    except Exception as exc:
        if not _is_duplicate(exc):
            raise
        if existing := await _closed(warehouse_id, day):
            raise _already(day, existing) from exc
        raise field_error("day", "Another Z report was being made at the same moment. Try again.") from exc


async def _keep(report: DayReport, day: date, counted: int, user_id: int, username: str) -> int:
    async with write_transaction(DayClose._meta.db):
        last = await DayClose.select(Max(DayClose.number).as_alias("last")).where(
            DayClose.warehouse == report.warehouse_id
        )
        number = int(last[0]["last"] or 0) + 1
        z = as_z(report, number, counted, username)
        difference = counted - z.cash_expected
        rows = await DayClose.insert(
            DayClose(
                warehouse=report.warehouse_id,
                number=number,
                day=day,
                timezone=report.timezone,
                currency=report.currency,
                cash_expected=z.cash_expected,
                cash_counted=counted,
                cash_difference=difference,
                mismatches=len(z.stripe.mismatches),
                stripe_unchecked=z.stripe.unchecked,
                figures=z.to_json(),
                closed_by=user_id,
            )
        ).returning(DayClose.id)
        detail = {
            "z": number,
            "day": day.isoformat(),
            "cash_expected": format_money(z.cash_expected, z.currency),
            "cash_counted": format_money(counted, z.currency),
            "difference": format_money(difference, z.currency),
            "stripe_mismatches": len(z.stripe.mismatches),
        }
        await audit.record(user_id, "day.close", f"warehouse {report.warehouse_name}", detail)
    return int(rows[0]["id"])


async def z_reports(warehouse_id: int, limit: int = 60) -> list[ZSummary]:
    """The warehouse's Z reports, newest first."""
    rows = await (
        DayClose.select(
            DayClose.id,
            DayClose.number,
            DayClose.day,
            DayClose.currency,
            DayClose.cash_expected,
            DayClose.cash_counted,
            DayClose.cash_difference,
            DayClose.mismatches,
            DayClose.stripe_unchecked,
            DayClose.closed_by.username,
            DayClose.closed_at,
        )
        .where(DayClose.warehouse == warehouse_id)
        .order_by(DayClose.number, ascending=False)
        .limit(limit)
    )
    return [
        ZSummary(
            r["id"],
            r["number"],
            r["day"],
            r["currency"],
            r["cash_expected"],
            r["cash_counted"],
            r["cash_difference"],
            r["mismatches"],
            r["stripe_unchecked"],
            r["closed_by.username"] or "",
            r["closed_at"],
        )
        for r in rows
    ]


async def z_report(z_id: int, warehouse_id: int | None = None) -> DayReport:
    """A kept Z report as it was made (`warehouse_id`: only if it is that warehouse's)."""
    where: Any = DayClose.id == z_id
    if warehouse_id is not None:
        where = where & (DayClose.warehouse == warehouse_id)
    row = await DayClose.select(DayClose.figures).where(where).first()
    if row is None:
        raise ZNotFound(z_id)
    figures = row["figures"]
    data = figures if isinstance(figures, dict) else json.loads(figures)
    return DayReport.from_json(data)


async def closed_by_day(warehouse_id: int) -> dict[date, ZSummary]:
    return {z.day: z for z in await z_reports(warehouse_id)}
