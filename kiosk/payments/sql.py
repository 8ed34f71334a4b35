"""The payments room's hand-written SQL, for its hot paths (kiosk/db/sql.py runs it on either database).

Each section serves one path and is headed by a comment naming it. The text runs on SQLite and
PostgreSQL alike: `{}` placeholders are bound parameters, never formatted; only the tables' own
column names are interpolated. Rows come back as Piccolo's own queries give them (on SQLite the
declared column types convert timestamps and booleans, so columns are selected as they are).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from piccolo.columns import JSON
from piccolo.utils.encoding import dump_json

from kiosk.db import sql
from kiosk.db.sql import execute, fetch_one, write_together
from kiosk.payments import wakeup
from kiosk.payments.states import REQUIRES_CAPTURE, SETTLED
from kiosk.payments.tables import Payment
from kiosk.shop.tables import OPEN, PAID

_PAYMENT_COLUMNS = [column._meta.db_column_name for column in Payment._meta.columns]

# Reads for the receipt page

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

_ATTRIBUTE_OF_COLUMN = [(column._meta.name, column._meta.db_column_name) for column in Payment._meta.columns]
# Rows are keyed by the column's name whichever query read them (`payment_of`): the same names.
assert all(name == column for name, column in _ATTRIBUTE_OF_COLUMN), "a Payment column renamed in the database"
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
        payment = payment_of(row)
    return row["seen"] is not None, payment


# A statement and its arguments, run with others in one go (`together`).
Statement = tuple[str, tuple[Any, ...]]


def insert_event(event_id: str, type_: str, received_at: datetime, payment_id: int | None, outcome: str) -> Statement:
    return INSERT_EVENT, (event_id, type_, received_at, payment_id, outcome)


async def together(*statements: Statement) -> None:
    """Writes in the current transaction that do not depend on each other's effects: on SQLite one
    hand-off to its connection's thread, on PostgreSQL one statement (kiosk/db/sql.py `write_together`)."""
    await write_together(*statements)


async def update_payment(
    payment_id: int, fields: Mapping[str, Any], only_in: Collection[str] | None = None
) -> int | None:
    """Write columns of one payment (limited to rows still in `only_in` states when given);
    returns its receipt id when a row was written, else None."""
    rows = await _update(payment_id, fields, only_in, "receipt")
    return int(rows[0]["receipt"]) if rows else None


async def _update(
    payment_id: int, fields: Mapping[str, Any], only_in: Collection[str] | None, returning: str
) -> list[dict[str, Any]]:
    """The UPDATE of `update_payment` and `update_payment_row`: the written row's `returning`
    columns, or none."""
    names = list(fields)
    if "reconcile_after" in fields:
        wakeup.due_at(fields["reconcile_after"])
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
            return []
        where += f" AND state IN ({', '.join('{}' for _ in states)})"
        args.extend(states)
    return await execute(f"UPDATE payment SET {sets} WHERE {where} RETURNING {returning}", *args)  # noqa: S608


async def insert_log(payment_id: int, at: datetime, step: str, detail: str, code: str | None) -> None:
    await together(log_line(payment_id, at, step, detail, code))


def log_line(payment_id: int, at: datetime, step: str, detail: str, code: str | None) -> Statement:
    return INSERT_LOG, (payment_id, at, step, detail, code)


async def release_lease(payment_id: int) -> None:
    await together(lease_released(payment_id))


def lease_released(payment_id: int) -> Statement:
    return RELEASE_LEASE, (payment_id,)


def receipt_closed_if_paid(receipt_id: int, at: datetime) -> Statement:
    """Close an open receipt whose tenders now cover its total (settlement.refresh_receipt_status)."""
    return CLOSE_RECEIPT, (PAID, at, receipt_id, OPEN, *sorted(SETTLED), REQUIRES_CAPTURE, True)


# The reconciler's look (recovery.run_forever): the earliest `reconcile_after` of the payments and of
# the refunds (each a walk down its index), and whether a process of this host holds a payment lease
# (one that died is taken over by the pass). Passes run when something is due or leased; otherwise
# the loop sleeps until the earliest of them (kiosk/payments/wakeup.py). Each answer is a superset
# of what the passes themselves look for.
NEXT_DUE = """
SELECT (SELECT MIN(reconcile_after) FROM payment) AS "payments",
       (SELECT MIN(reconcile_after) FROM refund) AS "refunds",
       EXISTS (SELECT 1 FROM payment_lease WHERE holder LIKE {}) AS "leases"
"""


@dataclass(frozen=True)
class Due:
    """What the reconciler's look found: the earliest `reconcile_after` (None: nothing waits) and
    whether a process of this host holds a lease."""

    earliest: datetime | None
    leased: bool

    def now(self, at: datetime) -> bool:
        """Whether the passes have something to do at `at`."""
        return self.leased or (self.earliest is not None and self.earliest <= at)


def _timestamp(value: Any) -> datetime | None:
    """A MIN of a timestamp column: on SQLite the stored text (an expression has no declared type
    to convert it by), read as Piccolo reads the column (UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    read = datetime.fromisoformat(value.decode() if isinstance(value, bytes) else str(value))
    return read.replace(tzinfo=UTC) if read.tzinfo is None else read.astimezone(UTC)


async def next_due(holder_prefix: str) -> Due:
    """The reconciler's look (see NEXT_DUE)."""
    row = await fetch_one(NEXT_DUE, holder_prefix + "%")
    if row is None:
        return Due(None, True)
    times = [when for when in (_timestamp(row["payments"]), _timestamp(row["refunds"])) if when is not None]
    return Due(min(times, default=None), bool(row["leases"]))


# A settled payment whose card and amount taken are both known needs nothing more from Stripe: the
# reconciler's look at it (reconciler._fetch_card) would only clear its `reconcile_after`, so the
# event that completes it clears it in its own transaction instead (no lease, no pass, no call).
DETAILS_COMPLETE = f"""
UPDATE payment SET reconcile_after = NULL
WHERE id = {{}} AND reconcile_after IS NOT NULL AND state IN ({", ".join("{}" for _ in SETTLED)})
  AND card_brand IS NOT NULL AND amount_charged IS NOT NULL
"""  # noqa: S608 - only placeholders are interpolated


def details_complete(payment_id: int) -> Statement:
    return DETAILS_COMPLETE, (payment_id, *sorted(SETTLED))


# The payment path
# Load a payment, write its columns, state moves and log, take and give back its leases; the reads
# of a start (what it fixes on the row). No `{{`/`}}` escapes in these texts: Piccolo's QueryString
# would count them as placeholders.

_COLUMNS_BY_NAME = {column._meta.name: column for column in Payment._meta.columns}
_PAYMENT_SELECT = ", ".join(f'p."{c._meta.db_column_name}" AS "{name}"' for name, c in _COLUMNS_BY_NAME.items())


def payment_of(row: Mapping[str, Any]) -> Payment:
    """A payment from a row holding every column (`_PAYMENT_SELECT`, `EVENT_AND_PAYMENT`,
    `_RETURNING`), as `Payment(**row, _exists_in_db=True)` makes it (its values as attributes,
    nothing converted) without Piccolo's per-column defaults and checks: 35 µs down to under one,
    on every load, state move and webhook."""
    payment: Payment = object.__new__(Payment)
    values = payment.__dict__
    for name, column in _ATTRIBUTE_OF_COLUMN:
        values[name] = row[column]
    values["_exists_in_db"] = True
    values["_was_created"] = None
    return payment


LOAD = f'SELECT {_PAYMENT_SELECT} FROM payment p WHERE p."id" = {{}}'  # noqa: S608 - column names only


async def load(payment_id: int) -> Payment | None:
    row = await sql.fetch_one(LOAD, payment_id)
    return payment_of(row) if row else None


OF_RECEIPT = f'SELECT {_PAYMENT_SELECT} FROM payment p WHERE p."receipt" = {{}} ORDER BY p."id"'  # noqa: S608


async def of_receipt(receipt_id: int) -> list[Payment]:
    """The receipt's card payments, oldest first (as `Payment.objects().where(receipt).order_by(id)`)."""
    return [payment_of(row) for row in await sql.fetch(OF_RECEIPT, receipt_id)]


def _placeholders(count: int) -> str:
    return ", ".join(["{}"] * count)


TAKE_PAYMENT_LEASE = "INSERT INTO payment_lease (payment, holder, taken_at, expires_at) VALUES ({}, {}, {}, {})"


async def take_payment_lease(payment_id: int, holder: str, now: datetime, expires_at: datetime) -> None:
    """The lease of a payment just inserted in this transaction (no one else can hold it yet)."""
    await sql.execute(TAKE_PAYMENT_LEASE, payment_id, holder, now, expires_at)


DROP_EXPIRED_PAYMENT_LEASE = "DELETE FROM payment_lease WHERE payment = {} AND expires_at <= {}"
TAKE_FREE_PAYMENT_LEASE = """
INSERT INTO payment_lease (payment, holder, taken_at, expires_at) VALUES ({}, {}, {}, {})
ON CONFLICT DO NOTHING RETURNING "payment"
"""


async def take_free_payment_lease(payment_id: int, holder: str, now: datetime, expires_at: datetime) -> bool:
    """The payment's lease, unless another holds it unexpired (only an expired one is dropped: on
    PostgreSQL a lease committed since would make the insert a conflict, as `leases.claim` does)."""
    await sql.execute(DROP_EXPIRED_PAYMENT_LEASE, payment_id, now)
    return bool(await sql.execute(TAKE_FREE_PAYMENT_LEASE, payment_id, holder, now, expires_at))


RELEASE_PAYMENT_LEASES = 'DELETE FROM payment_lease WHERE holder = {} RETURNING "id"'


async def release_payment_leases(holder: str) -> None:
    await sql.execute(RELEASE_PAYMENT_LEASES, holder)


def payment_leases_released(holder: str) -> Statement:
    """`release_payment_leases`, written with the caller's other statements (`together`)."""
    return RELEASE_PAYMENT_LEASES, (holder,)


UNRESOLVED = f"""
SELECT {_PAYMENT_SELECT} FROM payment p
WHERE p."receipt" = {{}} AND p."state" IN (<states>)
  AND (p."state" <> {{}} OR p."keep_for_capture" = {{}})
ORDER BY p."id" DESC LIMIT 1
"""  # noqa: S608 - column names only


async def unresolved(receipt_id: int, states: Iterable[str], requires_capture: str) -> Payment | None:
    """The receipt's newest payment in one of `states`, an authorization kept for capture aside."""
    wanted = list(states)
    text = UNRESOLVED.replace("<states>", _placeholders(len(wanted)))
    row = await sql.fetch_one(text, receipt_id, *wanted, requires_capture, False)
    return payment_of(row) if row else None


INSERT_PAYMENT = """
INSERT INTO payment (receipt, amount, currency, state, capture_method, keep_for_capture,
    customer_cancellation, accepted_brands, reader_id, reader_label, payment_intent_id, intent_status,
    "key", attempt, failure_code, decline_code, failure_message, attention_reason, card_brand, card_last4,
    card_details, capture_before, amount_refunded, tipping, tip_amount, amount_charged, created_by,
    created_at, updated_at, sent_at, settled_at, last_checked_at, reconcile_after, receipt_email,
    stripe_customer, save_card, saved_card)
VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, '', {}, 1, NULL, NULL, NULL, NULL, NULL, NULL,
    {}, NULL, 0, {}, 0, NULL, {}, {}, {}, {}, NULL, NULL, {}, {}, {}, {}, NULL)
RETURNING "id"
"""


def _insert_args(values: Mapping[str, Any], now: datetime) -> list[Any]:
    return [
        values["receipt"],
        values["amount"],
        values["currency"],
        values["state"],
        values["capture_method"],
        values["keep_for_capture"],
        values["customer_cancellation"],
        values["accepted_brands"],
        values["reader_id"],
        values["reader_label"],
        uuid.uuid4(),
        "{}",
        values["tipping"],
        values["created_by"],
        now,
        now,
        values["sent_at"],
        values["reconcile_after"],
        values["receipt_email"],
        values["stripe_customer"],
        values["save_card"],
    ]


RECEIPT_FOR_INTENT = "SELECT number, warehouse FROM receipt WHERE id = {}"


async def receipt_for_intent(receipt_id: int) -> dict[str, Any] | None:
    return await sql.fetch_one(RECEIPT_FOR_INTENT, receipt_id)


# Whether a task holds the reader (a live hold), and its reader lease if any, with how that lease
# holds it: its payment's state, or its refund's (kiosk/payments/store.py `acquire_lease`).
READER_CLAIMS = """
SELECT EXISTS (SELECT 1 FROM reader_hold h WHERE h.reader_id = {} AND h.expires_at > {}) AS "held",
       l.id AS "lease", l.payment AS "payment", l.refund AS "refund", l.expires_at AS "expires_at",
       p.state AS "payment_state", f.state AS "refund_state", f.reader_step AS "refund_step"
FROM (SELECT 1 AS one) AS reader
LEFT JOIN reader_lease l ON l.reader_id = {}
LEFT JOIN payment p ON p.id = l.payment
LEFT JOIN refund f ON f.id = l.refund
"""


async def reader_claims(reader_id: str, now: datetime) -> dict[str, Any]:
    """`held` (a task holds the reader) and the reader's lease (`lease` None when it has none)."""
    row = await sql.fetch_one(READER_CLAIMS, reader_id, now, reader_id)
    assert row is not None  # one row, whatever the tables hold
    return row


# Only leases that no longer hold the reader go (mine, or the reader's when expired or idle).
DROP_READER_LEASES = """
DELETE FROM reader_lease
WHERE <mine>
   OR (reader_id = {} AND (expires_at <= {}
       OR (refund IS NULL AND payment NOT IN (SELECT id FROM payment WHERE state IN (<active>)))
       OR (refund IS NOT NULL AND refund NOT IN (SELECT id FROM refund WHERE state = 'creating'
                                                   AND reader_step IN (<on_reader>)))))
RETURNING "id"
"""


@cache
def _drop_reader_leases_sql(for_refund: bool, active: int, on_reader: int) -> str:
    mine = "refund = {}" if for_refund else "payment = {}"
    return (
        DROP_READER_LEASES.replace("<mine>", mine)
        .replace("<active>", _placeholders(active))
        .replace("<on_reader>", _placeholders(on_reader))
    )


async def drop_idle_reader_leases(
    reader_id: str,
    mine: int,
    now: datetime,
    *,
    for_refund: bool,
    active: Sequence[str],
    on_reader: Sequence[str],
) -> None:
    text = _drop_reader_leases_sql(for_refund, len(active), len(on_reader))
    await sql.execute(text, mine, reader_id, now, *active, *on_reader)


INSERT_READER_LEASE = """
INSERT INTO reader_lease (reader_id, payment, refund, holder, created_at, expires_at)
VALUES ({}, {}, {}, {}, {}, {})
ON CONFLICT DO NOTHING RETURNING "id"
"""


async def insert_reader_lease(
    reader_id: str, payment_id: int, refund_id: int | None, holder: str, now: datetime, expires_at: datetime
) -> bool:
    """False when another lease of the reader is there (a conflict: the reader is busy)."""
    rows = await sql.execute(INSERT_READER_LEASE, reader_id, payment_id, refund_id, holder, now, expires_at)
    return bool(rows)


READER_DISPLAY = (
    'SELECT sending_until AS "sending_until", receipt AS "receipt" FROM reader_display WHERE reader_id = {}'
)


async def reader_display(reader_id: str) -> dict[str, Any] | None:
    """Whether a cart call is under way on the reader (`sending_until`), and whose cart it shows."""
    return await sql.fetch_one(READER_DISPLAY, reader_id)


# A receipt of the warehouse as a card tender needs it: its sums, its cash, its warehouse's location.
RECEIPT_FOR_CARD = """
SELECT r.id AS "id", r.warehouse AS "warehouse", r.number AS "number", r.currency AS "currency",
       r.total AS "total", r.status AS "status",
       (SELECT COALESCE(SUM(c.amount), 0) FROM cash_tender c WHERE c.receipt = r.id) AS "cash",
       (SELECT lp.stripe_location_id FROM location_pairing lp WHERE lp.warehouse = r.warehouse) AS "location"
FROM receipt r
WHERE r.id = {} AND r.warehouse = {}
"""


async def receipt_for_card(receipt_id: int, warehouse_id: int) -> dict[str, Any] | None:
    """None when the receipt is not one of the warehouse's."""
    row = await sql.fetch_one(RECEIPT_FOR_CARD, receipt_id, warehouse_id)
    if row is not None:
        row["cash"] = int(row["cash"] or 0)
    return row


RECEIPT_MONEY = """
SELECT r.currency AS "currency", r.total AS "total", r.status AS "status",
       (SELECT COALESCE(SUM(c.amount), 0) FROM cash_tender c WHERE c.receipt = r.id) AS "cash"
FROM receipt r
WHERE r.id = {}
"""


async def receipt_money(receipt_id: int) -> dict[str, Any] | None:
    """The receipt's currency, total, status and cash taken."""
    row = await sql.fetch_one(RECEIPT_MONEY, receipt_id)
    if row is not None:
        row["cash"] = int(row["cash"] or 0)
    return row


REFUNDS_OF = """
SELECT f.id AS "id", f.payment AS "payment", f.amount AS "amount", f.currency AS "currency", f.state AS "state",
       f.reason AS "reason", f.note AS "note", f.created_at AS "created_at", f.failure_message AS "failure_message"
FROM refund f
WHERE f.payment IN (<ids>)
ORDER BY f.id
"""


async def refunds_of(payment_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The refunds of these payments, oldest first."""
    if not payment_ids:
        return []
    return await sql.fetch(REFUNDS_OF.replace("<ids>", _placeholders(len(payment_ids))), *payment_ids)


CARD_TENDERS = """
SELECT amount AS "amount", state AS "state", keep_for_capture AS "keep_for_capture",
       tip_amount AS "tip_amount", amount_charged AS "amount_charged"
FROM payment WHERE receipt = {}
"""


async def card_tenders_of(receipt_id: int) -> list[tuple[int, str, bool, int | None, int | None]]:
    """The receipt's card tenders as its balance counts them (kiosk/payments/settlement.py)."""
    rows = await sql.fetch(CARD_TENDERS, receipt_id)
    return [
        (row["amount"], row["state"], bool(row["keep_for_capture"]), row["tip_amount"], row["amount_charged"])
        for row in rows
    ]


IN_WAREHOUSE = f"""
SELECT {_PAYMENT_SELECT} FROM payment p JOIN receipt r ON r.id = p.receipt
WHERE p."id" = {{}} AND r.warehouse = {{}}
"""  # noqa: S608 - column names only


async def payment_in_warehouse(payment_id: int, warehouse_id: int) -> Payment | None:
    """The payment, if its receipt is one of the warehouse's."""
    row = await sql.fetch_one(IN_WAREHOUSE, payment_id, warehouse_id)
    return payment_of(row) if row else None


# reader id → the payment of each live reader lease, with how the lease holds it (store.leased_readers).
LIVE_READER_LEASES = """
SELECT l.reader_id AS "reader_id", l.payment AS "payment", p.state AS "payment_state", l.refund AS "refund",
       f.state AS "refund_state", f.reader_step AS "refund_step"
FROM reader_lease l
LEFT JOIN payment p ON p.id = l.payment
LEFT JOIN refund f ON f.id = l.refund
WHERE l.expires_at > {}
"""


async def live_reader_leases(now: datetime) -> list[dict[str, Any]]:
    return await sql.fetch(LIVE_READER_LEASES, now)


LIVE_READER_HOLDS = """
SELECT h.reader_id AS "reader_id", t.kind AS "kind"
FROM reader_hold h LEFT JOIN reader_task t ON t.id = h.task
WHERE h.expires_at > {}
"""


async def live_reader_holds(now: datetime) -> dict[str, str]:
    """reader id → the kind of task holding it (live holds only)."""
    return {str(row["reader_id"]): str(row["kind"]) for row in await sql.fetch(LIVE_READER_HOLDS, now)}


HOLDERS = """
SELECT p.id AS "id", p.payment_intent_id AS "payment_intent_id", p.receipt AS "receipt",
       r.number AS "receipt.number", u.username AS "created_by.username"
FROM payment p
LEFT JOIN receipt r ON r.id = p.receipt
LEFT JOIN piccolo_user u ON u.id = p.created_by
WHERE p.id IN (<ids>) OR p.payment_intent_id IN (<intents>)
"""


async def holders(payment_ids: Sequence[int], intent_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The payments of these ids or PaymentIntents, with their receipt's number and who started them."""
    ids, intents = list(payment_ids) or [0], list(intent_ids) or [""]
    text = HOLDERS.replace("<ids>", _placeholders(len(ids))).replace("<intents>", _placeholders(len(intents)))
    return await sql.fetch(text, *ids, *intents)


# How the kiosk holds readers whose actions are about these intents (store.reader_holds): its
# payments, in-person refunds on a reader, and reader tasks' SetupIntents.
INTENT_HOLDS = """
SELECT 'payment' AS "kind", p.payment_intent_id AS "intent", p.state AS "state",
       EXISTS (SELECT 1 FROM refund f WHERE f.payment = p.id AND f.state = 'creating'
                                         AND f.reader_step IN (<on_reader>)) AS "refunding"
FROM payment p WHERE p.payment_intent_id IN (<intents>)
UNION ALL
SELECT 'task' AS "kind", t.setup_intent_id AS "intent", t.state AS "state", FALSE AS "refunding"
FROM reader_task t WHERE t.setup_intent_id IN (<intents>)
"""


async def intent_holds(intent_ids: Sequence[str], on_reader: Sequence[str]) -> list[dict[str, Any]]:
    intents = list(intent_ids) or [""]
    marks = _placeholders(len(intents))
    text = INTENT_HOLDS.replace("<on_reader>", _placeholders(len(on_reader))).replace("<intents>", marks)
    # The placeholders bind in the order they appear in the text.
    return await sql.fetch(text, *on_reader, *intents, *intents)


# Starting a card payment
# What a start reads before its transaction in one query, the new row and each state move of the
# drive answered with the row as written (RETURNING: no load after the write; the payment's lease is
# held, so only the move itself could have changed it since). No `{{`/`}}` escapes in these texts.

_RETURNING = ", ".join(f'"{c._meta.db_column_name}" AS "{name}"' for name, c in _COLUMNS_BY_NAME.items())

# The warehouse's tips setting, the receipt's number and warehouse (what the PaymentIntent's create
# names), its customer link, its open card tender (the caller's states) and the stored values of the
# admin's settings (one column per name asked, NULL when unset).
START_READS = """
SELECT w.tipping AS "tipping", r.number AS "number", r.warehouse AS "warehouse",
       (SELECT rc.id FROM receipt_customer rc WHERE rc.receipt = r.id LIMIT 1) AS "customer_link",
       (SELECT p.id FROM payment p
        WHERE p.receipt = r.id AND p.state IN (<states>) AND (p.state <> {} OR p.keep_for_capture = {})
        ORDER BY p.id DESC LIMIT 1) AS "open_payment"<settings>
FROM receipt r JOIN warehouse w ON w.id = r.warehouse
WHERE r.id = {}
"""
_SETTING_VALUE = (
    ',\n       (SELECT s."value" FROM kiosk_setting s WHERE s."name" = {} AND s.encrypted = {}) AS "setting_<n>"'
)


@cache
def _start_reads_sql(states: int, settings: int) -> str:
    values = "".join(_SETTING_VALUE.replace("<n>", str(n)) for n in range(settings))
    return START_READS.replace("<states>", _placeholders(states)).replace("<settings>", values)


async def start_reads(
    receipt_id: int, open_states: Sequence[str], requires_capture: str, setting_names: Sequence[str]
) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The facts a start fixes on its row (`tipping`, `customer_link`), the receipt's open payment
    (`open_payment`: the newest in `open_states`, an authorization kept for capture aside), and the
    stored unencrypted settings of these names; None when there is no such receipt."""
    text = _start_reads_sql(len(open_states), len(setting_names))
    settings_args = [arg for name in setting_names for arg in (name, False)]
    row = await sql.fetch_one(text, *open_states, requires_capture, False, *settings_args, receipt_id)
    if row is None:
        return None
    stored = {name: str(row[f"setting_{n}"]) for n, name in enumerate(setting_names) if row[f"setting_{n}"] is not None}
    return row, stored


INSERT_PAYMENT_ROW = INSERT_PAYMENT.replace('RETURNING "id"', f"RETURNING {_RETURNING}")


async def insert_payment_row(values: Mapping[str, Any], now: datetime) -> Payment:
    """A new card tender in state `creating`, attempt 1, as written."""
    wakeup.due_at(values["reconcile_after"])
    rows = await sql.execute(INSERT_PAYMENT_ROW, *_insert_args(values, now))
    return payment_of(rows[0])


async def update_payment_row(
    payment_id: int, fields: Mapping[str, Any], only_in: Collection[str] | None = None
) -> Payment | None:
    """`update_payment`, answered with the whole row as written (None when no row was)."""
    rows = await _update(payment_id, fields, only_in, _RETURNING)
    return payment_of(rows[0]) if rows else None


HAS_UNRESOLVED = """
SELECT EXISTS (SELECT 1 FROM payment p WHERE p."receipt" = {} AND p."state" IN (<states>)
                                        AND (p."state" <> {} OR p."keep_for_capture" = {})) AS "open"
"""


async def has_unresolved(receipt_id: int, states: Iterable[str], requires_capture: str) -> bool:
    """Whether the receipt has a payment `unresolved` would answer (without reading it)."""
    wanted = list(states)
    text = HAS_UNRESOLVED.replace("<states>", _placeholders(len(wanted)))
    return bool(await sql.fetch_value(text, receipt_id, *wanted, requires_capture, False))
