"""Hand-written SQL for the hot paths: one way to run it, for every room's `sql.py`.

At a chain's volume Piccolo's query building (its `Select`/`Where` objects, compiled per call) costs
more CPU than the database itself for the point reads and writes a sale makes. A room that owns a hot
path keeps its hand-written statements in its own `sql.py` and runs them here. The text must run on
SQLite and PostgreSQL alike: `{}` marks a parameter (Piccolo's placeholder, bound, never formatted);
rows come back as dicts keyed by the column names (alias them `"a.b"` to match what Piccolo's own
queries return). Inside a Piccolo transaction the statement runs on that transaction's connection.
"""

from __future__ import annotations

from typing import Any

from piccolo.querystring import QueryString

from kiosk.db.tables import Setting


def _engine() -> Any:
    return Setting._meta.db


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Every row of `sql` with `args` bound to its `{}` placeholders."""
    engine = _engine()
    results = await engine.run_querystring(QueryString(sql, *args))
    if not results:
        return []
    rows: list[dict[str, Any]] = engine.transform_response_to_dicts(results)
    return rows


async def fetch_one(sql: str, *args: Any) -> dict[str, Any] | None:
    """The first row of `sql`, or None."""
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def fetch_value(sql: str, *args: Any) -> Any:
    """The first column of the first row of `sql`, or None."""
    row = await fetch_one(sql, *args)
    return next(iter(row.values())) if row else None


async def execute(sql: str, *args: Any) -> list[dict[str, Any]]:
    """A write (INSERT/UPDATE/DELETE, with `RETURNING` when its rows are wanted)."""
    return await fetch(sql, *args)
