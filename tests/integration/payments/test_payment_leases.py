"""Per-payment leases (kiosk/payments/leases.py) on the run's database: SQLite, or PostgreSQL where claims
lock rows with FOR UPDATE SKIP LOCKED. Two claimers never get the same payment."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import pytest

from kiosk.payments import leases, store
from kiosk.payments.tables import Payment, PaymentLease
from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.payments_support import wait_until


async def _payments(warehouse: int, user: int, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        receipt = await open_receipt(warehouse, user)
        await add_quick_amount(receipt, warehouse, "10.00")
        row = Payment(receipt=receipt, amount=1000, currency="usd", state="on_reader", reconcile_after=store.later(-1))
        ids.append(int((await Payment.insert(row).returning(Payment.id))[0]["id"]))
    return ids


DUE = Payment.reconcile_after <= store.later(3600)


async def test_concurrent_claims_split_the_due_payments(warehouse: int, cashier: int) -> None:
    ids = await _payments(warehouse, cashier, 8)
    claims = await asyncio.gather(*(leases.claim(DUE, limit=5, order_by=Payment.id) for _ in range(3)))
    taken = [pid for claim in claims for pid in claim.ids]
    assert sorted(taken) == ids  # every payment leased, none twice
    assert len({claim.holder for claim in claims}) == 3
    assert await PaymentLease.count() == 8


async def test_a_live_lease_is_respected_and_an_expired_one_taken_over(warehouse: int, cashier: int) -> None:
    (pid,) = await _payments(warehouse, cashier, 1)
    first = await leases.claim_ids([pid])
    assert first.ids == [pid]
    assert (await leases.claim_ids([pid])).ids == []
    await PaymentLease.update({PaymentLease.expires_at: store.later(-1)}).where(PaymentLease.payment == pid)
    second = await leases.claim_ids([pid])
    assert second.ids == [pid] and second.holder != first.holder
    await leases.release(first)  # a late release by the old holder does not free the new lease
    assert await PaymentLease.exists().where(PaymentLease.holder == second.holder)


async def test_a_dead_process_lease_on_this_host_is_taken_over_at_once(warehouse: int, cashier: int) -> None:
    (pid,) = await _payments(warehouse, cashier, 1)
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await child.wait()  # its pid is gone now (and reaped: no zombie)
    dead_holder = f"{leases.PROCESS.rpartition('/')[0]}/{child.pid}/0badc0de"
    await PaymentLease.insert(PaymentLease(payment=pid, holder=dead_holder, expires_at=store.later(600)))
    alive_holder = f"{leases.PROCESS}/0badc0de"  # this very process: alive
    assert leases.holder_is_dead(dead_holder) and not leases.holder_is_dead(alive_holder)
    assert not leases.holder_is_dead(f"elsewhere/pid:[1]/{child.pid}/x")  # another host: unknown
    assert await leases.reap_dead_holders() == 1
    assert (await leases.claim_ids([pid])).ids == [pid]


async def test_leased_actions_wait_for_the_holder_then_give_up(warehouse: int, cashier: int) -> None:
    (pid,) = await _payments(warehouse, cashier, 1)
    calls: list[int] = []

    @leases.leased(wait=0.3)
    async def act(engine: object, payment_id: int) -> int:
        calls.append(payment_id)
        assert leases.held(payment_id)
        return payment_id

    @leases.leased_or_skip
    async def look(engine: object, payment_id: int) -> Payment | None:
        calls.append(-payment_id)
        return None

    other = await leases.claim_ids([pid])
    with pytest.raises(leases.PaymentBusy):
        await act(None, pid)
    skipped = await look(None, pid)
    assert skipped is not None and skipped.id == pid and calls == []
    await leases.release(other)
    assert await act(None, pid) == pid and calls == [pid]
    assert await PaymentLease.count() == 0  # given back after the action


async def test_a_held_lease_is_renewed_while_the_work_lasts(
    warehouse: int, cashier: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pid,) = await _payments(warehouse, cashier, 1)
    monkeypatch.setattr(leases, "LEASE_SECONDS", 0.5)
    monkeypatch.setattr(leases, "RENEW_SECONDS", 0.1)
    lease = await leases.claim_ids([pid])
    first_expiry = await _expiry(pid)
    # Renewals from now on last long, so a busy machine's pauses cannot let a renewed lease lapse.
    monkeypatch.setattr(leases, "LEASE_SECONDS", 600.0)
    async with leases.kept(lease):

        async def renewed_past_the_first_expiry() -> bool:
            return store.now() > first_expiry and await _expiry(pid) > first_expiry

        await wait_until(renewed_past_the_first_expiry, what="the lease renewed and outliving its first term")
        assert (await leases.claim_ids([pid])).ids == []  # the work still holds it
    assert await PaymentLease.count() == 0


async def _expiry(payment_id: int) -> datetime:
    row = await PaymentLease.select(PaymentLease.expires_at).where(PaymentLease.payment == payment_id).first()
    assert row is not None
    expires: datetime = row["expires_at"]
    return expires
