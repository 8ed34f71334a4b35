"""When a server's reconciler next looks at the database, and what wakes it sooner.

The reconciler's loop (kiosk/payments/recovery.py `run_forever`) does not ask the database every tick
whether something is due. Each look (`sql.next_due`) answers with the earliest `reconcile_after` of
the payments and in-person refunds, and the loop sleeps until the first tick after it, or at most
until the idle ceiling (`Recovery.ceiling`, 5 s by default, on its own whole-multiple grid so the
settings check of kiosk/payments/runtime.py falls on the same wake-up). An idle server therefore
reads once per ceiling instead of once per tick. What can become due while it sleeps:

- A row written by THIS process (a start, a webhook, a retry, a capture to do, a refund sent to a
  reader): every writer of `reconcile_after` in this room tells the alarms (`due_at`): a sleeping
  loop is woken at once and sleeps again only until the first tick after that time. So a payment's
  own server looks at it on the same tick as when it asked every tick.
  A hint is given as the row is written, inside the writer's transaction, before it commits: a look
  falling between the two would miss the row. So a hint stays with the alarm until a look starts a
  full tick after it was given (rows commit in milliseconds): a hint already due when a look missed
  it brings one more look, a tick after it was given, never a look later than the per-tick asking.
- A row written by ANOTHER process (another server sharing the database, a `kiosk` command): that
  process's own reconciler is woken by its own hint; this one finds the row within the ceiling, as
  it finds a lease left by a dead process of this host (`sql.next_due`'s `leases`).

`due_at` costs a clock read and a comparison per write; with no reconciler running (a `kiosk`
command, a test without one) it does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import anyio

# The alarms of the reconcilers running in this process (one per server app; tests may run several).
_ALARMS: list[Alarm] = []


def on_grid(at: float, period: float) -> float:
    """The first whole multiple of `period` after `at` (the loop's clock): the tick that looks."""
    if math.isinf(at):
        return at
    step = period - at % period
    if step < period * 1e-9:  # `at` on the grid but for a float's rounding (101.2 % 0.2): the next one
        step += period
    return at + step


class Alarm:
    """One reconciler's sleep, which hints of rows falling due may shorten (see the module)."""

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self._loop: asyncio.AbstractEventLoop | None = None
        # (due, given) on the loop's clock: hints not yet surely seen by a look.
        self._hints: list[tuple[float, float]] = []
        self._wake_at = math.inf  # the planned wake-up while asleep
        self._woken: anyio.Event | None = None

    def hint(self, seconds: float) -> None:
        """Something falls due `seconds` from now. Safe from any thread: the work is done on the
        reconciler's own loop."""
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._add(seconds)
            return
        with contextlib.suppress(RuntimeError):  # its loop has closed: that reconciler has stopped
            loop.call_soon_threadsafe(self._add, seconds)

    def _add(self, seconds: float) -> None:
        assert self._loop is not None
        given = self._loop.time()
        due = given + max(seconds, 0.0)
        self._hints.append((due, given))
        if self._woken is not None and on_grid(due, self.tick) < self._wake_at:
            self._woken.set()

    def hinted(self, asked: float) -> float:
        """The earliest look the hints still ask for (the loop's clock; inf: none), after a look that
        started at `asked`. A hint given a tick or more before that look was seen by it (its row
        committed), so it is dropped; a hint due before the look but given less than a tick before
        it may have been missed: it asks for one more look, a tick after it was given."""
        self._hints = [(due, given) for due, given in self._hints if given > asked - self.tick]
        return min((due if due > asked else given + self.tick for due, given in self._hints), default=math.inf)

    async def sleep_until(self, at: float, asked: float) -> None:
        """Sleep until the loop's clock reads `at`, or until the tick after a sooner hint given
        meanwhile (`asked`: when the last look started)."""
        while True:
            now = anyio.current_time()
            if now >= at:
                return
            self._wake_at, self._woken = at, anyio.Event()
            try:
                with anyio.move_on_after(at - now):
                    await self._woken.wait()
            finally:
                self._wake_at, self._woken = math.inf, None
            at = min(at, on_grid(self.hinted(asked), self.tick))


@contextmanager
def alarm(tick: float) -> Iterator[Alarm]:
    """An alarm for the reconciler running on the current event loop, told of every hint while in use."""
    made = Alarm(tick)
    made._loop = asyncio.get_running_loop()
    _ALARMS.append(made)
    try:
        yield made
    finally:
        _ALARMS.remove(made)


def due_at(when: datetime | None) -> None:
    """A row of this process gets `reconcile_after = when` (None: nothing to look at): the running
    reconcilers look at it on time (see the module)."""
    if when is None or not _ALARMS:
        return
    seconds = (when - datetime.now(UTC)).total_seconds()
    for each in list(_ALARMS):
        each.hint(seconds)
