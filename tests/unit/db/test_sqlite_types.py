"""The kiosk's SQLite converters give what Piccolo's own give, value for value (kiosk/db/sqlite_types.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from piccolo.engine import sqlite as piccolo_sqlite

from kiosk.db import engine as _engine  # noqa: F401 - installs the kiosk's converters
from kiosk.db import sqlite_types

INTEGERS = [b"0", b"7", b"-12", b"123456789012345678901234567890", b"1.0", b"2.5", b"-3.9", b"1e3"]
TIMESTAMPS = [b"2026-12-07 02:15:27", b"2026-12-07 02:15:27.123456", b"2026-12-07 02:15:27+00:00", b"2026-12-07"]


@pytest.mark.parametrize("raw", INTEGERS)
def test_an_integer_column_reads_as_piccolo_reads_it(raw: bytes) -> None:
    assert sqlite_types.int_out(raw) == piccolo_sqlite.convert_int_out(raw)
    assert type(sqlite_types.int_out(raw)) is int


def test_text_in_an_integer_column_is_refused_as_piccolo_refuses_it() -> None:
    with pytest.raises(ArithmeticError):
        piccolo_sqlite.convert_int_out(b"hello")
    with pytest.raises(ArithmeticError):
        sqlite_types.int_out(b"hello")


@pytest.mark.parametrize("raw", [b"1", b"0", b"true", b""])
def test_a_boolean_reads_as_piccolo_reads_it(raw: bytes) -> None:
    assert sqlite_types.boolean_out(raw) is piccolo_sqlite.convert_boolean_out(raw)


@pytest.mark.parametrize("raw", TIMESTAMPS)
def test_timestamps_read_as_piccolo_reads_them(raw: bytes) -> None:
    ours, theirs = sqlite_types.timestamptz_out(raw), piccolo_sqlite.convert_timestamptz_out(raw)
    assert (ours, ours.tzinfo, ours.utcoffset()) == (theirs, theirs.tzinfo, theirs.utcoffset())
    assert sqlite_types.timestamp_out(raw) == piccolo_sqlite.convert_timestamp_out(raw)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 7, 2, 15, 27, 123456, tzinfo=UTC),
        datetime(2026, 12, 7, 2, 15, 27, tzinfo=UTC),
        datetime(2026, 12, 7, 2, 15, 27, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 12, 7, 3, 15, 27, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2026, 12, 7, 3, 15, 27, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 12, 7, 2, 15, 27),
    ],
)
def test_datetimes_are_written_as_piccolo_writes_them(value: datetime) -> None:
    assert sqlite_types.datetime_in(value) == piccolo_sqlite.convert_datetime_in(value)


def test_a_connection_reads_a_row_with_the_kiosks_converters() -> None:
    """What a query gives back through `sqlite3` with declared types, as the engine connects."""
    conn = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
    conn.execute("CREATE TABLE t (n INTEGER, b BOOLEAN, at TIMESTAMPTZ)")
    at = datetime(2026, 12, 7, 2, 15, 27, 5, tzinfo=UTC)
    conn.execute("INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)", (42, True, at, 2.5, False, None))
    assert conn.execute("SELECT n, b, at FROM t").fetchall() == [(42, True, at), (2, False, None)]
