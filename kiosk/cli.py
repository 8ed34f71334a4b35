"""The `kiosk` command: demo, serve, migrate, simulator, create-user, reconcile, bench."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence

from kiosk.config import PROJECT_ROOT

Command = Callable[[argparse.Namespace], int]


def migrate(_: argparse.Namespace) -> int:
    """Apply the checked-in Piccolo migrations to the configured database."""
    env = {**os.environ, "PICCOLO_CONF": "piccolo_conf"}
    cmd = [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "kiosk"]
    return subprocess.call(cmd, cwd=PROJECT_ROOT, env=env)  # noqa: S603 - fixed argv


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from kiosk.app import create_app

    uvicorn.run(create_app(), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=migrate)

    p = sub.add_parser("serve", help="run the kiosk web server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=serve)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Command = args.func
    return func(args)


if __name__ == "__main__":
    raise SystemExit(main())
