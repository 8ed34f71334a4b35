"""Times where people read them: "5 min ago", "today 14:05", never "2026-12-06 01:29"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kiosk.web.templating import human_time

DUBLIN_WINTER = timezone(timedelta(hours=0))
NOW = datetime(2026, 12, 6, 14, 5, 30, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize(
    ("moment", "said"),
    [
        (NOW - timedelta(seconds=20), "just now"),
        (NOW + timedelta(seconds=20), "just now"),
        (NOW - timedelta(minutes=2, seconds=5), "2 min ago"),
        (NOW - timedelta(minutes=59), "59 min ago"),
        (NOW + timedelta(minutes=15), "in 15 min"),
        (NOW - timedelta(hours=12, minutes=36), "today 01:29"),
        (NOW + timedelta(hours=3), "today 17:05"),
        (NOW - timedelta(days=1), "yesterday 14:05"),
        (NOW + timedelta(days=1, hours=2), "tomorrow 16:05"),
        (NOW - timedelta(days=3), "3 Dec 14:05"),
        (NOW - timedelta(days=400), "1 Nov 2025 14:05"),
    ],
)
def test_moments_read_as_people_say_them(moment: datetime, said: str) -> None:
    assert human_time(moment, NOW) == said


def test_a_moment_stored_in_utc_reads_in_the_local_day() -> None:
    """Stored UTC 23:30 on the 5th is 00:30 on the 6th one hour east: today, not yesterday."""
    stored = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert human_time(stored, NOW) == "today 00:30"
    assert human_time(stored, NOW.astimezone(DUBLIN_WINTER)) == "yesterday 23:30"


def test_nothing_reads_as_nothing() -> None:
    assert human_time(None, NOW) == ""


def test_a_fragment_kept_by_its_polls_keeps_to_the_clock() -> None:
    """Without relative forms a time within the hour reads as a clock time, which an unchanged poll's 204 keeps true."""
    now = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
    assert human_time(now + timedelta(minutes=5), now, relative=False) == "today 14:05"
    assert human_time(now + timedelta(minutes=5), now) == "in 5 min"
