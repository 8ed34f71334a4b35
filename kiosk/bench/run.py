"""`kiosk bench`: start the stack, run the tablets (or the stepped capacity search), probe, report."""

from __future__ import annotations

import asyncio
import resource
import signal
import sys
import time
from typing import Any

from kiosk.bench import costs, probes, profile, report
from kiosk.bench.day_report import run_report_bench
from kiosk.bench.fleet import Fleet, Step
from kiosk.bench.options import BenchOptions
from kiosk.bench.stack import running_stack
from kiosk.simulator.collector import tune as tune_collector
from kiosk.stripe_account.admin_gateway import AdminStripeError

# Between capacity steps: let the webhook queue and the reconciler drain.
SETTLE_SECONDS = 2.0
BISECTIONS = 2


def verdict(step: Step, opts: BenchOptions) -> dict[str, bool]:
    """What a capacity step must hold, each on its own: polls fast enough, every sale went through
    (cheap polls stay fast on a server too busy to take the payments, which is no capacity), and the
    customer sees the outcome within the poll interval plus 100 ms."""
    p99, tap = step.poll_p99_ms, step.tap_p95_ms
    return {
        "no_errors": not step.recorder.errors,
        "poll_p99_met": p99 is not None and p99 < opts.capacity_target_ms,
        "tap_to_screen_p95_met": tap is not None and tap <= tap_limit_ms(opts),
    }


def tap_limit_ms(opts: BenchOptions) -> float:
    return opts.poll_interval * 1000 + 100


def _passes(step: Step, opts: BenchOptions) -> bool:
    return all(verdict(step, opts).values())


def _counts(opts: BenchOptions) -> list[int]:
    counts, n = [], opts.capacity_start
    while n < opts.tablets:
        counts.append(n)
        n *= 2
    return [*counts, opts.tablets]


async def find_capacity(fleet: Fleet, opts: BenchOptions) -> tuple[dict[str, Any], Step]:
    """Double the tablets until a step fails (errors, poll p99 or tap-to-screen p95 over its target),
    then bisect between the last two steps."""
    steps: list[Step] = []
    walls: list[float] = []  # each step's wall time: signing in, the window, the grace
    best: Step | None = None
    failed: int | None = None

    async def run_step(count: int) -> bool:
        print(f"kiosk bench: capacity step with {count} tablets…", file=sys.stderr, flush=True)
        started = time.monotonic()
        step = await fleet.step(count, opts.duration)
        steps.append(step)
        walls.append(round(time.monotonic() - started, 1))
        await asyncio.sleep(SETTLE_SECONDS)
        passed = _passes(step, opts)
        print(f"kiosk bench: {report.step_line(step, passed, walls[-1])}", file=sys.stderr, flush=True)
        return passed

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
        "tap_to_screen_p95_target_ms": tap_limit_ms(opts),
        "steps": [
            {
                "tablets": s.tablets,
                "poll_p99_ms": s.poll_p99_ms,
                "tap_to_screen_p95_ms": s.tap_p95_ms,
                "polls": len(s.recorder.latencies.get("poll", [])),
                "errors": sum(s.recorder.errors.values()),
                **verdict(s, opts),
                "passed": _passes(s, opts),
                "server_cpu_seconds_per_payment": round(s.usage.cpu("kiosk") / max(1, s.recorder.approved_total), 4),
                **report.per_sale_costs(s),
                "payments": s.recorder.approved_total,
                "load_average_1m": s.load_average,
                "wall_seconds": wall,
            }
            for s, wall in zip(steps, walls, strict=True)
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
                step = await _measured_step(fleet, opts, extra)
            extra["first_load"] = await probes.first_load(fleet)
            extra["polls_and_stripe"] = await probes.polls_and_stripe(fleet)
            # Short runs (CI's smoke test) get short probes; real runs two seconds a turn.
            extra["throughput"] = await probes.throughput(fleet, seconds=min(2.0, max(0.5, opts.duration / 8)))
            if opts.cost_sales:
                extra["sale_costs"] = await costs.sale_costs(fleet, opts.cost_sales)
            return report.build(opts, step, extra)
        finally:
            await fleet.aclose()


async def _measured_step(fleet: Fleet, opts: BenchOptions, extra: dict[str, Any]) -> Step:
    """The run's one step; with `--profile`, py-spy samples the server over its window (the tablets
    sign in before, outside the samples)."""
    if opts.profile_path is None:
        return await fleet.step(opts.tablets, opts.duration)
    await fleet.grow(opts.tablets)
    spy = profile.start(fleet.stack.kiosk_pid, opts.duration, opts.profile_path)
    try:
        step = await fleet.step(opts.tablets, opts.duration)
    finally:
        _, errors = await asyncio.to_thread(spy.communicate)
    if spy.returncode != 0 or not opts.profile_path.exists():
        raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace').strip()[-500:]}")
    extra["profile"] = profile.summarize(opts.profile_path)
    return step


def _stop_on_sigterm() -> None:
    """A terminated bench still stops its simulator, kiosk and database on the way out."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


# Sockets a tablet may hold: a browser's six connections for its GETs and six for its posts.
FILES_PER_TABLET = 12
FILES_SPARE = 1024


def _allow_open_files(tablets: int) -> None:
    """Raise this process's open-file limit (inherited by the simulator and the kiosk it starts) as
    far as the hard limit allows: a thousand tablets hold many thousand sockets, and a limit hit
    mid-run shows as connection errors that are the bench's, not the server's."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = tablets * FILES_PER_TABLET + FILES_SPARE
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
    if ceiling < wanted:
        print(f"kiosk bench: at most {ceiling} open files (hard limit) for {tablets} tablets", file=sys.stderr)


def main(opts: BenchOptions) -> int:
    if opts.report_receipts:
        return run_report_bench(opts.report_receipts, opts.json_path)
    _stop_on_sigterm()
    _allow_open_files(opts.tablets)
    tune_collector()  # a thousand tablets' clients and answers: the collector's full passes walked them all
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
