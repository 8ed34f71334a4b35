"""The `kiosk` command: demo, serve, migrate, simulator, create-user, reconcile, bench."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence

from kiosk.cli.recovery import add_recovery_commands
from kiosk.cli.users import add_user_commands
from kiosk.config import PROJECT_ROOT
from kiosk.server import add_serve_arguments, port_number, serve

Command = Callable[[argparse.Namespace], int]


def migrate(_: argparse.Namespace) -> int:
    """Apply the checked-in migrations of every app (Piccolo's users first, then the kiosk's)."""
    env = {**os.environ, "PICCOLO_CONF": "piccolo_conf"}
    cmd = [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"]
    return subprocess.call(cmd, cwd=PROJECT_ROOT, env=env)  # noqa: S603 - fixed argv


def simulator(args: argparse.Namespace) -> int:
    """Run the embedded Stripe simulator alone (the real SDK talks to it as to api.stripe.com)."""
    from pathlib import Path

    from kiosk.simulator.app import run

    persist = Path(args.persist) if args.persist else None
    run(
        args.host,
        args.port,
        api_keys=args.api_key,
        persist=persist,
        log_level=args.log_level,
        api_version=args.api_version,
    )
    return 0


def demo(args: argparse.Namespace) -> int:
    from kiosk.cli.demo import run_demo

    return run_demo(args.port, args.simulator_port, args.data_dir)


def bench_catalogue(args: argparse.Namespace) -> int:
    from kiosk.bench.catalogue import run

    return run(args.items, args.database, args.json_path)


def bench(args: argparse.Namespace) -> int:
    from kiosk.bench.options import options_from
    from kiosk.bench.run import main as run_bench

    return run_bench(options_from(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=migrate)

    p = sub.add_parser("serve", help="run the kiosk web server")
    add_serve_arguments(p)
    p.set_defaults(func=serve)

    p = sub.add_parser("simulator", help="run the embedded Stripe simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port_number, default=12111)
    p.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="the account's secret key (repeatable; default: one made up and printed)",
    )
    p.add_argument("--persist", metavar="FILE", help="keep the account in FILE across restarts")
    p.add_argument(
        "--api-version",
        metavar="VERSION",
        help="the account's default API version, for requests without Stripe-Version (default: the SDK's)",
    )
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=simulator)

    p = sub.add_parser("demo", help="the embedded Stripe and the kiosk, with seeded demo data")
    p.add_argument("--port", type=port_number, default=8000)
    p.add_argument("--simulator-port", type=port_number, default=12111)
    p.add_argument("--data-dir", default=None, help="where the demo database goes (default: a new temp dir)")
    p.set_defaults(func=demo)

    from kiosk.bench.options import add_arguments as add_bench_arguments

    p = sub.add_parser("bench", help="measure a chain of virtual tills against one kiosk server")
    add_bench_arguments(p)
    p.set_defaults(func=bench)

    from kiosk.bench.catalogue import add_arguments as add_catalogue_bench_arguments

    p = sub.add_parser("bench-catalogue", help="measure the till's item search per keystroke on a big catalogue")
    add_catalogue_bench_arguments(p)
    p.set_defaults(func=bench_catalogue)

    add_user_commands(sub)
    add_recovery_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # piccolo_conf.py sits at the project root, outside the package: importable from any directory.
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    args = build_parser().parse_args(argv)
    func: Command = args.func
    return func(args)
