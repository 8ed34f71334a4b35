"""The small parts of recovery: the environment knobs, the reconciler's Stripe budget, what counts
as "the database is away", and the kill-point hook."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

import pytest

from kiosk.payments.recovery_policy import Recovery, recovery_from_env, timing_from_env
from kiosk.stripe_account.budget import BudgetedGateway, StripeBudget
from kiosk.stripe_account.errors import RateLimited
from kiosk.web.outage import is_database_outage


def test_recovery_and_timing_come_from_name_value_pairs() -> None:
    assert recovery_from_env({}) == Recovery()
    tuned = recovery_from_env({"KIOSK_RECOVERY": "tick=0.5, batch=7,abandon_after=60"})
    assert (tuned.tick, tuned.batch, tuned.abandon_after) == (0.5, 7, 60.0)
    assert timing_from_env({}) is None
    timing = timing_from_env({"KIOSK_PAYMENT_TIMING": "webhook_grace=1,stuck_after=9"})
    assert timing is not None and (timing.webhook_grace, timing.stuck_after) == (1.0, 9.0)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("tik=1", "unknown setting 'tik'"), ("tick=soon", "tick must be a number"), ("batch=-1", "must not be negative")],
)
def test_bad_knobs_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        recovery_from_env({"KIOSK_RECOVERY": text})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_budget_lets_a_second_worth_through_then_paces(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    budget = StripeBudget(per_second=4, pause=2.0, clock=clock)
    for _ in range(4):
        await budget.take()
    assert slept == [] and budget.spent == 4
    await budget.take()  # the fifth waits a quarter of a second
    assert slept == [pytest.approx(0.25)]
    budget.rate_limited()  # Stripe said 429: nobody calls for two seconds
    before = clock.now
    await budget.take()
    assert clock.now - before >= 2.0


async def test_a_429_through_the_budgeted_gateway_pauses_the_budget() -> None:
    class Gateway:
        async def retrieve_intent(self, intent_id: str) -> str:
            raise RateLimited("slow down", "rate_limit")

    budget = StripeBudget(per_second=100, pause=5.0)
    paced = BudgetedGateway(Gateway(), budget)  # type: ignore[arg-type]
    with pytest.raises(RateLimited):
        await paced.retrieve_intent("pi_1")
    assert budget.spent == 1 and budget._paused_until > 0


def test_what_counts_as_the_database_being_away() -> None:
    assert is_database_outage(ConnectionRefusedError(111, "Connection refused"))
    assert is_database_outage(sqlite3.OperationalError("database is locked"))
    assert not is_database_outage(sqlite3.OperationalError("no such column: nope"))  # a bug, not an outage
    assert not is_database_outage(ValueError("bad amount"))
    assert not is_database_outage(FileNotFoundError(2, "No such file"))


def test_a_kill_point_name_that_does_not_exist_stops_the_process_at_once() -> None:
    env = {"KIOSK_FAULT_KILL_AT": "after_lunch", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import kiosk.payments.faults"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "names no step" in result.stderr
