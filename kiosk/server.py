"""`kiosk serve`: the app as uvicorn's workers run it, refusing at once what would fail in each.

The `kiosk` command (kiosk/cli/) and the bench's server (kiosk/bench/server.py) both start it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

from kiosk.config import Settings
from kiosk.db.check import database_problem
from kiosk.db.secret_box import MissingSecretKey, check_secret_key


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


port_number = _whole_number(0, 65535, "a port from 0 to 65535")  # 0: any free one
positive_number = _whole_number(1, None, "a whole number of at least 1")


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port_number, default=8000)
    parser.add_argument("--log-level", default="info")
    parser.add_argument(
        "--workers", type=positive_number, default=1, help="server processes (one per core is a good start)"
    )


def served_app() -> Any:
    """The app as `kiosk serve` runs it, built in each worker process. Imported here, not at the
    top: the app's tables bind to the database that piccolo_conf.py names, which is importable only
    once the `kiosk` command has put the project root on sys.path."""
    from kiosk.app import create_app

    # The SDK and httpx log every Stripe call at INFO: at a chain's volume that is real CPU.
    for noisy in ("stripe", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return create_app()


def ready_to_serve() -> Settings:
    """Refuse, with a plain message, what would otherwise end in each worker's traceback."""

    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a setting that cannot be read, e.g. KIOSK_TRUSTED_PROXIES
        raise SystemExit(f"kiosk serve: {exc}") from None
    try:
        check_secret_key(settings)
    except MissingSecretKey as exc:
        raise SystemExit(f"kiosk serve: {exc}") from None
    problem = database_problem(settings)
    if problem:
        raise SystemExit(f"kiosk serve: {problem}")
    return settings


def serve(args: argparse.Namespace, factory: str = "kiosk.server:served_app") -> int:
    settings = ready_to_serve()
    # /metrics adds up every worker's counters from files in this directory (prometheus_client's
    # multiprocess mode), set before the workers start; one process needs none.
    metrics_dir = None
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="kiosk-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    # Several workers share the machine's cores; state lives in the database, so any may answer.
    # No `Server: uvicorn` header: it tells a browser nothing and costs every poll 17 bytes.
    # X-Forwarded-For/-Proto are believed from KIOSK_TRUSTED_PROXIES only (the load balancer), so
    # each till is known by its own address; the kiosk reads the client the same way
    # (kiosk/people/guards.py: client_address).
    try:
        _run(args, factory, settings)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


# How often the server's own housekeeping runs (uvicorn's `on_tick`: the Date header, the request
# limit, whether to stop). uvicorn wakes the event loop ten times a second for it; once a second is
# its Date header's own precision, and a stop signal wakes the loop at once (KioskServer.handle_exit).
# The ticks fall on whole seconds of the loop's clock, as the payments reconciler's do
# (kiosk/payments/recovery.py), so an idle server's periodic work shares one wake-up.
TICK_SECONDS = 1.0
_TICKS = 10  # uvicorn's ticks in one of ours: its `on_tick` does its once-a-second work every time


class KioskServer(uvicorn.Server):
    """uvicorn's Server, waking an idle event loop once a second instead of ten times (each wake-up
    costs an idle server CPU), and stopping at once on Ctrl-C / SIGTERM all the same."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._tick: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._tick is not None and not self._tick.done():
            self._tick.set_result(None)

    async def main_loop(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + _TICKS) % 864000
            self._tick = loop.create_future()
            now = loop.time()
            timer = loop.call_at(now - now % TICK_SECONDS + TICK_SECONDS, self._wake)
            if self.should_exit:  # a signal came while on_tick ran
                self._wake()
            await self._tick
            timer.cancel()
            should_exit = await self.on_tick(counter)


class _KioskWorker(multiprocess.Process):
    """A `--workers` process running KioskServer (uvicorn's supervisor builds its workers from the
    module's `Process`, each running a plain Server)."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = KioskServer(config=self.config)
        return self._server


def _run(args: argparse.Namespace, factory: str, settings: Settings) -> None:
    _start(
        uvicorn.Config(
            factory,
            factory=True,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            workers=args.workers,
            server_header=False,
            proxy_headers=True,
            forwarded_allow_ips=list(settings.trusted_proxies),
        )
    )


def _start(config: uvicorn.Config) -> None:
    """What `uvicorn.run` does with this config, with KioskServer in each process."""
    try:
        if config.workers > 1:
            multiprocess.Process = _KioskWorker  # type: ignore[misc]  # this command's own supervisor
            multiprocess.Multiprocess(config, sockets=[config.bind_socket()]).run()
            return
        config.load_app()
        server = KioskServer(config=config)
        server.run()
    except KeyboardInterrupt:
        return
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)
