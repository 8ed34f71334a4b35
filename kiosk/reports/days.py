"""A warehouse's local day: its time zone, and the day as a span of UTC time the queries use.

The day's close covers a warehouse's day as its people live it (midnight to midnight where the
shop is), whatever zone the server runs in; daylight saving days are 23 or 25 hours long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from kiosk.shop.timezones import zone


@dataclass(frozen=True)
class Day:
    """One local day of a warehouse, with its bounds in UTC: [start, end)."""

    day: date
    timezone: str
    start: datetime
    end: datetime

    @property
    def unix_span(self) -> tuple[int, int]:
        """Stripe's `created[gte]` / `created[lt]` bounds."""
        return int(self.start.timestamp()), int(self.end.timestamp())

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(zone(self.timezone))


def local_day(day: date, timezone: str) -> Day:
    tz = zone(timezone)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return Day(day, timezone, start, end)


def today(timezone: str, now: datetime | None = None) -> date:
    """The warehouse's date right now."""
    return (now or datetime.now(UTC)).astimezone(zone(timezone)).date()


def parse_day(text: str, timezone: str) -> date:
    """A typed or linked day (YYYY-MM-DD); today when blank. ValueError says what is wrong."""
    if not text.strip():
        return today(timezone)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"“{text.strip()}” is not a date. Use the form 2026-12-06.") from exc
    if day > today(timezone):
        raise ValueError(f"{day.isoformat()} has not begun yet in {timezone}.")
    return day
