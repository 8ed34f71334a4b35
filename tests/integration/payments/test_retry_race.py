"""Two tills press "Try again" on one declined payment at once, each on its own reader: one retry
goes to its reader; the other shows where the payment went and touches no reader's lease."""

from __future__ import annotations

import pytest

from kiosk.payments import actions as payments
from kiosk.payments.tables import Payment, ReaderLease
from tests.payments_support import Kiosk, assert_charged_once, payment, wait_state

INSUFFICIENT_FUNDS = "4000000000009995"


async def leases() -> dict[str, int]:
    rows = await ReaderLease.select(ReaderLease.reader_id, ReaderLease.payment)
    return {str(row["reader_id"]): int(row["payment"]) for row in rows}


async def test_the_retry_that_lost_the_race_leaves_the_winners_reader_leased(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = kiosk.readers[0], kiosk.readers[1]
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(first, INSUFFICIENT_FUNDS)
    declined = await wait_state(started.id, "declined")
    winner = await payments.find_reader(kiosk.engine, kiosk.location, first)
    loser = await payments.find_reader(kiosk.engine, kiosk.location, second)
    retried = await payments.retry_payment(kiosk.engine, started.id, winner, "till 1")
    assert retried.state == "on_reader" and retried.reader_id == first

    # The other till read the payment while it was still declined, just before the first retry.
    async def as_the_other_till_saw_it(payment_id: int) -> Payment:
        return declined if payment_id == started.id else await payment(payment_id)

    monkeypatch.setattr(payments, "_load", as_the_other_till_saw_it)
    await payments.retry_payment(kiosk.engine, started.id, loser, "till 2")
    monkeypatch.undo()
    now = await payment(started.id)
    assert (now.state, now.reader_id, now.attempt) == ("on_reader", first, 2)
    assert await leases() == {first: started.id}  # the second reader stays free for other tills
    await kiosk.tap(first)
    done = await wait_state(started.id, "succeeded")
    await assert_charged_once(kiosk, done.payment_intent_id, 1000)
