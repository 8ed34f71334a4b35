"""The `kiosk` command: demo, serve, migrate, simulator, create-user, reconcile, bench."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

from kiosk.cli_recovery import add_recovery_commands
from kiosk.cli_users import add_user_commands
from kiosk.config import PROJECT_ROOT

Command = Callable[[argparse.Namespace], int]


def migrate(_: argparse.Namespace) -> int:
    """Apply the checked-in migrations of every app (Piccolo's users first, then the kiosk's)."""
    env = {**os.environ, "PICCOLO_CONF": "piccolo_conf"}
    cmd = [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"]
    return subprocess.call(cmd, cwd=PROJECT_ROOT, env=env)  # noqa: S603 - fixed argv


def served_app() -> Any:
    """The app as `kiosk serve` runs it, built in each worker process."""
    from kiosk.app import create_app

    # The SDK and httpx log every Stripe call at INFO: at a chain's volume that is real CPU.
    for noisy in ("stripe", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return create_app()


def _ready_to_serve() -> None:
    """Refuse, with a plain message, what would otherwise end in each worker's traceback."""
    from kiosk.config import Settings
    from kiosk.db_check import database_problem
    from kiosk.secret_box import MissingSecretKey, check_secret_key

    settings = Settings.from_env()
    try:
        check_secret_key(settings)
    except MissingSecretKey as exc:
        raise SystemExit(f"kiosk serve: {exc}") from None
    problem = database_problem(settings)
    if problem:
        raise SystemExit(f"kiosk serve: {problem}")


def serve(args: argparse.Namespace, factory: str = "kiosk.cli:served_app") -> int:
    import uvicorn

    _ready_to_serve()
    # Several workers share the machine's cores; state lives in the database, so any may answer.
    # No `Server: uvicorn` header: it tells a browser nothing and costs every poll 17 bytes.
    uvicorn.run(
        factory,
        factory=True,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        workers=args.workers,
        server_header=False,
    )
    return 0


def simulator(args: argparse.Namespace) -> int:
    """Run the embedded Stripe simulator alone (the real SDK talks to it as to api.stripe.com)."""
    from pathlib import Path

    from kiosk.simulator.app import run

    persist = Path(args.persist) if args.persist else None
    run(args.host, args.port, api_keys=args.api_key, persist=persist, log_level=args.log_level)
    return 0


def demo(args: argparse.Namespace) -> int:
    from kiosk.demo import run_demo

    return run_demo(args.port, args.simulator_port, args.data_dir)


def bench(args: argparse.Namespace) -> int:
    from kiosk.bench.options import options_from
    from kiosk.bench.run import main as run_bench

    return run_bench(options_from(args))


def _whole_number(low: int, high: int | None, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high` (no upper bound when None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}")
        return value

    return parse


_port = _whole_number(0, 65535, "a port from 0 to 65535")  # 0: any free one
_positive = _whole_number(1, None, "a whole number of at least 1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=migrate)

    p = sub.add_parser("serve", help="run the kiosk web server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--log-level", default="info")
    p.add_argument("--workers", type=_positive, default=1, help="server processes (one per core is a good start)")
    p.set_defaults(func=serve)

    p = sub.add_parser("simulator", help="run the embedded Stripe simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=12111)
    p.add_argument("--api-key", action="append", default=[], metavar="KEY", help="accept only this key (repeatable)")
    p.add_argument("--persist", metavar="FILE", help="keep the account in FILE across restarts")
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=simulator)

    p = sub.add_parser("demo", help="the embedded Stripe and the kiosk, with seeded demo data")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--simulator-port", type=_port, default=12111)
    p.add_argument("--data-dir", default=None, help="where the demo database goes (default: a new temp dir)")
    p.set_defaults(func=demo)

    from kiosk.bench.options import add_arguments as add_bench_arguments

    p = sub.add_parser("bench", help="measure a chain of virtual tills against one kiosk server")
    add_bench_arguments(p)
    p.set_defaults(func=bench)

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


if __name__ == "__main__":
    raise SystemExit(main())
