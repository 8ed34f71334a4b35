"""The readers room's hand-written SQL, for its hot paths (kiosk/db/sql.py runs it on either database).

Each section serves one path and is headed by a comment naming it. `{}` placeholders are bound
parameters; the text runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.db.sql import execute

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


async def upsert_reader_status(
    reader_id: str,
    location_id: str,
    label: str,
    device_type: str,
    online: bool,
    action: tuple[str | None, str | None, str | None],
    observed_at: datetime,
) -> None:
    """`action`: the reader's action (type, status, intent), Nones when it has none."""
    await execute(UPSERT_READER_STATUS, reader_id, location_id, label, device_type, online, *action, observed_at)
