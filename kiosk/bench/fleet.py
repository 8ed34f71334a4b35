"""The tablets of a run, and one measured step: N tablets selling for S seconds against the stack."""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from kiosk.bench.browser import PageError
from kiosk.bench.customer import Customer
from kiosk.bench.metrics import Recorder, tap_legs
from kiosk.bench.options import BenchOptions
from kiosk.bench.procs import ProcSample, sample
from kiosk.bench.stack import API_KEY, Stack
from kiosk.bench.tablet import Tablet

SIGN_IN_CONCURRENCY = 16
# Webhook loss is applied in windows of this many seconds: dropped for the lossy share, then normal.
LOSS_PERIOD = 2.0
# Stripe calls the kiosk makes to take a payment; the rest are reconciliation (asking Stripe).
PAYMENT_CALLS = frozenset(
    {
        "POST /v1/payment_intents",
        "POST /v1/terminal/readers/{reader}/process_payment_intent",
        "POST /v1/payment_intents/{intent}/capture",
        "GET /v1/terminal/readers",
    }
)
TEST_HELPER_PREFIX = "POST /v1/test_helpers/"


@dataclass
class Usage:
    """CPU and memory of the processes over a step."""

    before: dict[str, ProcSample]
    after: dict[str, ProcSample] = field(default_factory=dict)

    def cpu(self, name: str) -> float:
        return self.after[name].cpu_seconds - self.before[name].cpu_seconds


@dataclass
class Step:
    tablets: int
    recorder: Recorder
    usage: Usage
    calls: dict[str, int]  # kiosk's Stripe calls by route over the step (customers' taps left out)
    window_calls: int  # the kiosk's Stripe calls inside the window
    webhook_drops: dict[str, Any]
    # The machine's 1-minute load average at the end of the window: other work on it shows here.
    load_average: float = 0.0
    tap_legs: dict[str, Any] = field(default_factory=dict)
    # Locations whose picker opened for the first time in the run during this step: the kiosk has
    # never seen their readers and must list them at Stripe once (part of the minimum of calls).
    first_listings: int = 0

    @property
    def poll_p99_ms(self) -> float | None:
        p99 = self.recorder.summary()["poll_ms"]["p99"]
        return None if p99 is None else float(p99)

    @property
    def tap_p95_ms(self) -> float | None:
        p95 = self.recorder.summary()["tap_to_screen_ms"]["p95"]
        return None if p95 is None else float(p95)


class Fleet:
    def __init__(self, stack: Stack, opts: BenchOptions) -> None:
        self.stack = stack
        self.opts = opts
        self.recorder = Recorder()
        self.customer = Customer(stack.sim_url, API_KEY, self.recorder)
        self.tablets: list[Tablet] = []
        self.picked_locations: set[str] = set()  # in the steps so far

    async def aclose(self) -> None:
        await asyncio.gather(self.customer.aclose(), *(t.browser.aclose() for t in self.tablets))

    def processes(self) -> dict[str, int]:
        return {"kiosk": self.stack.kiosk_pid, "simulator": self.stack.sim.pid, "bench": os.getpid()}

    def _sample(self) -> dict[str, ProcSample]:
        # The bench's own children are the simulator and the kiosk: counted apart, not twice.
        return {name: sample(pid, with_children=name != "bench") for name, pid in self.processes().items()}

    def _use(self, recorder: Recorder) -> None:
        self.recorder = self.customer.recorder = recorder
        for tablet in self.tablets:
            tablet.recorder = tablet.browser.recorder = recorder

    async def grow(self, count: int) -> None:
        """Sign in tablets until there are `count` (logins are outside every measured window)."""
        seats = await self.stack.add_tills(count - len(self.tablets))
        new = [Tablet(seat, self.stack.kiosk_url, self.customer, self.recorder, self.opts) for seat in seats]
        gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

        async def sign_in(tablet: Tablet) -> None:
            async with gate:
                await tablet.sign_in()

        await asyncio.gather(*(sign_in(t) for t in new))
        self.tablets += new
        # Signing in lands on /receipts/, whose customer-screen choice lists the till's location at
        # Stripe the first time: that listing falls before every window, so no step's minimum counts it.
        self.picked_locations |= {t.seat.location_id for t in new}

    async def step(self, count: int, seconds: float) -> Step:
        """`count` tablets sell for `seconds`; sales under way then finish (within the grace)."""
        await self.grow(count)
        recorder = Recorder()
        self._use(recorder)
        await self.stack.control("POST", "/_sim/calls/reset")
        usage = Usage(self._sample())
        stop = asyncio.Event()
        recorder.open(seconds)
        loss = asyncio.create_task(self._lose_webhooks(stop)) if self.opts.webhook_loss > 0 else None
        sales = [asyncio.create_task(t.run(stop)) for t in self.tablets[:count]]
        await asyncio.sleep(seconds)
        window_calls = _kiosk_calls(await self.stack.control("GET", "/_sim/calls"))
        load = os.getloadavg()[0]
        stop.set()
        _, late = await asyncio.wait(sales, timeout=self.opts.grace)
        for task in late:
            task.cancel()
            recorder.errors["a sale still running after the grace period"] += 1
        drops = await self._end_loss(loss)
        usage.after = self._sample()
        calls = _kiosk_calls(await self.stack.control("GET", "/_sim/calls"))
        await self._abandon([t for t, task in zip(self.tablets, sales, strict=False) if task in late])
        log = await self.stack.control("GET", "/_sim/webhooks/deliveries?type=terminal.reader.action_succeeded")
        legs = tap_legs(recorder.taps, log["deliveries"])
        first = recorder.picked_locations - self.picked_locations
        self.picked_locations |= recorder.picked_locations
        return Step(count, recorder, usage, calls, sum(window_calls.values()), drops, round(load, 2), legs, len(first))

    async def _abandon(self, tablets: list[Tablet]) -> None:
        """Cashiers whose sale was stopped cancel its payment, as they would: nothing is left for the
        reconciler to watch (and the next step or probe starts from a quiet server)."""

        async def cancel(tablet: Tablet) -> None:
            with contextlib.suppress(PageError):
                await tablet.browser.hx("cancel", "POST", f"/payments/{tablet.payment_id}/cancel")

        # At once and within the grace: a thousand stuck sales must not hold the run up for long.
        cancels = [asyncio.create_task(cancel(t)) for t in tablets if t.payment_id]
        if cancels:
            _, late = await asyncio.wait(cancels, timeout=self.opts.grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _lose_webhooks(self, stop: asyncio.Event) -> None:
        """Drop every webhook for the lossy share of each period, deliver normally for the rest."""
        lossy = LOSS_PERIOD * self.opts.webhook_loss
        while not stop.is_set():
            await self.stack.control("POST", "/_sim/webhooks/faults", {"mode": "drop", "count": 10**9})
            await asyncio.sleep(lossy)
            await self.stack.control("POST", "/_sim/webhooks/faults", {"mode": "normal"})
            await asyncio.sleep(LOSS_PERIOD - lossy)

    async def _end_loss(self, loss: asyncio.Task[None] | None) -> dict[str, Any]:
        if loss is None:
            return {}
        loss.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loss
        await self.stack.control("POST", "/_sim/webhooks/faults", {"mode": "normal"})
        log = (await self.stack.control("GET", "/_sim/webhooks/deliveries"))["deliveries"]
        first = [row for row in log if row["attempt"] <= 1]  # dropped ones are never attempted
        dropped = sum(row["outcome"] == "dropped" for row in first)
        return {"events_seen": len(first), "dropped": dropped, "share": round(dropped / max(1, len(first)), 3)}


def _kiosk_calls(counts: dict[str, Any]) -> dict[str, int]:
    """The kiosk's own Stripe calls by route: the customers' test-helper taps are not the kiosk's."""
    calls: dict[str, int] = counts["calls"]
    return {route: n for route, n in calls.items() if not route.startswith(TEST_HELPER_PREFIX)}
