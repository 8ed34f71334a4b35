"""`kiosk bench`: start the stack, run the tablets (or the stepped capacity search), probe, report."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from kiosk.bench import probes, report
from kiosk.bench.day_report import run_report_bench
from kiosk.bench.fleet import Fleet, Step
from kiosk.bench.options import BenchOptions
from kiosk.bench.stack import running_stack
from kiosk.stripe_account.admin_gateway import AdminStripeError

# Between capacity steps: let the webhook queue and the reconciler drain.
SETTLE_SECONDS = 2.0
BISECTIONS = 2


def _passes(step: Step, opts: BenchOptions) -> bool:
    """Polls fast enough, and every sale went through: cheap polls stay fast on a server too busy
    to take the payments (readers left busy, sales unfinished), which is no capacity."""
    p99 = step.poll_p99_ms
    return p99 is not None and p99 < opts.capacity_target_ms and not step.recorder.errors


def _counts(opts: BenchOptions) -> list[int]:
    counts, n = [], opts.capacity_start
    while n < opts.tablets:
        counts.append(n)
        n *= 2
    return [*counts, opts.tablets]


async def find_capacity(fleet: Fleet, opts: BenchOptions) -> tuple[dict[str, Any], Step]:
    """Double the tablets until poll p99 reaches the target, then bisect between the last two steps."""
    steps: list[Step] = []
    best: Step | None = None
    failed: int | None = None

    async def run_step(count: int) -> bool:
        print(f"kiosk bench: capacity step with {count} tablets…", file=sys.stderr, flush=True)
        step = await fleet.step(count, opts.duration)
        steps.append(step)
        await asyncio.sleep(SETTLE_SECONDS)
        return _passes(step, opts)

    for count in _counts(opts):
        if not await run_step(count):
            failed = count
            break
        best = steps[-1]
    for _ in range(BISECTIONS):
        low = best.tablets if best else 0
        if failed is None or failed - low <= max(1, low // 8):
            break
        middle = (low + failed) // 2
        if await run_step(middle):
            best = steps[-1]
        else:
            failed = middle
    summary = {
        "tablets": best.tablets if best else 0,
        "poll_p99_target_ms": opts.capacity_target_ms,
        "steps": [
            {
                "tablets": s.tablets,
                "poll_p99_ms": s.poll_p99_ms,
                "polls": len(s.recorder.latencies.get("poll", [])),
                "errors": sum(s.recorder.errors.values()),
                "load_average_1m": s.load_average,
            }
            for s in steps
        ],
    }
    return summary, best or steps[0]


async def bench(opts: BenchOptions) -> dict[str, Any]:
    async with running_stack(opts) as stack:
        fleet = Fleet(stack, opts)
        try:
            extra: dict[str, Any] = {}
            if opts.find_capacity:
                extra["capacity"], step = await find_capacity(fleet, opts)
            else:
                print(f"kiosk bench: {opts.tablets} tablets for {opts.duration:.0f} s…", file=sys.stderr, flush=True)
                step = await fleet.step(opts.tablets, opts.duration)
            extra["first_load"] = await probes.first_load(fleet)
            extra["polls_and_stripe"] = await probes.polls_and_stripe(fleet)
            # Short runs (CI's smoke test) get short probes; real runs two seconds a turn.
            extra["throughput"] = await probes.throughput(fleet, seconds=min(2.0, max(0.5, opts.duration / 8)))
            return report.build(opts, step, extra)
        finally:
            await fleet.aclose()


def _stop_on_sigterm() -> None:
    """A terminated bench still stops its simulator, kiosk and database on the way out."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def main(opts: BenchOptions) -> int:
    if opts.report_receipts:
        return run_report_bench(opts.report_receipts, opts.json_path)
    _stop_on_sigterm()
    try:
        import uvloop

        run: Any = uvloop.run  # the load generator needs all the speed it can get
    except ImportError:
        run = asyncio.run
    try:
        result = run(bench(opts))
    except (RuntimeError, AdminStripeError) as exc:  # the stack could not start (no PostgreSQL, a child
        # died, the simulator refused the setup): said plainly
        raise SystemExit(f"kiosk bench: {exc}") from None
    print(report.table(result))
    if opts.json_path:
        report.write_json(result, opts.json_path)
    return 0
