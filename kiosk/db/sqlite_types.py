"""SQLite's values as Python values, the way Piccolo reads and writes them, for less CPU.

Piccolo registers process-wide converters with the `sqlite3` module for the declared column types
(`piccolo/engine/sqlite.py`): every non-NULL value of an INTEGER, BOOLEAN or TIMESTAMPTZ column
read by any query, Piccolo's or hand-written, goes through one of them, and every datetime written
through its adapter. They are general: an integer is decoded to text, parsed as a `Decimal` and
made an `int`; each is wrapped in a function that tests whether it was given bytes or text; an aware
datetime is converted to UTC even when it is in UTC already. A sale reads a few hundred such
values (the session, the receipt, its payment rows), so these calls were several percent of a
sale's server CPU.

`install()` registers, for the same type names, functions that give the same values faster:
- INTEGER: `int()` of the bytes SQLite gives (an integer's text), Piccolo's own conversion for
  anything else (a REAL such as `1.0` or `2.5` stored in the column: `int(Decimal(...))`, or its error);
- BOOLEAN: `b"1"` is True, as Piccolo compares the text with `"1"`;
- TIMESTAMP / TIMESTAMPTZ: `datetime.fromisoformat` of the text (UTC attached for TIMESTAMPTZ);
- datetimes written: one in `timezone.utc` is written as it is (`str`), any other as Piccolo does.
`tests/unit/db/test_sqlite_types.py` checks each against Piccolo's own on the same inputs.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from piccolo.engine import sqlite as piccolo_sqlite

_piccolo_int = piccolo_sqlite.convert_int_out
_piccolo_datetime_in = piccolo_sqlite.convert_datetime_in


def int_out(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:
        return int(_piccolo_int(value))


def boolean_out(value: bytes) -> bool:
    return value == b"1"


def timestamp_out(value: bytes) -> datetime:
    return datetime.fromisoformat(value.decode())


def timestamptz_out(value: bytes) -> datetime:
    return datetime.fromisoformat(value.decode()).replace(tzinfo=UTC)


def datetime_in(value: datetime) -> str:
    if value.tzinfo is UTC:
        return str(value)
    return _piccolo_datetime_in(value)


CONVERTERS = {"INTEGER": int_out, "BOOLEAN": boolean_out, "TIMESTAMP": timestamp_out, "TIMESTAMPTZ": timestamptz_out}


def install() -> None:
    """In Piccolo's place, for every SQLite connection of the process (Piccolo's module is imported
    first, so its registrations come before these)."""
    for name, converter in CONVERTERS.items():
        sqlite3.register_converter(name, converter)
    sqlite3.register_adapter(datetime, datetime_in)
