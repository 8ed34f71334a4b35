"""The kiosk server as the bench runs it: `kiosk serve` itself (same app, same settings, same
`--workers`), in processes of its own.

One difference, outside what is measured: the bench's throwaway cashiers have cheap password hashes
(`BENCH_PBKDF2_ITERATIONS`, set both here and where they are created), so signing in a thousand
tablets takes seconds instead of minutes of PBKDF2. Piccolo re-hashes a password whose iteration
count differs from its setting at login, so the server must use the same count.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

BENCH_PBKDF2_ITERATIONS = 1_000


def cheap_password_hashing() -> None:
    from piccolo.apps.user.tables import BaseUser

    BaseUser._pbkdf2_iteration_count = BENCH_PBKDF2_ITERATIONS


def bench_app() -> Any:
    """`kiosk serve`'s app, in each worker process, with the bench's password hashing."""
    from kiosk.server import served_app

    cheap_password_hashing()
    return served_app()


def main(argv: Sequence[str] | None = None) -> int:
    from kiosk.config import PROJECT_ROOT
    from kiosk.server import add_serve_arguments, serve

    if str(PROJECT_ROOT) not in sys.path:  # piccolo_conf.py sits at the project root
        sys.path.insert(0, str(PROJECT_ROOT))
    parser = argparse.ArgumentParser(prog="kiosk-bench-server")
    add_serve_arguments(parser)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return serve(args, factory="kiosk.bench.server:bench_app")


if __name__ == "__main__":
    raise SystemExit(main())
