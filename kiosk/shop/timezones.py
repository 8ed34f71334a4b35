"""The time zone a warehouse's days run in: IANA names (`Europe/Berlin`), checked with zoneinfo."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_TIMEZONE = "UTC"


@cache
def timezone_names() -> tuple[str, ...]:
    """The IANA zones this machine knows, sorted (the Warehouses admin's choices)."""
    return tuple(sorted(available_timezones() | {DEFAULT_TIMEZONE}))


def zone(name: str) -> ZoneInfo:
    """The zone called `name`; UTC for a name this machine does not know (an old row)."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def timezone_problem(name: str) -> str | None:
    """Why `name` is not a time zone the kiosk can use, or None."""
    if not name:
        return "Choose a time zone, like Europe/Berlin or America/New_York."
    if name not in timezone_names():
        return f"“{name}” is not a time zone this server knows. Use a name like Europe/Berlin or America/New_York."
    return None
