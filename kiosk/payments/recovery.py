"""The reconciler of every server, and `kiosk reconcile`: no payment stays between two steps.

Each pass leases the payments it will act on (kiosk/payments/leases.py), so servers sharing a database
never act on the same payment, and spends Stripe calls from the server's budget
(kiosk/stripe_account/budget.py). What each payment needs is decided by `reconciler.check`:
- at start-up, payments a dead process left unsent (`creating`, `intent_created`) or between the two
  steps of a brand check (`collected`) are resumed with the same idempotency keys, so a step that
  reached Stripe replays instead of happening twice;
- payments whose webhook is overdue (`reconcile_after` passed) are checked with Stripe on the first
  tick after it: a reader action stuck `in_progress`, a missing webhook, an authorization still to
  capture. The loop sleeps until then (at most `Recovery.ceiling`) instead of asking every tick;
  this process's own writes of `reconcile_after` wake it sooner (kiosk/payments/wakeup.py);
- every `sweep_every`, card tenders of abandoned receipts (open, untouched for `abandon_after`) are
  canceled: the intent is canceled at Stripe, and an authorization never captured is released.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from kiosk.payments import leases, reader_tasks, sql, store, wakeup
from kiosk.payments.actions import cancel_payment
from kiosk.payments.engine import Engine
from kiosk.payments.reconciler import check
from kiosk.payments.recovery_policy import Recovery
from kiosk.payments.refunds import on_reader
from kiosk.payments.states import (
    COLLECTED,
    COLLECTING,
    CREATING,
    INTENT_CREATED,
    NEEDS_ATTENTION,
    ON_READER,
    REQUIRES_CAPTURE,
    UNRESOLVED,
)
from kiosk.payments.tables import Payment
from kiosk.shop.tables import OPEN, Receipt
from kiosk.stripe_account.budget import StripeBudget, budgeted
from kiosk.stripe_account.errors import PaymentError

logger = logging.getLogger(__name__)

# Payments looked at by one start-up pass or one `kiosk reconcile` (each batch is one lease claim).
STARTUP_BATCH = 100


@dataclass
class PassReport:
    """What one pass did, for logs and `kiosk reconcile`."""

    checked: int = 0
    abandoned: int = 0
    failed: int = 0

    def merge(self, other: PassReport) -> PassReport:
        return PassReport(self.checked + other.checked, self.abandoned + other.abandoned, self.failed + other.failed)


async def _work(lease: leases.Lease, act: Callable[[int], Awaitable[object]], report: PassReport) -> None:
    """Act on each leased payment in turn; one payment failing must not stop the others."""
    async with leases.kept(lease):
        for payment_id in list(lease.ids):
            try:
                with leases.acting_on(payment_id):
                    await act(payment_id)
            except PaymentError as exc:  # Stripe or the reader said no for now: the next pass tries again
                report.failed += 1
                logger.warning("payment %s not finished this pass: %s", payment_id, exc.message)
            except Exception:
                report.failed += 1
                logger.exception("reconciling payment %s failed", payment_id)
            try:
                await leases.release(lease, payment_id)
            except Exception:  # it expires by itself
                logger.exception("releasing the lease of payment %s failed", payment_id)


async def resume_unsent(engine: Engine, *, limit: int = STARTUP_BATCH) -> PassReport:
    """Take up payments left before the reader by a process that died (or a server restarted)."""
    report = PassReport()
    await leases.reap_dead_holders()
    unsent = Payment.state.is_in([CREATING, INTENT_CREATED, COLLECTED])
    lease = await leases.claim(unsent, limit=limit, order_by=Payment.id)
    report.checked = len(lease.ids)
    await _work(lease, lambda pid: check(engine, pid, startup=True), report)
    return report


async def check_due(engine: Engine, recovery: Recovery) -> PassReport:
    """Ask Stripe about payments whose webhook is overdue, oldest promise first."""
    report = PassReport()
    await leases.reap_dead_holders()
    due = Payment.reconcile_after <= store.now()
    lease = await leases.claim(due, limit=recovery.batch, order_by=Payment.reconcile_after)
    report.checked = len(lease.ids)
    await _work(lease, lambda pid: check(engine, pid), report)
    return report


def _abandoned(recovery: Recovery) -> object:
    """Unfinished card tenders of open receipts nobody has touched for `abandon_after`."""
    cutoff = store.later(-recovery.abandon_after)
    stale_receipts = Receipt.select(Receipt.id).where((Receipt.status == OPEN) & (Receipt.opened_at < cutoff))
    last_touched = (Payment.sent_at < cutoff) | (Payment.sent_at.is_null() & (Payment.created_at < cutoff))
    return Payment.state.is_in(list(UNRESOLVED)) & Payment.receipt.is_in(stale_receipts) & last_touched


async def _abandon(engine: Engine, payment_id: int) -> None:
    payment = await store.load(payment_id)
    if payment is None:
        return
    await store.log(payment_id, "abandoned", f"receipt left open; canceling the card tender ({payment.state})")
    try:
        await cancel_payment(engine, payment_id)
    except PaymentError as exc:  # reader busy or Stripe unreachable: the next sweep tries again
        await store.log(payment_id, "abandon_failed", f"{type(exc).__name__}: {exc.message}")
        raise


async def sweep_abandoned(engine: Engine, recovery: Recovery, *, limit: int = STARTUP_BATCH) -> PassReport:
    report = PassReport()
    lease = await leases.claim(_abandoned(recovery), limit=limit, order_by=Payment.id)
    report.abandoned = len(lease.ids)
    await _work(lease, lambda pid: _abandon(engine, pid), report)
    return report


async def reconcile_everything(engine: Engine, recovery: Recovery) -> PassReport:
    """`kiosk reconcile`: resume unsent payments, check every payment still open with Stripe now
    (not only the overdue ones), then cancel the card tenders of abandoned receipts."""
    report = await resume_unsent(engine)
    waiting = Payment.state.is_in([ON_READER, COLLECTING, COLLECTED, NEEDS_ATTENTION, REQUIRES_CAPTURE])
    pending = waiting | Payment.reconcile_after.is_not_null()
    seen: list[int] = []
    while True:
        lease = await leases.claim(pending & Payment.id.not_in(seen) if seen else pending, limit=recovery.batch)
        if not lease.ids:
            break
        seen.extend(lease.ids)
        report.checked += len(lease.ids)
        await _work(lease, lambda pid: check(engine, pid), report)
    return report.merge(await sweep_abandoned(engine, recovery))


def paced(engine: Engine, recovery: Recovery) -> Engine:
    """The engine as the reconciler uses it: its Stripe calls come out of one budget."""
    budget = StripeBudget(recovery.stripe_calls_per_second, recovery.rate_limited_pause)
    return dataclasses.replace(engine, gateway=budgeted(engine.gateway, budget))


async def _reader_refunds(engine: Engine) -> PassReport:
    """In-person refunds (Interac) whose reader's news is overdue (kiosk.payments.refunds.on_reader)."""
    return PassReport(checked=await on_reader.check_due(engine))


async def _guarded(name: str, step: Awaitable[PassReport]) -> bool:
    try:
        report = await step
    except Exception:  # the database may be briefly down: keep the loop alive
        logger.exception("reconciler %s failed", name)
        return False
    if report.checked or report.abandoned or report.failed:
        logger.debug("reconciler %s: %s", name, report)
    return True


async def _sweep_reader_tasks(engine: Engine) -> PassReport:
    """Reader tasks nobody follows any more (kiosk/payments/reader_tasks.py) are read and ended."""
    return PassReport(checked=await reader_tasks.sweep(engine))


async def _look() -> sql.Due:
    """One cheap read per wake-up (sql.next_due): an idle server's reconciler costs next to nothing."""
    try:
        return await sql.next_due(leases.PROCESS.rpartition("/")[0] + "/")
    except Exception:  # the database may be briefly down: the passes say so in the log
        return sql.Due(None, True)


def next_wake(now: float, due: sql.Due | None, hinted: float, recovery: Recovery, *, also: float = math.inf) -> float:
    """When (the loop's clock) the reconciler looks again: the next tick when something is due now
    (`due` None), else the tick after the earliest of the rows' `reconcile_after` (`due`, converted
    by the wall clock), this process's hints (`hinted`, kiosk/payments/wakeup.py) and `also` (the
    next sweep), but no later than the idle ceiling's next multiple (`Recovery.ceiling`)."""
    if due is None:
        return wakeup.on_grid(now, recovery.tick)
    earliest = min(hinted, also)
    if due.earliest is not None:
        earliest = min(earliest, now + (due.earliest - store.now()).total_seconds())
    return min(wakeup.on_grid(max(earliest, now), recovery.tick), wakeup.on_grid(now, recovery.ceiling))


async def run_forever(engine: Engine, recovery: Recovery) -> None:
    """The background task of every server's lifespan: looks when something may be due (see
    kiosk/payments/wakeup.py), takes the passes when something is."""
    engine = paced(engine, recovery)
    resumed = False
    next_sweep = 0.0
    with wakeup.alarm(recovery.tick) as alarm:
        while True:
            if not resumed:
                resumed = await _guarded("start-up pass", resume_unsent(engine))
            asked = anyio.current_time()
            found = await _look()
            due: sql.Due | None = found
            if found.now(store.now()):
                await _guarded("pass", check_due(engine, recovery))
                await _guarded("in-person refunds", _reader_refunds(engine))
                due = None  # the passes moved what they checked: look again at the next tick
            if anyio.current_time() >= next_sweep:
                await _guarded("abandoned-receipt sweep", sweep_abandoned(engine, recovery))
                await _guarded("reader-task sweep", _sweep_reader_tasks(engine))
                next_sweep = anyio.current_time() + recovery.sweep_every
            if not resumed:
                due = None
            now = anyio.current_time()
            await alarm.sleep_until(next_wake(now, due, alarm.hinted(asked), recovery, also=next_sweep), asked)


def until_next(period: float) -> float:
    """Seconds to the next whole multiple of `period` on the event loop's clock: periodic work
    (this tick, the settings check, uvicorn's own tick in kiosk/server.py) falls on a shared grid,
    so an idle server's loop wakes once for all of it instead of once for each."""
    now = anyio.current_time()
    return wakeup.on_grid(now, period) - now
