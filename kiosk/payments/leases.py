"""Per-payment leases: two server processes never act on the same payment at Stripe at once.

Several kiosk servers share one database; each runs a reconciler, and any of them may serve the
cashier's request. Before anything asks Stripe about a payment or pushes it forward (create, send
to the reader, capture, cancel), it takes the payment's lease: a `PaymentLease` row naming the
holding process, with an expiry that the holder renews while it works and deletes when done.

Taking leases is one short transaction. On PostgreSQL the candidate payment rows are locked with
`FOR UPDATE SKIP LOCKED`, so two reconcilers claiming at the same moment split the due payments
between them instead of queueing on each other; on SQLite the write transaction (BEGIN IMMEDIATE)
already admits one claimer at a time. No transaction stays open while Stripe is called.

A holder that dies keeps its lease until it expires (`LEASE_SECONDS`), unless a process on the same
host sees that the holder's pid is gone: then the lease is taken over at once, so a server killed
and restarted finishes its payments without waiting for the expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeAlias, TypeVar

import anyio

from kiosk.db.engine import is_postgres, write_transaction
from kiosk.payments import sql, store
from kiosk.payments.tables import Payment, PaymentLease
from kiosk.stripe_account.errors import PaymentNotAllowed

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
# `func(engine, payment_id, ...)`: something done to one payment.
Action: TypeAlias = Callable[Concatenate[Any, int, P], Awaitable[R]]

# A lease outlives any single Stripe call (20 s timeout, SDK retries) because its holder renews it.
LEASE_SECONDS = 30.0
RENEW_SECONDS = LEASE_SECONDS / 3
# A cashier's action waits this long for another server to finish with the payment.
BUSY_WAIT_SECONDS = 5.0
BUSY_POLL_SECONDS = 0.1


class PaymentBusy(PaymentNotAllowed):
    """Another till or server is acting on this payment right now."""


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")  # e.g. "pid:[4026531836]"; containers differ
    except OSError:
        return ""


# Where this process runs: leases of a dead process with the same prefix can be taken over.
PROCESS = f"{socket.gethostname()}/{_pid_namespace()}/{os.getpid()}"

_HELD: ContextVar[frozenset[int]] = ContextVar("kiosk_leases_held", default=frozenset())
# The lease a task took with a payment it drives at once (`holding`), which the step that ends its
# work may give back in its own transaction (`given_back_with`) instead of a write of its own.
_FINISHING: ContextVar[tuple[Lease, int] | None] = ContextVar("kiosk_lease_finishing", default=None)


@dataclass
class Lease:
    """Leases taken by one claim: the payments this task may act on."""

    holder: str
    ids: list[int] = field(default_factory=list)
    # Given back already, with the last step's own write (`gave_back`): nothing left to release.
    given_back: bool = False


def _new_holder() -> str:
    return f"{PROCESS}/{uuid.uuid4().hex[:8]}"


def holder_is_dead(holder: str) -> bool:
    """True only when the holder ran on this host, in this pid namespace, and its pid is gone."""
    host_ns, _, rest = holder.rpartition("/")[0].rpartition("/")
    my_host_ns = PROCESS.rpartition("/")[0]
    if not _pid_namespace() or host_ns != my_host_ns or not rest.isdigit():
        return False
    pid = int(rest)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


async def reap_dead_holders() -> int:
    """Drop the leases of processes on this host that died holding them (SIGKILL, OOM)."""
    rows = await PaymentLease.select(PaymentLease.id, PaymentLease.holder).where(
        PaymentLease.holder.like(f"{PROCESS.rpartition('/')[0]}/%")
    )
    dead = [row["id"] for row in rows if holder_is_dead(row["holder"])]
    if dead:
        await PaymentLease.delete().where(PaymentLease.id.is_in(dead))
        logger.warning("took over %d payment lease(s) of a process that died", len(dead))
    return len(dead)


def _unleased() -> Any:
    live = PaymentLease.select(PaymentLease.payment).where(PaymentLease.expires_at > store.now())
    return Payment.id.not_in(live)


def _candidates(where: Any, limit: int, order_by: Any) -> Any:
    query = Payment.select(Payment.id).where(where & _unleased()).limit(limit)
    return query.order_by(order_by) if order_by is not None else query


async def claim(where: Any, *, limit: int, order_by: Any = None) -> Lease:
    """Lease up to `limit` payments matching `where` that nobody else holds."""
    lease = Lease(_new_holder())
    # Most ticks find nothing to do: a plain read first, so they take no write lock at all.
    if not await _candidates(where, 1, None):
        return lease
    # Shielded: a server shutting down (or a request cancelled) mid-claim must still commit or roll
    # back, never leave a transaction open holding row locks.
    with anyio.CancelScope(shield=True):
        async with write_transaction(Payment._meta.db):
            query = _candidates(where, limit, order_by)
            if is_postgres(Payment._meta.db):
                query = query.lock_rows("UPDATE", skip_locked=True, of=(Payment,))
            wanted = [int(row["id"]) for row in await query]
            if wanted:
                lease.ids = await _insert_leases(wanted, lease.holder)
    return lease


async def _insert_leases(payment_ids: list[int], holder: str) -> list[int]:
    """Inside the claim's transaction: lease the payments whose lease is free, and return them.
    Only expired leases go: on PostgreSQL another server's lease may have been committed after
    this statement's snapshot was taken, and then the insert conflicts and that payment is theirs."""
    expired = PaymentLease.payment.is_in(payment_ids) & (PaymentLease.expires_at <= store.now())
    await PaymentLease.delete().where(expired)
    expires = store.later(LEASE_SECONDS)
    rows = [PaymentLease(payment=pid, holder=holder, expires_at=expires) for pid in payment_ids]
    inserted = await PaymentLease.insert(*rows).on_conflict(action="DO NOTHING").returning(PaymentLease.payment)
    taken = {int(row["payment"]) for row in inserted}
    return [pid for pid in payment_ids if pid in taken]  # in the order asked for


async def take_new(payment_id: int) -> Lease:
    """Inside the transaction that inserts the payment: its lease, taken with it (nobody else can
    hold a payment that was not there). The caller acts on it with `holding`."""
    lease = Lease(_new_holder(), [payment_id])
    await sql.take_payment_lease(payment_id, lease.holder, store.now(), store.later(LEASE_SECONDS))
    return lease


async def try_take(payment_id: int) -> Lease | None:
    """Inside the caller's transaction: the payment's lease, unless another holds it unexpired."""
    lease = Lease(_new_holder(), [payment_id])
    if await sql.take_free_payment_lease(payment_id, lease.holder, store.now(), store.later(LEASE_SECONDS)):
        return lease
    return None


@contextlib.asynccontextmanager
async def holding(lease: Lease, payment_id: int) -> AsyncIterator[None]:
    """Act on a payment whose lease this task took (`take_new`): renewed meanwhile, given back after."""
    async with kept(lease):
        with acting_on(payment_id):
            token = _FINISHING.set((lease, payment_id))
            try:
                yield
            finally:
                _FINISHING.reset(token)


def given_back_with(payment_id: int) -> sql.Statement | None:
    """For the transaction of a step after which this task does nothing more with the payment (the
    move that puts it on the reader): the DELETE of the lease it took with the payment (`holding`),
    to be written with that move; None when its lease is not one to give back so. Once that
    transaction has committed, the caller says so (`gave_back`)."""
    finishing = _FINISHING.get()
    if finishing is None or finishing[1] != payment_id or finishing[0].given_back:
        return None
    if Payment._meta.db.current_transaction.get() is not None:  # committed only with an outer transaction
        return None
    return sql.payment_leases_released(finishing[0].holder)


def gave_back(payment_id: int) -> None:
    """The lease `given_back_with` named is gone with its step's commit: nothing left to release."""
    finishing = _FINISHING.get()
    if finishing is not None and finishing[1] == payment_id:
        finishing[0].ids = []
        finishing[0].given_back = True


async def claim_ids(payment_ids: Sequence[int]) -> Lease:
    if not payment_ids:
        return Lease(_new_holder())
    return await claim(Payment.id.is_in(list(payment_ids)), limit=len(payment_ids))


async def release(lease: Lease, payment_id: int | None = None) -> None:
    """Give the lease back (one payment, or all of this claim's)."""
    if payment_id is None and lease.ids:
        lease.ids = []
        await sql.release_payment_leases(lease.holder)
        return
    where: Any = PaymentLease.holder == lease.holder
    if payment_id is not None:
        where = where & (PaymentLease.payment == payment_id)
        lease.ids = [pid for pid in lease.ids if pid != payment_id]
    else:
        lease.ids = []
    await PaymentLease.delete().where(where)


async def _renew_forever(holder: str) -> None:
    while True:
        await asyncio.sleep(RENEW_SECONDS)
        try:
            await PaymentLease.update({PaymentLease.expires_at: store.later(LEASE_SECONDS)}).where(
                PaymentLease.holder == holder
            )
        except Exception:  # the database may be briefly down; the next renewal tries again
            logger.exception("renewing payment leases of %s failed", holder)


@contextlib.asynccontextmanager
async def kept(lease: Lease) -> AsyncIterator[Lease]:
    """Renew the lease while the block runs; give back whatever is left of it afterwards."""
    renewer = asyncio.create_task(_renew_forever(lease.holder))
    try:
        yield lease
    finally:
        renewer.cancel()
        await asyncio.gather(renewer, return_exceptions=True)  # its own cancellation is expected
        try:
            if not lease.given_back:
                await release(lease)
        except Exception:  # it expires by itself
            logger.exception("releasing payment leases of %s failed", lease.holder)


@contextlib.contextmanager
def acting_on(payment_id: int) -> Iterator[None]:
    """Mark the payment as leased by this task, so leased functions it calls do not claim again."""
    token = _HELD.set(_HELD.get() | {payment_id})
    try:
        yield
    finally:
        _HELD.reset(token)


def held(payment_id: int) -> bool:
    return payment_id in _HELD.get()


async def _claim_one(payment_id: int, wait: float) -> Lease | None:
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        lease = await claim_ids([payment_id])
        if lease.ids:
            return lease
        if asyncio.get_running_loop().time() >= deadline:
            return None
        await asyncio.sleep(BUSY_POLL_SECONDS)


def leased(*, wait: float = BUSY_WAIT_SECONDS) -> Callable[[Action[P, R]], Action[P, R]]:
    """Run `func(engine, payment_id, ...)` holding the payment's lease; when another process keeps
    it for longer than `wait` seconds, raise PaymentBusy (the cashier is told to try again)."""

    def decorate(func: Action[P, R]) -> Action[P, R]:
        @wraps(func)
        async def run(engine: Any, payment_id: int, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if held(payment_id):
                return await func(engine, payment_id, *args, **kwargs)
            lease = await _claim_one(payment_id, wait)
            if lease is None:
                raise PaymentBusy("Another till or server is updating this payment right now. Try again in a moment.")
            async with kept(lease):
                with acting_on(payment_id):
                    return await func(engine, payment_id, *args, **kwargs)

        return run

    return decorate


def leased_or_skip(func: Action[P, Payment | None]) -> Action[P, Payment | None]:
    """Like `leased`, but when another process holds the payment, do nothing and return the row as
    it stands: someone is already asking Stripe about it."""

    @wraps(func)
    async def run(engine: Any, payment_id: int, /, *args: P.args, **kwargs: P.kwargs) -> Payment | None:
        if held(payment_id):
            return await func(engine, payment_id, *args, **kwargs)
        lease = await claim_ids([payment_id])
        if not lease.ids:
            return await store.load(payment_id)
        async with kept(lease):
            with acting_on(payment_id):
                return await func(engine, payment_id, *args, **kwargs)

    return run
