"""Measurements taken beside the load, in the same run and the same server: bytes of a first load,
Stripe calls caused by polls, and the server's throughput on the progress fragment vs a bare route."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.bench.browser import Browser, PageError
from kiosk.bench.fleet import Fleet, _kiosk_calls
from kiosk.bench.metrics import Recorder, ms, percentile
from kiosk.bench.procs import sample
from kiosk.bench.tablet import Tablet

_ASSETS = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"')
PROBE_PAYMENTS = 8
WORKERS_PER_PAYMENT = 4
# Longer than the reconciler's first re-check interval (3 s): silence this long means idle.
QUIET_SECONDS = 5.0


async def first_load(fleet: Fleet) -> dict[str, Any]:
    """What a tablet downloads (compressed, headers included) opening the cashier's receipt page with
    an empty cache: the page, its stylesheet and scripts."""
    seat = fleet.tablets[0].seat
    browser = Browser(fleet.stack.kiosk_url, Recorder())
    try:
        tablet = Tablet(seat, fleet.stack.kiosk_url, fleet.customer, browser.recorder, fleet.opts)
        tablet.browser = browser
        await tablet.sign_in()
        page = await browser.submit("/receipts", {}, "new_receipt")
        parts = {browser.page_url.split("/")[1]: page.wire_bytes}
        raw = len(page.text.encode())
        for url in dict.fromkeys(_ASSETS.findall(page.text)):
            asset = await browser.fetch("asset", "GET", url)
            parts[url] = asset.wire_bytes
            raw += len(asset.text.encode())
    finally:
        await browser.aclose()
    return {"total_bytes": sum(parts.values()), "uncompressed_body_bytes": raw, "parts": parts}


async def _quiet(fleet: Fleet, limit: float = 30.0) -> bool:
    """Wait until the kiosk has made no Stripe call for QUIET_SECONDS (the reconciler is idle)."""
    deadline = time.monotonic() + limit
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        total = (await fleet.stack.control("GET", "/_sim/calls"))["total"]
        if total != last:
            last, since = total, time.monotonic()
        elif time.monotonic() - since >= QUIET_SECONDS:
            return True
        await asyncio.sleep(0.5)
    return False


async def polls_and_stripe(fleet: Fleet, rounds: int = 3) -> dict[str, Any]:
    """Poll every tablet's latest payment a few times with the reconciler idle; count Stripe calls."""
    payers = [t for t in fleet.tablets if t.payment_id][:200]
    quiet = await _quiet(fleet)
    await fleet.stack.control("POST", "/_sim/calls/reset")
    polls = 0
    for _ in range(rounds):
        for tablet in payers:
            await tablet.browser.hx("probe", "GET", f"/payments/{tablet.payment_id}/progress")
            polls += 1
    calls = _kiosk_calls(await fleet.stack.control("GET", "/_sim/calls"))
    return {"polls": polls, "stripe_calls": sum(calls.values()), "by_route": calls, "reconciler_was_idle": quiet}


async def _hammer(browsers: list[tuple[Browser, str]], seconds: float, htmx: bool) -> tuple[int, list[float]]:
    done = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker(browser: Browser, url: str) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            started = time.monotonic()
            await browser.fetch("probe", "GET", url, htmx=htmx)
            latencies.append(time.monotonic() - started)
            done += 1

    await asyncio.gather(*(worker(b, url) for b, url in browsers for _ in range(WORKERS_PER_PAYMENT)))
    return done, latencies


async def _payers(fleet: Fleet) -> list[Tablet]:
    """Tablets with a payment waiting on their reader (a till whose reader is still busy is skipped)."""
    payers: list[Tablet] = []
    for tablet in fleet.tablets:
        with contextlib.suppress(PageError):
            await tablet.start_payment()
            payers.append(tablet)
        if len(payers) == PROBE_PAYMENTS:
            break
    if not payers:
        raise PageError("no till could start a payment for the throughput probe")
    return payers


async def throughput(fleet: Fleet, seconds: float = 2.0, rounds: int = 2) -> dict[str, Any]:
    """Saturate the server with the progress fragment of running payments, then with /healthz, in
    turns; requests per second, and requests per second of the server's own CPU."""
    payers = await _payers(fleet)
    routes = {
        "healthz": [(t.browser, "/healthz") for t in payers],
        # Each at the address its page polls (the version the start drew): as unchanged as a running payment is.
        "progress": [(t.browser, t.poll_url) for t in payers],
    }
    totals = {name: Tally() for name in routes}
    calls_before = (await fleet.stack.control("GET", "/_sim/calls"))["total"]
    for _ in range(rounds):
        for name, targets in routes.items():
            cpu0, t0 = sample(fleet.stack.kiosk_pid).cpu_seconds, time.monotonic()
            done, latencies = await _hammer(targets, seconds, htmx=name == "progress")
            tally = totals[name]
            tally.requests += done
            tally.seconds += time.monotonic() - t0
            tally.server_cpu += sample(fleet.stack.kiosk_pid).cpu_seconds - cpu0
            tally.latencies += latencies
    calls_during = (await fleet.stack.control("GET", "/_sim/calls"))["total"] - calls_before
    for tablet in payers:
        with contextlib.suppress(PageError):  # a probe payment left on its reader changes nothing measured
            await tablet.browser.hx("cancel", "POST", f"/payments/{tablet.payment_id}/cancel")
    result: dict[str, Any] = {name: tally.rates() for name, tally in totals.items()}
    result["ratio_rps"] = round(result["progress"]["rps"] / max(1e-9, result["healthz"]["rps"]), 3)
    cpu_ratio = result["progress"]["per_cpu_second"] / max(1e-9, result["healthz"]["per_cpu_second"])
    result["ratio_per_server_cpu"] = round(cpu_ratio, 3)
    result["stripe_calls_meanwhile"] = calls_during
    return result


@dataclass
class Tally:
    requests: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def rates(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rps": round(self.requests / max(1e-9, self.seconds), 1),
            "per_cpu_second": round(self.requests / max(1e-9, self.server_cpu), 1),
            "server_cpu_ms_per_request": round(1000 * self.server_cpu / max(1, self.requests), 3),
            "p50_ms": ms(percentile(self.latencies, 50)),
        }
