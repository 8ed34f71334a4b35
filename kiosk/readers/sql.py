"""The readers room's hand-written SQL, for its hot paths (kiosk/db/sql.py runs it on either database).

Each section serves one path and is headed by a comment naming it. `{}` placeholders are bound
parameters; the text runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiosk.db.sql import execute, fetch, fetch_one

# Webhooks
#
# Every reader event (and every reader a Stripe call returns) updates the picker's snapshot: one
# upsert, which older news never wins over newer.

UPSERT_READER_STATUS = """
INSERT INTO reader_status
    (reader_id, location_id, label, device_type, online, action_type, action_status, action_intent, observed_at)
VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})
ON CONFLICT (reader_id) DO UPDATE SET
    location_id = excluded.location_id, label = excluded.label, device_type = excluded.device_type,
    online = excluded.online, action_type = excluded.action_type, action_status = excluded.action_status,
    action_intent = excluded.action_intent, observed_at = excluded.observed_at
WHERE reader_status.observed_at <= excluded.observed_at
"""


def reader_status_upsert(
    reader_id: str,
    location_id: str,
    label: str,
    device_type: str,
    online: bool,
    action: tuple[str | None, str | None, str | None],
    observed_at: datetime,
) -> tuple[str, tuple[Any, ...]]:
    """The upsert and its arguments (run by the caller, maybe with others); `action`: the reader's
    action (type, status, intent), Nones when it has none."""
    return UPSERT_READER_STATUS, (reader_id, location_id, label, device_type, online, *action, observed_at)


async def write(statement: tuple[str, tuple[Any, ...]]) -> None:
    await execute(statement[0], *statement[1])


# The reader picker and the start of a payment

# The location's last listing and its readers (one row with no reader when it has none), by label.
SNAPSHOT = """
SELECT l.listed_at AS "listed_at", s.reader_id AS "reader_id", s.location_id AS "location_id",
       s.label AS "label", s.device_type AS "device_type", s.online AS "online",
       s.action_type AS "action_type", s.action_status AS "action_status",
       s.action_intent AS "action_intent", s.observed_at AS "observed_at"
FROM reader_listing l
LEFT JOIN reader_status s ON s.location_id = l.location_id
WHERE l.location_id = {}
ORDER BY s.label
"""


async def snapshot_rows(location_id: str) -> list[dict[str, Any]]:
    """No rows: the location was never listed."""
    return await fetch(SNAPSHOT, location_id)


LOCATION_OF = 'SELECT stripe_location_id AS "location" FROM location_pairing WHERE warehouse = {}'


async def location_of(warehouse_id: int) -> str | None:
    """The Stripe Terminal location paired with the warehouse, if any."""
    row = await fetch_one(LOCATION_OF, warehouse_id)
    return str(row["location"]) if row else None
