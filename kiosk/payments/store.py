"""Database side of the payments engine: conditional state moves, reader leases, the log.

Every state change is one conditional UPDATE (`WHERE state IN <states allowed to reach target>`),
so whichever of webhook, reconciler or cashier writes first wins and the others change nothing;
this works the same on SQLite and PostgreSQL without row locks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.db.engine import is_postgres, write_transaction
from kiosk.payments import sql
from kiosk.payments.states import ACTIVE, DECLINED, NEEDS_ATTENTION, RECEIPT_SETTLED, sources_of
from kiosk.payments.tables import Payment, ReaderHold, ReaderLease, ReaderTask, Refund
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
    payment: Payment | None = await Payment.objects().get(Payment.id == payment_id)
    return payment


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
        code = _decline_code(target, fields)
        receipt_id = await sql.update_payment(
            payment_id, {**(fields or {}), "state": target, "updated_at": stamp}, sources_of(target)
        )
        if receipt_id is not None:
            await sql.insert_log(payment_id, stamp, step, f"→ {target}. {detail}".strip()[:2000], code)
            if target not in ACTIVE:
                await release_lease(payment_id)
            if target in RECEIPT_SETTLED:
                # Same transaction: the receipt closes exactly when its last payment settles.
                await sql.close_receipt_if_paid(receipt_id, stamp)
    return receipt_id is not None


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


async def _lease_holds(lease: ReaderLease) -> bool:
    """Whether a lease still holds its reader: its payment active, or its refund on the reader."""
    if lease.expires_at <= now():
        return False
    if lease.refund is not None:
        return bool(await Refund.exists().where((Refund.id == lease.refund) & Refund.id.is_in(_refunds_on_readers())))
    other = await Payment.select(Payment.state).where(Payment.id == lease.payment).first()
    return bool(other and other["state"] in ACTIVE)


async def acquire_lease(
    reader_id: str, payment_id: int, holder: str, seconds: float, *, refund_id: int | None = None
) -> None:
    """Reserve the reader for this payment (or for this in-person refund of it), inside the
    caller's transaction.

    Another payment keeps the reader while it is active and its lease has not expired, another
    refund while it is on the reader: then ReaderBusy, and the other till's action is left alone.
    """
    busy = ReaderBusy("This reader is taking a payment for another till.", "kiosk_reader_leased")
    await lock_reader(reader_id)
    if await reader_held(reader_id):
        raise ReaderBusy(HELD_BY_TASK, "kiosk_reader_held")
    lease = await ReaderLease.objects().get(ReaderLease.reader_id == reader_id)
    if lease is not None and (lease.payment, lease.refund) != (payment_id, refund_id) and await _lease_holds(lease):
        raise busy
    # Only leases that no longer hold the reader go (on PostgreSQL another till's lease may have been
    # committed since the read above); a live one makes the insert below a conflict: busy.
    active = Payment.select(Payment.id).where(Payment.state.is_in(list(ACTIVE)))
    idle_payment = ReaderLease.refund.is_null() & ReaderLease.payment.not_in(active)
    idle_refund = ReaderLease.refund.is_not_null() & ReaderLease.refund.not_in(_refunds_on_readers())
    stale = (ReaderLease.expires_at <= now()) | idle_payment | idle_refund
    mine = ReaderLease.refund == refund_id if refund_id is not None else (ReaderLease.payment == payment_id)
    await ReaderLease.delete().where(mine | ((ReaderLease.reader_id == reader_id) & stale))
    row = ReaderLease(
        reader_id=reader_id, payment=payment_id, refund=refund_id, holder=holder[:255], expires_at=later(seconds)
    )
    if not await ReaderLease.insert(row).on_conflict(action="DO NOTHING").returning(ReaderLease.id):
        raise busy


async def release_refund_lease(refund_id: int) -> None:
    await ReaderLease.delete().where(ReaderLease.refund == refund_id)


HELD_BY_TASK = "This reader is busy with a customer (saving a card or asking an email) for a till."


async def lock_reader(reader_id: str) -> None:
    """Inside the caller's transaction: one payment lease or task hold is taken on a reader at a
    time (a transaction lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already admits one writer)."""
    if is_postgres(Payment._meta.db):
        await Payment.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"reader:{reader_id}")


async def reader_held(reader_id: str) -> bool:
    """A task (reader_tasks) holds the reader and its hold has not expired."""
    return bool(await ReaderHold.exists().where((ReaderHold.reader_id == reader_id) & (ReaderHold.expires_at > now())))


async def held_readers() -> dict[str, str]:
    """reader id → the kind of task holding it (live holds only), for the picker."""
    rows = await ReaderHold.select(ReaderHold.reader_id, ReaderHold.task.kind).where(ReaderHold.expires_at > now())
    return {str(row["reader_id"]): str(row["task.kind"]) for row in rows}


async def release_lease(payment_id: int) -> None:
    await sql.release_lease(payment_id)


async def leased_readers() -> dict[str, int]:
    """reader id → payment id, for readers held by a live lease of an active payment (or of an
    in-person refund of that payment on the reader)."""
    rows = await ReaderLease.select(
        ReaderLease.reader_id,
        ReaderLease.payment,
        ReaderLease.payment.state,
        ReaderLease.refund,
        ReaderLease.refund.state,
        ReaderLease.refund.reader_step,
    ).where(ReaderLease.expires_at > now())
    return {row["reader_id"]: row["payment"] for row in rows if _holding(row)}


def _holding(row: Mapping[str, Any]) -> bool:
    if row["refund"] is not None:
        return row["refund.state"] == "creating" and row["refund.reader_step"] in REFUND_ON_READER
    return row["payment.state"] in ACTIVE


async def reader_holds(intent_ids: list[str]) -> dict[str, Hold]:
    """How the kiosk's payments of these PaymentIntents hold their readers (the reader snapshot's
    `KioskHolds`): running while active, unsure while they need attention, ended otherwise."""
    rows = await Payment.select(Payment.id, Payment.payment_intent_id, Payment.state).where(
        Payment.payment_intent_id.is_in(intent_ids or [""])
    )
    # A settled payment's action on a reader is an in-person refund of it (Interac): running while
    # the kiosk's refund is on that reader.
    refunding = await Refund.select(Refund.payment).where(Refund.id.is_in(_refunds_on_readers()))
    on_reader = {int(row["payment"]) for row in refunding}
    holds = {
        str(row["payment_intent_id"]): "running" if int(row["id"]) in on_reader else _hold(str(row["state"]))
        for row in rows
    }
    # The SetupIntents of reader tasks (saving a card without paying): running until the task ends.
    tasks = await ReaderTask.select(ReaderTask.setup_intent_id, ReaderTask.state).where(
        ReaderTask.setup_intent_id.is_in(intent_ids or [""])
    )
    for row in tasks:
        holds[str(row["setup_intent_id"])] = "running" if row["state"] in ("starting", "running") else "ended"
    return holds


def _hold(state: str) -> Hold:
    if state in ACTIVE:
        return "running"
    return "unsure" if state == NEEDS_ATTENTION else "ended"
