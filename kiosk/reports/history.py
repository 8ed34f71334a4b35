"""The last days of a warehouse for the admins' charts: sales by tender per local day (added up in
SQL per day, as the day's report does) and each closed day's cash difference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from kiosk.reports.closing import closed_by_day
from kiosk.reports.day_report import Place, scope_of
from kiosk.reports.days import local_day, today
from kiosk.reports.figures import tenders

DAYS = 30


@dataclass(frozen=True)
class DayTotals:
    day: date
    cash: int
    card: int
    z_number: int | None  # the Z report that closed it
    cash_difference: int | None  # counted - expected, of a closed day

    @property
    def sales(self) -> int:
        return self.cash + self.card


async def last_days(where: Place, days: int = DAYS) -> list[DayTotals]:
    """Oldest first, ending today (the warehouse's today)."""
    closes = await closed_by_day(where.id)
    last = today(where.timezone)
    found: list[DayTotals] = []
    for back in range(days - 1, -1, -1):
        day = last - timedelta(days=back)
        part = await tenders(scope_of(where, local_day(day, where.timezone)))
        rows = {row.key: row.amount for row in part.blocks[0].rows}
        z = closes.get(day)
        found.append(
            DayTotals(day, rows["cash"], rows["card"], z.number if z else None, z.cash_difference if z else None)
        )
    return found
