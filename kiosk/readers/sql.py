"""The readers room's hand-written SQL: the reader snapshot's reads and writes of a sale.

Every picker and every start reads a location's snapshot, and every call that returns a reader
writes it: at a chain's volume Piccolo's query building costs more than the database for these. The
text runs on SQLite and PostgreSQL alike (`{}` placeholders are Piccolo's, bound; kiosk/db/sql.py).
Columns are selected by name, so their declared types convert them on SQLite as for Piccolo's queries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiosk.db import sql as db

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
    return await db.fetch(SNAPSHOT, location_id)


# One reader, unless what is stored was observed later (older news never overwrites newer).
STORE = """
INSERT INTO reader_status (reader_id, location_id, label, device_type, online, action_type,
    action_status, action_intent, observed_at)
VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})
ON CONFLICT (reader_id) DO UPDATE SET location_id = EXCLUDED.location_id, label = EXCLUDED.label,
    device_type = EXCLUDED.device_type, online = EXCLUDED.online, action_type = EXCLUDED.action_type,
    action_status = EXCLUDED.action_status, action_intent = EXCLUDED.action_intent,
    observed_at = EXCLUDED.observed_at
WHERE reader_status.observed_at <= EXCLUDED.observed_at
"""


async def store_reader(
    reader_id: str,
    location_id: str,
    label: str,
    device_type: str,
    online: bool,
    action: tuple[str, str, str | None] | None,
    observed_at: datetime,
) -> None:
    """`action`: its type, status and the intent it is about (None: no action)."""
    kind, status, intent = action if action else (None, None, None)
    await db.execute(STORE, reader_id, location_id, label, device_type, online, kind, status, intent, observed_at)


LOCATION_OF = 'SELECT stripe_location_id AS "location" FROM location_pairing WHERE warehouse = {}'


async def location_of(warehouse_id: int) -> str | None:
    """The Stripe Terminal location paired with the warehouse, if any."""
    row = await db.fetch_one(LOCATION_OF, warehouse_id)
    return str(row["location"]) if row else None
