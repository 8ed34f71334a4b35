"""Database side of the payments engine: conditional state moves, reader leases, the log.

Every state change is one conditional UPDATE (`WHERE state IN <states allowed to reach target>`),
so whichever of webhook, reconciler or cashier writes first wins and the others change nothing;
this works the same on SQLite and PostgreSQL without row locks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.db.engine import is_postgres, write_transaction
from kiosk.payments import sql
from kiosk.payments.states import ACTIVE, DECLINED, NEEDS_ATTENTION, RECEIPT_SETTLED, sources_of
from kiosk.payments.tables import Payment, ReaderLease, Refund
from kiosk.readers.snapshot import Hold
from kiosk.stripe_account.errors import ReaderBusy


def now() -> datetime:
    return datetime.now(UTC)


def later(seconds: float) -> datetime:
    return now() + timedelta(seconds=seconds)


def atomic() -> Any:
    """One transaction (IMMEDIATE on SQLite); nested uses join the outer one."""
    return write_transaction(Payment._meta.db)


async def load(payment_id: int) -> Payment | None:
    return await sql.load(payment_id)


async def by_intent(intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    payment: Payment | None = await Payment.objects().get(Payment.payment_intent_id == intent_id)
    return payment


async def log(payment_id: int, step: str, detail: str = "", code: str | None = None) -> None:
    await sql.insert_log(payment_id, now(), step, detail[:2000], code)


async def update(payment_id: int, fields: Mapping[str, Any], *, only_in: list[str] | None = None) -> bool:
    """Write columns (no state move); `only_in` limits it to rows still in those states."""
    return await sql.update_payment(payment_id, {**fields, "updated_at": now()}, only_in) is not None


def _decline_code(target: str, fields: Mapping[str, Any] | None) -> str | None:
    """A decline keeps its reason in the log, as a retry clears the row's codes: the day's close
    counts every declined attempt by it (kiosk/reports)."""
    if target != DECLINED:
        return None
    given = fields or {}
    return str(given.get("decline_code") or given.get("failure_code") or "declined")


async def transition(
    payment_id: int, target: str, fields: Mapping[str, Any] | None = None, *, step: str, detail: str = ""
) -> bool:
    """Move to `target` if the row's current state allows it; False (and nothing written) otherwise."""
    async with atomic():
        stamp = now()
        receipt_id = await sql.update_payment(
            payment_id, {**(fields or {}), "state": target, "updated_at": stamp}, sources_of(target)
        )
        if receipt_id is not None:
            await _moved(payment_id, receipt_id, target, fields, stamp, step=step, detail=detail)
    return receipt_id is not None


async def transition_row(
    payment_id: int,
    target: str,
    fields: Mapping[str, Any] | None = None,
    *,
    step: str,
    detail: str = "",
    also: Sequence[sql.Statement] = (),
) -> Payment | None:
    """`transition`, answered with the row as the move wrote it (None: nothing written). `also`:
    statements written with the move, only if it is made."""
    async with atomic():
        stamp = now()
        row = await sql.update_payment_row(
            payment_id, {**(fields or {}), "state": target, "updated_at": stamp}, sources_of(target)
        )
        if row is not None:
            await _moved(payment_id, int(row.receipt), target, fields, stamp, step=step, detail=detail, also=also)
    return row


async def _moved(
    payment_id: int,
    receipt_id: int,
    target: str,
    fields: Mapping[str, Any] | None,
    stamp: datetime,
    *,
    step: str,
    detail: str,
    also: Sequence[sql.Statement] = (),
) -> None:
    """In the move's transaction: its log line, the reader's lease given back once the payment is no
    longer active, the receipt closed when its last payment settles (and the caller's `also`)."""
    code = _decline_code(target, fields)
    moved = [sql.log_line(payment_id, stamp, step, f"→ {target}. {detail}".strip()[:2000], code)]
    if target not in ACTIVE:
        moved.append(sql.lease_released(payment_id))
    if target in RECEIPT_SETTLED:
        # Same transaction: the receipt closes exactly when its last payment settles.
        moved.append(sql.receipt_closed_if_paid(receipt_id, stamp))
    await sql.together(*moved, *also)  # written together (on SQLite, one hand-off)


async def claim_check(payment_id: int, interval: float) -> bool:
    """Throttle: True for at most one caller per `interval` seconds per payment (atomic)."""
    stamp = now()
    free = Payment.last_checked_at.is_null() | (Payment.last_checked_at < stamp - timedelta(seconds=interval))
    rows = (
        await Payment.update({Payment.last_checked_at: stamp})
        .where((Payment.id == payment_id) & free)
        .returning(Payment.id)
    )
    return bool(rows)


# An in-person refund holds its reader while it is being sent or waits for the customer's card.
REFUND_ON_READER = ("sending", "on_reader")


def _refunds_on_readers() -> Any:
    return Refund.select(Refund.id).where(
        (Refund.state == "creating") & Refund.reader_step.is_in(list(REFUND_ON_READER))
    )


def _lease_holds(lease: Mapping[str, Any], stamp: datetime) -> bool:
    """Whether a lease (`sql.reader_claims`) still holds its reader: its payment active, or its
    refund on the reader."""
    if lease["expires_at"] <= stamp:
        return False
    if lease["refund"] is not None:
        return lease["refund_state"] == "creating" and lease["refund_step"] in REFUND_ON_READER
    return lease["payment_state"] in ACTIVE


async def acquire_lease(
    reader_id: str,
    payment_id: int,
    holder: str,
    seconds: float,
    *,
    refund_id: int | None = None,
    new_payment: bool = False,
) -> None:
    """Reserve the reader for this payment (or for this in-person refund of it), inside the
    caller's transaction. `new_payment`: the payment was inserted in this transaction (it has no
    lease anywhere yet).

    Another payment keeps the reader while it is active and its lease has not expired, another
    refund while it is on the reader: then ReaderBusy, and the other till's action is left alone.
    """
    busy = ReaderBusy("This reader is taking a payment for another till.", "kiosk_reader_leased")
    stamp = now()
    await lock_reader(reader_id)
    claims = await sql.reader_claims(reader_id, stamp)
    if claims["held"]:
        raise ReaderBusy(HELD_BY_TASK, "kiosk_reader_held")
    mine = (claims["payment"], claims["refund"]) == (payment_id, refund_id)
    if claims["lease"] is not None and not mine and _lease_holds(claims, stamp):
        raise busy
    # Only leases that no longer hold the reader go (on PostgreSQL another till's lease may have been
    # committed since the read above); a live one makes the insert below a conflict: busy. A new
    # payment on a reader without a lease has nothing to drop (the reader's lock is held meanwhile).
    if not (new_payment and claims["lease"] is None):
        await sql.drop_idle_reader_leases(
            reader_id,
            refund_id if refund_id is not None else payment_id,
            stamp,
            for_refund=refund_id is not None,
            active=sorted(ACTIVE),
            on_reader=REFUND_ON_READER,
        )
    if not await sql.insert_reader_lease(reader_id, payment_id, refund_id, holder[:255], stamp, later(seconds)):
        raise busy


async def release_refund_lease(refund_id: int) -> None:
    await ReaderLease.delete().where(ReaderLease.refund == refund_id)


HELD_BY_TASK = "This reader is busy with a customer (saving a card or asking an email) for a till."


async def lock_reader(reader_id: str) -> None:
    """Inside the caller's transaction: one payment lease or task hold is taken on a reader at a
    time (a transaction lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already admits one writer)."""
    if is_postgres(Payment._meta.db):
        await Payment.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"reader:{reader_id}")


async def held_readers() -> dict[str, str]:
    """reader id → the kind of task holding it (live holds only), for the picker."""
    return await sql.live_reader_holds(now())


async def release_lease(payment_id: int) -> None:
    await sql.release_lease(payment_id)


async def leased_readers() -> dict[str, int]:
    """reader id → payment id, for readers held by a live lease of an active payment (or of an
    in-person refund of that payment on the reader)."""
    rows = await sql.live_reader_leases(now())
    return {row["reader_id"]: row["payment"] for row in rows if _holding(row)}


def _holding(row: Mapping[str, Any]) -> bool:
    if row["refund"] is not None:
        return row["refund_state"] == "creating" and row["refund_step"] in REFUND_ON_READER
    return row["payment_state"] in ACTIVE


async def reader_holds(intent_ids: list[str]) -> dict[str, Hold]:
    """How the kiosk's payments of these PaymentIntents hold their readers (the reader snapshot's
    `KioskHolds`): running while active, unsure while they need attention, ended otherwise."""
    holds: dict[str, Hold] = {}
    for row in await sql.intent_holds(intent_ids, REFUND_ON_READER):
        intent, state = str(row["intent"]), str(row["state"])
        if row["kind"] == "payment":
            # A settled payment's action on a reader is an in-person refund of it (Interac): running
            # while the kiosk's refund is on that reader.
            holds[intent] = "running" if row["refunding"] else _hold(state)
        else:
            # The SetupIntents of reader tasks (saving a card without paying): running until the task ends.
            holds[intent] = "running" if state in ("starting", "running") else "ended"
    return holds


def _hold(state: str) -> Hold:
    if state in ACTIVE:
        return "running"
    return "unsure" if state == NEEDS_ATTENTION else "ended"
