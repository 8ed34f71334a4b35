"""The report of a run: one dict (written as JSON) and the table printed from it, targets included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kiosk.bench.fleet import PAYMENT_CALLS, Step
from kiosk.bench.options import BenchOptions
from kiosk.bench.procs import machine

MB = 1024 * 1024


def step_report(step: Step) -> dict[str, Any]:
    rec = step.recorder
    summary = rec.summary()
    approved = max(1, rec.approved_total)
    reconcile = sum(n for route, n in step.calls.items() if route not in PAYMENT_CALLS)
    waiting_3s = rec.on_reader_seconds_total / 3
    return {
        "tablets": step.tablets,
        **summary,
        "payments_total": rec.approved_total,
        "tap_to_screen_legs_ms": step.tap_legs,
        "stripe": {
            "calls_per_payment": round(sum(step.calls.values()) / approved, 3),
            "minimum_per_payment": round(_minimum(step) / approved, 3),
            "first_listings": step.first_listings,
            "by_route_per_payment": {route: round(n / approved, 3) for route, n in sorted(step.calls.items())},
            "calls_per_minute": round(step.window_calls / (rec.seconds / 60), 1),
            "reconcile_calls_per_payment_per_3s": round(reconcile / waiting_3s, 3) if waiting_3s else None,
        },
        "webhook_loss": step.webhook_drops or None,
        "server": {
            "cpu_seconds_per_payment": round(step.usage.cpu("kiosk") / approved, 4),
            "cpu_seconds": round(step.usage.cpu("kiosk"), 2),
            "peak_memory_mb": round(step.usage.after["kiosk"].peak_rss_bytes / MB, 1),
        },
        "load_average_1m": step.load_average,
        "simulator_cpu_seconds": round(step.usage.cpu("simulator"), 2),
        "bench_cpu_seconds": round(step.usage.cpu("bench"), 2),
        **per_sale_costs(step),
    }


def per_sale_costs(step: Step) -> dict[str, Any]:
    """CPU per approved payment of each process sharing the machine (the kiosk's workers, the
    simulator, the bench's tablets and customers), and the largest server process's peak RSS."""
    approved = max(1, step.recorder.approved_total)
    return {
        "server_cpu_ms_per_sale": round(1000 * step.usage.cpu("kiosk") / approved, 2),
        "simulator_cpu_ms_per_sale": round(1000 * step.usage.cpu("simulator") / approved, 2),
        "bench_cpu_ms_per_sale": round(1000 * step.usage.cpu("bench") / approved, 2),
        "server_worker_peak_rss_mb": round(step.usage.after["kiosk"].largest_peak_rss_bytes / MB, 1),
    }


def _minimum(step: Step) -> int:
    """create + process per payment, one more process per retry (+ capture per payment, manual
    mode), and one listing of the readers of each location whose picker opened for the first time
    (the kiosk cannot show a till readers it has never heard of)."""
    rec = step.recorder
    per_payment = 3 if any("capture" in route for route in step.calls) else 2
    return per_payment * rec.approved_total + rec.retries_total + step.first_listings


def targets(opts: BenchOptions, run: dict[str, Any]) -> list[dict[str, Any]]:
    main, stripe = run["run"], run["run"]["stripe"]
    found: list[tuple[str, str, Any, bool | None]] = []
    ratio = run["throughput"]["ratio_per_server_cpu"]
    found.append(("progress throughput / bare route", ">= 0.5", ratio, ratio >= 0.5))
    if not opts.webhook_loss:
        value = stripe["calls_per_payment"]
        found.append(
            (
                "Stripe calls per approved payment",
                f"= {stripe['minimum_per_payment']}",
                value,
                value <= stripe["minimum_per_payment"],
            )
        )
    polls = run["polls_and_stripe"]
    found.append(("Stripe calls caused by polls", "0", polls["stripe_calls"], polls["stripe_calls"] == 0))
    if opts.webhook_loss:
        rate = stripe["reconcile_calls_per_payment_per_3s"]
        found.append(("Stripe calls per payment per 3 s, webhooks lost", "<= 1", rate, rate is not None and rate <= 1))
    p95 = main["tap_to_screen_ms"]["p95"]
    limit = opts.poll_interval * 1000 + 100
    found.append(("tap-to-screen p95 (ms)", f"<= {limit:.0f}", p95, p95 is not None and p95 <= limit))
    if run.get("capacity"):
        best = run["capacity"]["tablets"]
        name = "tablets with poll p99 < 100 ms, tap-to-screen p95 <= 1.1 s, no errors"
        found.append((name, ">= 1000", best, best >= 1000))
    if run.get("sale_costs"):  # issue 15: every request, webhook and background second of a sale
        cpu = run["sale_costs"]["server_cpu_ms_per_sale"]
        found.append(("server CPU per sale, one tablet (ms)", "<= 20", cpu, cpu <= 20))
    if run.get("capacity"):  # at the largest tablet count, each server process's own peak
        peak = main["server_worker_peak_rss_mb"]
        found.append(("server worker peak memory (MB)", "< 200", peak, peak < 200))
    load = run["first_load"]["total_bytes"]
    found.append(("cashier page first load (bytes, compressed)", "<= 50000", load, load <= 50_000))
    per_poll = main["bytes_per_poll"]
    found.append(("bytes per poll", "<= 500", per_poll, per_poll is not None and per_poll <= 500))
    return [{"target": name, "goal": goal, "value": value, "met": met} for name, goal, value, met in found]


def build(opts: BenchOptions, step: Step, extra: dict[str, Any]) -> dict[str, Any]:
    main = step_report(step)
    sizes = step.recorder.poll_bytes
    main["bytes_per_poll"] = round(sum(sizes) / len(sizes)) if sizes else None
    unchanged = step.recorder.not_modified_bytes
    main["bytes_per_unchanged_poll"] = round(sum(unchanged) / len(unchanged)) if unchanged else None
    run: dict[str, Any] = {"machine": machine(), "options": _options(opts), "run": main, **extra}
    if "profile" in run:
        per_payment = 1000 * main["server"]["cpu_seconds_per_payment"]
        shares = run["profile"]["phases"]
        run["profile"]["cpu_ms_per_payment"] = {phase: round(share * per_payment, 2) for phase, share in shares.items()}
    run["targets"] = targets(opts, run)
    return run


def _options(opts: BenchOptions) -> dict[str, Any]:
    fields = {k: v for k, v in vars(opts).items() if k not in ("json_path", "profile_path")}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")


def table(report: dict[str, Any]) -> str:
    m, run, tp, o = report["machine"], report["run"], report["throughput"], report["options"]
    stripe, polls, load = run["stripe"], report["polls_and_stripe"], report["first_load"]
    latency = "/".join(str(run["poll_ms"][k]) for k in ("p50", "p95", "p99"))
    tap = f"{run['tap_to_screen_ms']['p50']}/{run['tap_to_screen_ms']['p95']}"
    rps = f"{tp['progress']['rps']} vs {tp['healthz']['rps']}"
    per_cpu = f"{tp['progress']['per_cpu_second']} vs {tp['healthz']['per_cpu_second']}"
    lines = [
        f"kiosk bench: {run['tablets']} tablets, {run['window_seconds']} s, {o['database']},"
        f" webhook loss {o['webhook_loss']}",
        f"machine: {m['cores']} cores, {m['cpu']}, {m['memory_gb']} GB, Python {m['python']},"
        f" load average {run['load_average_1m']}",
        "",
        _row("payments / minute", run["payments_per_minute"], f"{run['payments_approved']} approved"),
        _row("  of which declined, then retried", run["declines_retried"], ""),
        _row("errors", run["errors"], f"non-2xx {run['non_2xx']} {run['error_kinds'] or ''}"),
        _row("poll latency p50/p95/p99 ms", latency, f"{run['polls']} polls"),
        _row("tap-to-screen p50/p95 ms", tap, ""),
        *_legs_rows(run["tap_to_screen_legs_ms"]),
        _row("progress vs /healthz req/s", rps, f"ratio {tp['ratio_rps']}"),
        _row("  per server CPU-second", per_cpu, f"ratio {tp['ratio_per_server_cpu']}"),
        _row("Stripe calls / payment", stripe["calls_per_payment"], f"minimum {stripe['minimum_per_payment']}"),
    ]
    lines += [_row("", per, route) for route, per in stripe["by_route_per_payment"].items()]
    reconcile = stripe["reconcile_calls_per_payment_per_3s"]
    lines += [
        _row("Stripe calls / minute", stripe["calls_per_minute"], f"reconcile / payment / 3 s: {reconcile}"),
        _row("Stripe calls caused by polls", polls["stripe_calls"], f"in {polls['polls']} polls"),
        _row("server CPU s / payment", run["server"]["cpu_seconds_per_payment"], ""),
        _row(
            "server peak memory MB",
            run["server"]["peak_memory_mb"],
            f"largest process {run['server_worker_peak_rss_mb']}",
        ),
        _row("simulator CPU ms / payment", run["simulator_cpu_ms_per_sale"], "the embedded Stripe"),
        _row("bench CPU ms / payment", run["bench_cpu_ms_per_sale"], "the tablets and customers"),
        _row("first load bytes (compressed)", load["total_bytes"], f"uncompressed {load['uncompressed_body_bytes']}"),
        _row("bytes per poll", run["bytes_per_poll"], f"unchanged share {run['poll_not_modified_share']}"),
        _row("bytes per unchanged poll", run["bytes_per_unchanged_poll"], "headers only (204)"),
    ]
    lines += _costs_rows(report, run)
    if report.get("capacity"):
        cap = report["capacity"]
        lines.append(_row("capacity", cap["tablets"], "tablets (the largest step that passed)"))
        for s in cap["steps"]:
            lines.append(_row("", s["tablets"], _step_note(s)))
    lines += ["", "targets:"]
    for t in report["targets"]:
        lines.append(f"  [{'met ' if t['met'] else 'MISS'}] {t['target']}: {t['value']} (goal {t['goal']})")
    return "\n".join(lines)


def step_line(step: Step, passed: bool, wall: float) -> str:
    """One capacity step as it ends (on stderr, so a long search shows how it goes)."""
    from_run = {"tablets": step.tablets, "passed": passed, "wall_seconds": wall}
    return f"{step.tablets} tablets: " + _step_note(
        {
            **from_run,
            "poll_p99_ms": step.poll_p99_ms,
            "tap_to_screen_p95_ms": step.tap_p95_ms,
            "errors": sum(step.recorder.errors.values()),
            "payments": step.recorder.approved_total,
            **per_sale_costs(step),
        }
    )


def _step_note(s: dict[str, Any]) -> str:
    errors = f", {s['errors']} errors" if s["errors"] else ""
    return (
        f"{'pass' if s['passed'] else 'FAIL'}: poll p99 {s['poll_p99_ms']} ms, tap p95 {s['tap_to_screen_p95_ms']} ms"
        f"{errors}, CPU ms/sale server {s['server_cpu_ms_per_sale']} sim {s['simulator_cpu_ms_per_sale']}"
        f" bench {s['bench_cpu_ms_per_sale']}, worker peak {s['server_worker_peak_rss_mb']} MB,"
        f" {s['payments']} sales, {s['wall_seconds']} s"
    )


def _legs_rows(legs: dict[str, Any]) -> list[str]:
    rows = []
    for name, value in legs.items():
        if isinstance(value, dict):
            rows.append(_row("", f"{value['p50']}/{value['p95']}", name.replace("_", " ")))
    return rows


def _costs_rows(report: dict[str, Any], run: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    costs = report.get("sale_costs")
    if costs:
        lines.append(
            _row("server CPU ms / sale, one tablet", costs["server_cpu_ms_per_sale"], f"{costs['sales']} sales alone")
        )
        for kind, route in costs["by_route"].items():
            note = f"{kind}: {route['requests_per_sale']} x {route['cpu_ms_per_request']} ms"
            lines.append(_row("", route["cpu_ms_per_sale"], note))
        lines.append(_row("", costs["webhooks_ms_per_sale"], "webhooks and background loops (between requests)"))
        idle = f"{costs['seconds_per_sale']} s a sale; idle {costs['background_ms_per_second_idle']} ms/s"
        lines.append(_row("", "", idle))
        lines.append(_row("simulator CPU ms / sale, one tablet", costs["simulator_cpu_ms_per_sale"], ""))
    profiled = report.get("profile")
    if profiled:
        per_payment = run["server"]["cpu_seconds_per_payment"] * 1000
        lines.append(_row("server CPU by phase (py-spy)", f"{profiled['samples']} samples", profiled["file"]))
        for phase, share in profiled["phases"].items():
            lines.append(_row("", f"{share:.1%}", f"{phase}, ~{share * per_payment:.1f} ms / payment"))
    return lines


def _row(name: str, value: Any, note: str) -> str:
    return f"  {name:<34} {value!s:>16}  {note}".rstrip()
