"""The progress poll's one-query path: session, user, warehouse link and payment read together.

Every open till polls its payment every second, and Piccolo's query builder costs more than the
database for such small reads, so the common case (a valid session of the till that owns the
payment) is answered by one hand-written SELECT. Whenever it finds nothing usable (no session,
expired or idle, warehouse not chosen or no longer allowed, another warehouse's payment) the route
takes the usual dependencies instead, which answer exactly as every other till route does.
Used by the route (kiosk/payments/controllers/progress.py) and, before the framework, by
kiosk/payments/poll_fast_path.py.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from kiosk.db import sql
from kiosk.payments.tables import Payment
from kiosk.people.auth import IDLE_TIMEOUT, hash_token, now_utc
from kiosk.people.guards import SESSION_COOKIE, is_htmx

_PAYMENT_COLUMNS = [column._meta.db_column_name for column in Payment._meta.columns]
# Placeholders `{}` (kiosk/db/sql.py): the same text runs on SQLite and PostgreSQL.
LOOKUP = f"""
SELECT {", ".join(f'p."{name}" AS "{name}"' for name in _PAYMENT_COLUMNS)},
       s.last_seen_at AS s_last_seen_at, s.expires_at AS s_expires_at,
       u.active AS u_active, u.admin AS u_admin,
       EXISTS (SELECT 1 FROM user_warehouse uw WHERE uw."user" = s."user" AND uw.warehouse = s.warehouse) AS linked
FROM kiosk_session s
JOIN piccolo_user u ON u.id = s."user"
JOIN payment p ON p.id = {{}}
JOIN receipt r ON r.id = p.receipt AND r.warehouse = s.warehouse
WHERE s.token_hash = {{}}
"""  # noqa: S608 - only the table's own column names are interpolated; values are bound parameters


def _usable(row: dict[str, Any]) -> bool:
    """The same conditions the `login` and `till` dependencies check for a background poll."""
    now = now_utc()
    if not row["u_active"] or now >= row["s_expires_at"] or now - row["s_last_seen_at"] >= IDLE_TIMEOUT:
        return False
    return bool(row["u_admin"]) or bool(row["linked"])


async def usable_payment(token: str, payment_id: int) -> Payment | None:
    """The payment when the session of `token` may see it right now, for an htmx GET (a background
    poll, which the `login` dependency does not count as activity); None means "ask the long way"."""
    # Hand-written SQL's runner (kiosk/db/sql.py): no query builder, and on PostgreSQL a kept
    # connection instead of the pool's acquire and release (kiosk/db/pg_kept.py).
    row = await sql.fetch_one(LOOKUP, payment_id, hash_token(token))
    if row is None or not _usable(row):
        return None
    return Payment(**{name: row[name] for name in _PAYMENT_COLUMNS}, _exists_in_db=True)


async def payment_for_poll(request: Request[Any, Any, Any], payment_id: int) -> Payment | None:
    """The payment when the request's session may see it right now; None means "ask the long way"
    (also for a GET without htmx: the `login` dependency counts that as activity, this path cannot)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not is_htmx(request):
        return None
    return await usable_payment(token, payment_id)
