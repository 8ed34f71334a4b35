"""A step's report: the minimum of Stripe calls the kiosk needs (create and process per attempt, and
one listing of each shop's readers the first time its picker opens), and the CPU per sale of every
process sharing the machine."""

from __future__ import annotations

import time

from kiosk.bench.fleet import Step, Usage
from kiosk.bench.metrics import Recorder
from kiosk.bench.procs import ProcSample
from kiosk.bench.report import step_report

MB = 1024 * 1024


def _step(first_listings: int, readers_listed: int) -> Step:
    rec = Recorder()
    rec.open(60)
    for n in range(10):
        rec.payment_done(time.monotonic(), 2.0, n == 0, 0.5)
    calls = {
        "POST /v1/payment_intents": 10,
        "POST /v1/terminal/readers/{reader}/process_payment_intent": 11,
        "GET /v1/terminal/readers": readers_listed,
    }
    before = {name: ProcSample(1.0, 0, 0) for name in ("kiosk", "simulator", "bench")}
    usage = Usage(before)
    usage.after = {
        "kiosk": ProcSample(1.2, 0, 300 * MB, 150 * MB),  # two workers: 150 MB at most each
        "simulator": ProcSample(1.05, 0, 0),
        "bench": ProcSample(1.1, 0, 0),
    }
    return Step(10, rec, usage, calls, 21 + readers_listed, {}, first_listings=first_listings)


def test_the_first_listing_of_each_shop_is_part_of_the_minimum_a_relisting_is_not() -> None:
    stripe = step_report(_step(first_listings=2, readers_listed=2))["stripe"]
    assert stripe["minimum_per_payment"] == stripe["calls_per_payment"] == 2.3  # (20 + 1 retry + 2) / 10
    again = step_report(_step(first_listings=2, readers_listed=3))["stripe"]
    assert again["calls_per_payment"] > again["minimum_per_payment"]


def test_cpu_per_sale_of_server_simulator_and_bench_and_the_largest_worker() -> None:
    run = step_report(_step(first_listings=0, readers_listed=0))
    assert run["server_cpu_ms_per_sale"] == 20.0
    assert run["simulator_cpu_ms_per_sale"] == 5.0
    assert run["bench_cpu_ms_per_sale"] == 10.0
    assert run["server_worker_peak_rss_mb"] == 150.0 and run["server"]["peak_memory_mb"] == 300.0
