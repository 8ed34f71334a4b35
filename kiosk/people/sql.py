"""The people room's hand-written SQL, for the reads every request makes.

Every page, fragment and form post of a till loads its session, user and warehouse, and checks that
the user may still work there: at a chain's volume Piccolo's query building costs more than the
database for these point reads. The text runs on SQLite and PostgreSQL alike (`{}` placeholders are
Piccolo's, bound as parameters; types come back as Piccolo's own queries give them).
"""

from __future__ import annotations

from typing import Any

from kiosk.db import sql

# The columns are named as Piccolo's `Session.select(Session.user.id, ...)` names them.
SESSION = """
SELECT s.id AS "id", s.last_seen_at AS "last_seen_at", s.expires_at AS "expires_at",
       u.id AS "user.id", u.username AS "user.username", u.admin AS "user.admin", u.active AS "user.active",
       w.id AS "warehouse.id", w.name AS "warehouse.name", w.currency AS "warehouse.currency",
       w.locale AS "warehouse.locale",
       EXISTS (SELECT 1 FROM user_warehouse uw WHERE uw."user" = s."user" AND uw.warehouse = s.warehouse)
           AS "linked"
FROM kiosk_session s
LEFT JOIN piccolo_user u ON u.id = s."user"
LEFT JOIN warehouse w ON w.id = s.warehouse
WHERE s.token_hash = {}
"""


async def session_row(token_hash: str) -> dict[str, Any] | None:
    """The session of a token hash with its user and warehouse, and whether the user is linked to
    that warehouse (`linked`); None when no session has this hash."""
    return await sql.fetch_one(SESSION, token_hash)


# Returns at the till: a paid receipt's page asks whether its cashier may take them.
MAY_TAKE_RETURNS = """
SELECT u.active AS "active", u.admin AS "admin",
       EXISTS (SELECT 1 FROM user_permission p WHERE p."user" = u.id AND p.take_returns) AS "allowed"
FROM piccolo_user u
WHERE u.id = {}
"""


async def return_rights(user_id: int) -> dict[str, Any] | None:
    """The user's `active` and `admin` flags and whether their own row `allowed` returns; None when
    there is no such user (values as truthy ints on SQLite, booleans on PostgreSQL)."""
    return await sql.fetch_one(MAY_TAKE_RETURNS, user_id)
