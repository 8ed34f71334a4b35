"""A warehouse's local day as UTC bounds: midnight to midnight where the shop is, 23 or 25 hours on
daylight saving days; typed days and time zones refused with a reason."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from kiosk.reports.days import local_day, parse_day, today
from kiosk.shop.timezones import timezone_problem, zone


def test_a_day_in_berlin_starts_at_its_midnight() -> None:
    day = local_day(date(2026, 7, 1), "Europe/Berlin")
    assert day.start == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert day.end == datetime(2026, 7, 1, 22, 0, tzinfo=UTC)
    assert day.unix_span == (int(day.start.timestamp()), int(day.end.timestamp()))


@pytest.mark.parametrize(("on", "hours"), [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25), (date(2026, 6, 1), 24)])
def test_daylight_saving_days_are_23_or_25_hours_long(on: date, hours: int) -> None:
    day = local_day(on, "America/New_York")
    assert day.end - day.start == timedelta(hours=hours)


def test_today_is_the_warehouse_date_not_the_servers() -> None:
    late_evening_utc = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert today("Pacific/Kiritimati", late_evening_utc) == date(2026, 12, 7)
    assert today("America/Los_Angeles", late_evening_utc) == date(2026, 12, 6)


def test_typed_days() -> None:
    assert parse_day("", "UTC") == today("UTC")
    assert parse_day(" 2026-01-02 ", "UTC") == date(2026, 1, 2)
    with pytest.raises(ValueError, match=re.escape("“02/01/2026” is not a date. Use the form 2026-12-06.")):
        parse_day("02/01/2026", "UTC")
    with pytest.raises(ValueError, match="has not begun yet in UTC"):
        parse_day((today("UTC") + timedelta(days=1)).isoformat(), "UTC")


def test_time_zones_are_checked_with_zoneinfo() -> None:
    assert timezone_problem("Europe/Berlin") is None and timezone_problem("UTC") is None
    assert timezone_problem("") == "Choose a time zone, like Europe/Berlin or America/New_York."
    assert "is not a time zone this server knows" in (timezone_problem("Europe/Atlantis") or "")
    assert "is not a time zone" in (timezone_problem("../etc/passwd") or "")
    assert zone("no/such") == zone("UTC")  # an old row with a zone this machine lost still reads
