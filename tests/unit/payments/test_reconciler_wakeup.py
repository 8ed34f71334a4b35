"""When the reconciler looks again (kiosk/payments/wakeup.py, recovery.next_wake): the tick after
the earliest due row or hint, never later than the idle ceiling; hints of this process's writes
wake a sleeping loop, from its own event loop or another thread."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

import anyio
import pytest

from kiosk.payments import store, wakeup
from kiosk.payments.recovery import next_wake
from kiosk.payments.recovery_policy import Recovery
from kiosk.payments.sql import Due

SHOP = Recovery()  # a 1-s tick, looks at least every 5 s
NOTHING = Due(None, False)


def in_seconds(seconds: float) -> Due:
    return Due(store.later(seconds), False)


def test_the_ceiling_follows_a_shorter_tick() -> None:
    assert SHOP.ceiling == 5.0
    assert Recovery(tick=0.2).ceiling == pytest.approx(1.0)  # the fault suite's pace: five ticks
    assert Recovery(tick=0.1, idle_ceiling=20).ceiling == pytest.approx(2.0)
    assert Recovery(tick=10.0).ceiling == 10.0  # never shorter than a tick
    assert Recovery(idle_ceiling=2.0).ceiling == 2.0


def test_an_idle_reconciler_looks_on_the_ceilings_grid() -> None:
    assert next_wake(101.2, NOTHING, math.inf, SHOP) == 105.0
    assert next_wake(105.0, NOTHING, math.inf, SHOP) == 110.0
    assert next_wake(101.2, in_seconds(3600), math.inf, SHOP) == 105.0


def test_a_row_falling_due_is_looked_at_the_tick_after_its_time() -> None:
    assert next_wake(101.2, in_seconds(1.5), math.inf, SHOP) == 103.0
    assert next_wake(101.2, in_seconds(-30), math.inf, SHOP) == 102.0  # overdue: the next tick


def test_something_due_now_brings_the_next_tick() -> None:
    assert next_wake(101.2, None, math.inf, SHOP) == 102.0
    assert next_wake(101.2, None, math.inf, Recovery(tick=0.2)) == pytest.approx(101.4)


def test_a_hint_or_the_sweep_sooner_than_the_rows_wins() -> None:
    assert next_wake(101.2, in_seconds(3.5), 101.5, SHOP) == 102.0
    assert next_wake(101.2, in_seconds(3.5), math.inf, SHOP, also=102.5) == 103.0


async def test_a_hint_sooner_than_the_planned_wake_up_wakes_the_loop() -> None:
    with wakeup.alarm(0.05) as alarm:
        asked = anyio.current_time()
        woke = asyncio.Event()

        async def sleeper() -> None:
            await alarm.sleep_until(asked + 3600, asked)
            woke.set()

        task = asyncio.create_task(sleeper())
        await asyncio.sleep(0.05)
        wakeup.due_at(store.later(3 * 3600))  # later than planned: no wake-up
        await asyncio.sleep(0.1)
        assert not woke.is_set()
        wakeup.due_at(store.now())  # due now: the loop looks at its next tick
        with anyio.fail_after(30):
            await woke.wait()
        await task


async def test_a_hint_from_another_thread_wakes_the_loop() -> None:
    with wakeup.alarm(0.05) as alarm:
        asked = anyio.current_time()
        task = asyncio.create_task(alarm.sleep_until(asked + 3600, asked))
        await asyncio.sleep(0.05)
        await asyncio.to_thread(wakeup.due_at, store.now())
        with anyio.fail_after(30):
            await task


async def test_a_hint_a_look_may_have_missed_asks_for_one_more_look() -> None:
    """A hint is given inside its writer's transaction: a look in the same tick may not see the row.
    It asks for one more look a tick after it was given; a look a tick later has surely seen it."""
    with wakeup.alarm(1.0) as alarm:
        given = anyio.current_time()
        wakeup.due_at(store.now() - timedelta(seconds=5))  # due already when given
        wakeup.due_at(store.later(30))
        assert alarm.hinted(given - 0.5) == pytest.approx(given, abs=0.05)  # a look before it: look now
        assert alarm.hinted(given + 0.5) == pytest.approx(given + 1.0, abs=0.05)  # maybe missed: once more
        assert alarm.hinted(given + 1.5) == math.inf  # seen by that look, both rows


def test_without_a_running_reconciler_a_hint_does_nothing() -> None:
    wakeup.due_at(store.now())
    wakeup.due_at(None)


def test_a_hint_for_a_reconciler_whose_loop_has_closed_is_dropped() -> None:
    """A write in a test's or a command's loop after a server's loop closed must still succeed."""
    loop = asyncio.new_event_loop()
    stopped = wakeup.Alarm(1.0)
    stopped._loop = loop
    loop.close()
    stopped.hint(0.0)
