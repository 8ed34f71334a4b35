"""The payments room's hand-written SQL, for its hot paths (kiosk/db/sql.py runs it on either database).

Each section serves one path and is headed by a comment naming it. The text runs on SQLite and
PostgreSQL alike: `{}` placeholders are bound parameters, never formatted; only the tables' own
column names are interpolated. Rows come back as Piccolo's own queries give them (on SQLite the
declared column types convert timestamps and booleans, so columns are selected as they are).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from piccolo.columns import JSON
from piccolo.utils.encoding import dump_json

from kiosk.db import sql
from kiosk.db.sql import execute, fetch_one
from kiosk.payments.states import REQUIRES_CAPTURE, SETTLED
from kiosk.payments.tables import Payment
from kiosk.shop.tables import OPEN, PAID

_PAYMENT_COLUMNS = [column._meta.db_column_name for column in Payment._meta.columns]

# Reads for the receipt page

# Every card payment of a receipt, oldest first, each column by itself (so SQLite converts it by
# its declared type, as Piccolo's own query would).
RECEIPT_PAYMENTS = f"""
SELECT {", ".join(f'p."{name}" AS "{name}"' for name in _PAYMENT_COLUMNS)}
FROM payment p WHERE p.receipt = {{}} ORDER BY p.id
"""  # noqa: S608 - only the table's own column names are interpolated; values are bound parameters


async def receipt_payments(receipt_id: int) -> list[Payment]:
    """The receipt's card payments, oldest first, as `Payment.objects()` would give them."""
    rows = await sql.fetch(RECEIPT_PAYMENTS, receipt_id)
    return [Payment(**{name: row[name] for name in _PAYMENT_COLUMNS}, _exists_in_db=True) for row in rows]


# Whether the receipt has a tender: cash taken, or a card payment in none of the `released` states
# (the caller's; the placeholders are made for them, the states are bound).
HAS_TENDERS = """
SELECT CASE WHEN EXISTS (SELECT 1 FROM cash_tender c WHERE c.receipt = {{}})
         OR EXISTS (SELECT 1 FROM payment p WHERE p.receipt = {{}} AND p.state NOT IN ({released}))
       THEN 1 ELSE 0 END AS "tendered"
"""


async def has_tenders(receipt_id: int, released: Collection[str]) -> bool:
    """Any cash tender, or any card payment whose state is not in `released`, on the receipt."""
    states = sorted(released) or [""]
    text = HAS_TENDERS.format(released=", ".join("{}" for _ in states))
    return bool(await sql.fetch_value(text, receipt_id, receipt_id, *states))


# Webhooks
#
# A Stripe event costs one transaction: whether its id is recorded already and the payment of its
# PaymentIntent are read together, the state move is one conditional UPDATE (its log line, the
# reader's lease and the receipt's closing with it), and the event's row is inserted last.

_PAYMENT_COLUMNS = [column._meta.db_column_name for column in Payment._meta.columns]
_JSON_COLUMNS = frozenset(column._meta.db_column_name for column in Payment._meta.columns if isinstance(column, JSON))

EVENT_AND_PAYMENT = f"""
SELECT (SELECT w.id FROM webhook_event w WHERE w.event_id = {{}}) AS "seen",
       {", ".join(f'p."{name}" AS "{name}"' for name in _PAYMENT_COLUMNS)}
FROM (SELECT 1 AS one) AS q
LEFT JOIN payment p ON p.payment_intent_id = {{}}
"""  # noqa: S608 - only the table's own column names are interpolated; values are bound parameters

INSERT_EVENT = """
INSERT INTO webhook_event (event_id, type, received_at, payment, outcome) VALUES ({}, {}, {}, {}, {})
"""

INSERT_LOG = 'INSERT INTO payment_log (payment, "at", step, detail, code) VALUES ({}, {}, {}, {}, {})'

RELEASE_LEASE = "DELETE FROM reader_lease WHERE payment = {} AND refund IS NULL"

# The receipt closes once cash applied and the card payments counting as paid (settled, or an
# authorization kept for capture: states.counts_as_paid) cover its total (settlement.balance).
CLOSE_RECEIPT = f"""
UPDATE receipt SET status = {{}}, closed_at = {{}}
WHERE id = {{}} AND status = {{}} AND total > 0
  AND total <= (SELECT COALESCE(SUM(c.amount), 0) FROM cash_tender c WHERE c.receipt = receipt.id)
             + (SELECT COALESCE(SUM(p.amount), 0) FROM payment p
                WHERE p.receipt = receipt.id
                  AND (p.state IN ({", ".join("{}" for _ in SETTLED)})
                       OR (p.state = {{}} AND p.keep_for_capture = {{}})))
"""  # noqa: S608 - only placeholders are interpolated


def _value(name: str, value: Any) -> Any:
    if name in _JSON_COLUMNS and not isinstance(value, str):
        return dump_json(value)
    return value


async def event_and_payment(event_id: str, intent_id: str | None) -> tuple[bool, Payment | None]:
    """Whether the event is recorded already, and the kiosk's payment of this PaymentIntent."""
    row = await fetch_one(EVENT_AND_PAYMENT, event_id, intent_id or "")
    if row is None:
        return False, None
    payment = None
    if row["id"] is not None:
        payment = Payment(**{name: row[name] for name in _PAYMENT_COLUMNS}, _exists_in_db=True)
    return row["seen"] is not None, payment


async def insert_event(event_id: str, type_: str, received_at: datetime, payment_id: int | None, outcome: str) -> None:
    await execute(INSERT_EVENT, event_id, type_, received_at, payment_id, outcome)


async def update_payment(
    payment_id: int, fields: Mapping[str, Any], only_in: Collection[str] | None = None
) -> int | None:
    """Write columns of one payment (limited to rows still in `only_in` states when given);
    returns its receipt id when a row was written, else None."""
    names = list(fields)
    unknown = [name for name in names if name not in _PAYMENT_COLUMNS or name == "id"]
    if unknown:
        raise ValueError(f"not columns of payment: {unknown}")
    sets = ", ".join(f'"{name}" = {{}}' for name in names)
    where = "id = {}"
    args: list[Any] = [_value(name, fields[name]) for name in names]
    args.append(payment_id)
    if only_in is not None:
        states = list(only_in)
        if not states:
            return None
        where += f" AND state IN ({', '.join('{}' for _ in states)})"
        args.extend(states)
    rows = await execute(f"UPDATE payment SET {sets} WHERE {where} RETURNING receipt", *args)  # noqa: S608
    return int(rows[0]["receipt"]) if rows else None


async def insert_log(payment_id: int, at: datetime, step: str, detail: str, code: str | None) -> None:
    await execute(INSERT_LOG, payment_id, at, step, detail, code)


async def release_lease(payment_id: int) -> None:
    await execute(RELEASE_LEASE, payment_id)


async def close_receipt_if_paid(receipt_id: int, at: datetime) -> None:
    """Close an open receipt whose tenders now cover its total (settlement.refresh_receipt_status)."""
    await execute(CLOSE_RECEIPT, PAID, at, receipt_id, OPEN, *sorted(SETTLED), REQUIRES_CAPTURE, True)


# An idle server's reconciler: each tick first asks this one cheap question, and takes its full
# passes (recovery.run_forever) only when something may be waiting: a payment or an in-person refund
# whose `reconcile_after` has passed, or a lease held by a process of this host (one that died is
# taken over by the pass). Each answer is a superset of what the passes themselves look for.
ANYTHING_DUE = """
SELECT EXISTS (SELECT 1 FROM payment WHERE reconcile_after <= {}) AS "payments",
       EXISTS (SELECT 1 FROM refund WHERE reconcile_after <= {}) AS "refunds",
       EXISTS (SELECT 1 FROM payment_lease WHERE holder LIKE {}) AS "leases"
"""


async def anything_due(now: datetime, holder_prefix: str) -> bool:
    """Whether the reconciler's tick has anything to look at (see ANYTHING_DUE)."""
    row = await fetch_one(ANYTHING_DUE, now, now, holder_prefix + "%")
    return row is None or any(bool(value) for value in row.values())


# A settled payment whose card and amount taken are both known needs nothing more from Stripe: the
# reconciler's look at it (reconciler._fetch_card) would only clear its `reconcile_after`, so the
# event that completes it clears it in its own transaction instead (no lease, no pass, no call).
DETAILS_COMPLETE = f"""
UPDATE payment SET reconcile_after = NULL
WHERE id = {{}} AND reconcile_after IS NOT NULL AND state IN ({", ".join("{}" for _ in SETTLED)})
  AND card_brand IS NOT NULL AND amount_charged IS NOT NULL
"""  # noqa: S608 - only placeholders are interpolated


async def details_complete(payment_id: int) -> None:
    await execute(DETAILS_COMPLETE, payment_id, *sorted(SETTLED))
