"""The `kiosk bench` command line and the load model it describes."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BenchOptions:
    tablets: int = 20
    duration: float = 30.0  # seconds measured (per step with --find-capacity)
    database: str = "sqlite"
    json_path: Path | None = None
    # The load model: a cashier rings up the next customer for `pause` seconds, then takes a card;
    # the customer taps after `tap_after` seconds; a share of first taps is declined and retried.
    pause: tuple[float, float] = (10.0, 30.0)
    tap_after: tuple[float, float] = (0.5, 3.0)
    decline_share: float = 0.1
    webhook_loss: float = 0.0  # share of webhooks dropped by the simulator
    tablets_per_shop: int = 4  # tablets (and readers) per warehouse and Stripe location
    capture_mode: str = "automatic"
    server_workers: int = 1  # `kiosk serve --workers`
    find_capacity: bool = False
    capacity_target_ms: float = 100.0  # poll p99 a step must stay under
    capacity_start: int = 50
    seed: int = 1
    poll_interval: float = 1.0  # what the progress fragment's hx-trigger says ("every 1s")
    # After the window, sales under way get this long to finish before the run stops them.
    grace: float = 20.0
    # `--report N`: only time the day's report on a seeded day of N receipts (kiosk/bench/day_report.py).
    report_receipts: int = 0
    # `--profile FILE`: py-spy's samples of the server over the measured window (kiosk/bench/profile.py).
    profile_path: Path | None = None
    # Sales made by one tablet alone after the load, the server's CPU read around each request.
    cost_sales: int = 10


def _range(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    try:
        bounds = (float(low), float(high or low))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX seconds, not {text!r}") from exc
    if bounds[0] < 0 or bounds[1] < bounds[0]:
        raise argparse.ArgumentTypeError(f"expected 0 <= MIN <= MAX, not {text!r}")
    return bounds


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share is between 0 and 1")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = BenchOptions()
    p.add_argument("--tablets", type=int, default=d.tablets, help="virtual tablets (the maximum with --find-capacity)")
    p.add_argument("--duration", type=float, default=d.duration, help="seconds measured (per capacity step)")
    p.add_argument("--database", choices=("sqlite", "postgres"), default=d.database)
    p.add_argument("--json", dest="json_path", type=Path, help="also write the report as JSON here")
    p.add_argument("--pause", type=_range, default=d.pause, metavar="MIN,MAX", help="seconds between sales")
    p.add_argument("--tap-after", type=_range, default=d.tap_after, metavar="MIN,MAX", help="customer's delay")
    p.add_argument("--decline-share", type=_share, default=d.decline_share, help="share of sales declined first")
    p.add_argument("--webhook-loss", type=_share, default=d.webhook_loss, help="share of webhooks dropped")
    p.add_argument("--tablets-per-shop", type=int, default=d.tablets_per_shop)
    p.add_argument("--capture-mode", choices=("automatic", "manual"), default=d.capture_mode)
    p.add_argument("--server-workers", type=int, default=d.server_workers, help="kiosk server processes")
    p.add_argument("--find-capacity", action="store_true", help="stepped search for the largest tablet count")
    p.add_argument("--capacity-start", type=int, default=d.capacity_start, help="tablets of the first step")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed of the load model")
    p.add_argument("--report", dest="report_receipts", type=int, default=0, metavar="N",
                   help="only time the day's X/Z report on a seeded day of N receipts")  # fmt: skip
    p.add_argument("--profile", dest="profile_path", type=Path, metavar="FILE",
                   help="py-spy samples of the server over the window to FILE, phases in the report")  # fmt: skip
    p.add_argument("--cost-sales", type=int, default=d.cost_sales,
                   help="sales of one tablet alone, the server's CPU split by route (0: none)")  # fmt: skip


def options_from(args: argparse.Namespace) -> BenchOptions:
    if args.tablets < 1 or args.duration <= 0 or args.tablets_per_shop < 1:
        raise SystemExit("kiosk bench: --tablets, --duration and --tablets-per-shop must be positive")
    return BenchOptions(
        tablets=args.tablets,
        duration=args.duration,
        database=args.database,
        json_path=args.json_path,
        pause=args.pause,
        tap_after=args.tap_after,
        decline_share=args.decline_share,
        webhook_loss=args.webhook_loss,
        tablets_per_shop=args.tablets_per_shop,
        capture_mode=args.capture_mode,
        server_workers=max(1, args.server_workers),
        find_capacity=args.find_capacity,
        capacity_start=max(1, min(args.capacity_start, args.tablets)),
        seed=args.seed,
        report_receipts=max(0, args.report_receipts),
        profile_path=args.profile_path,
        cost_sales=max(0, args.cost_sales),
    )
