"""Where a sale's server CPU goes, by route: one tablet makes a few sales alone on a quiet server, its
requests one at a time, and the server's CPU is read from /proc before and after each request: the
scheduler's nanoseconds of every thread of the server (`procs.thread_cpu`). Until the twelfth
session these were clock ticks, hundredths of a second, which left one request's figure rough and
the same code's sale 18 to 21 ms from one run to the next.

What the server spends between the tablet's requests is the webhooks of the sale (Stripe's events,
handled while the tablet waits for its next poll) plus the background loops (reconciler, recovery)
over the sale's seconds. Their idle rate is measured first, over IDLE_SECONDS once the warm-up
sale's own work has settled, and reported beside the figure, not taken off it (when it was counted
in clock ticks, a 2-second idle window read one tick or none, and taking that off made a sale look
up to 7 ms cheaper than it was). The sum is the CPU of one sale end to end, each request
kind's share beside it: the figure the load run gives only as a total.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import defaultdict
from typing import Any

from kiosk.bench.browser import Answer, Browser, PageError
from kiosk.bench.fleet import Fleet
from kiosk.bench.metrics import Recorder
from kiosk.bench.procs import thread_cpu
from kiosk.bench.tablet import Tablet

IDLE_SECONDS = 10.0
SETTLE_SECONDS = 3.0


class MeteredBrowser(Browser):
    """A browser whose requests go one at a time, each with the server's CPU read around it."""

    def __init__(self, base_url: str, recorder: Recorder, server_pid: int) -> None:
        super().__init__(base_url, recorder)
        self.server_pid = server_pid
        self.gate = asyncio.Lock()
        self.metering = False
        self.cpu: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self.busy_seconds = 0.0  # wall time inside metered requests

    async def fetch(self, kind: str, method: str, url: str, **options: Any) -> Answer:
        """Browser.fetch (its options as given), metered."""
        async with self.gate:
            if not self.metering:
                return await super().fetch(kind, method, url, **options)
            cpu0, t0 = thread_cpu(self.server_pid).seconds, time.monotonic()
            try:
                return await super().fetch(kind, method, url, **options)
            finally:
                self.cpu[kind] += thread_cpu(self.server_pid).seconds - cpu0
                self.count[kind] += 1
                self.busy_seconds += time.monotonic() - t0


async def sale_costs(fleet: Fleet, sales: int = 10) -> dict[str, Any]:
    """`sales` approved sales by one tablet alone (no declines), the server's CPU split by route."""
    pid, sim_pid = fleet.stack.kiosk_pid, fleet.stack.sim.pid
    opts = dataclasses.replace(fleet.opts, decline_share=0.0, tap_after=(0.5, 0.5))
    seat = fleet.tablets[0].seat
    browser = MeteredBrowser(fleet.stack.kiosk_url, Recorder(), pid)
    tablet = Tablet(seat, fleet.stack.kiosk_url, fleet.customer, browser.recorder, opts)
    tablet.browser = browser
    try:
        await tablet.sign_in()
        await tablet.sale()  # warm: the first sale of a tablet loads what later ones find ready
        # The warm sale's tail (its last events, the customer screen cleared) settles first.
        await asyncio.sleep(SETTLE_SECONDS)
        cpu0, t0 = thread_cpu(pid).seconds, time.monotonic()
        await asyncio.sleep(IDLE_SECONDS)
        idle_rate = (thread_cpu(pid).seconds - cpu0) / (time.monotonic() - t0)
        browser.metering = True
        sim0 = thread_cpu(sim_pid).seconds
        start, t0 = thread_cpu(pid), time.monotonic()
        done = 0
        for _ in range(sales):
            try:
                await tablet.sale()
                done += 1
            except PageError:
                continue
        end, seconds = thread_cpu(pid), time.monotonic() - t0
        total = end.seconds - start.seconds
        simulator = thread_cpu(sim_pid).seconds - sim0
    finally:
        browser.metering = False
        await browser.aclose()
    n = max(1, done)
    in_requests = sum(browser.cpu.values())
    between = total - in_requests
    routes = {
        kind: {
            "requests_per_sale": round(browser.count[kind] / n, 2),
            "cpu_ms_per_request": round(1000 * browser.cpu[kind] / max(1, browser.count[kind]), 2),
            "cpu_ms_per_sale": round(1000 * browser.cpu[kind] / n, 2),
        }
        for kind in sorted(browser.cpu, key=lambda k: -browser.cpu[k])
    }
    return {
        "sales": done,
        "server_cpu_ms_per_sale": round(1000 * total / n, 1),
        "by_route": routes,
        "webhooks_ms_per_sale": round(1000 * between / n, 1),
        "background_ms_per_second_idle": round(1000 * idle_rate, 2),
        "seconds_per_sale": round(seconds / n, 2),
        "requests_per_sale": round(sum(browser.count.values()) / n, 1),
        # Server threads that ended in the window: their CPU is missing from the figures (0: whole).
        "threads_ended": start.ended(end),
        # The embedded Stripe over the same sales: the kiosk's calls, the customer's tap, the webhooks.
        "simulator_cpu_ms_per_sale": round(1000 * simulator / n, 1),
    }
