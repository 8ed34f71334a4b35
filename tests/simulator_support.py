"""The Stripe simulator for tests: a real uvicorn server on a free 127.0.0.1 port, in a thread.

``running_simulator()`` is the context manager; the ``simulator`` fixture gives each test a fresh
account. Tests talk to it with the real SDK (``simulator.client()``) and inspect or steer it through
``simulator.sim`` (the live ``Simulator``) and ``simulator.control(...)`` (the ``/_sim`` API).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import stripe
import uvicorn

from kiosk.cli.demo import DEMO_STRIPE_KEY
from kiosk.simulator.core import Simulator

START_TIMEOUT = 30.0  # generous: a machine busy with other test runs starts threads slowly
DEFAULT_KEY = "sk_test_kiosk"
# The secret keys of a test's account (Stripe refuses every other key): the tests' own and the demo's.
KNOWN_KEYS = frozenset({DEFAULT_KEY, DEMO_STRIPE_KEY})


@dataclass
class RunningSimulator:
    url: str
    sim: Simulator
    _sessions: list[requests.Session] = field(default_factory=list)

    def client(self, key: str = DEFAULT_KEY, **kw: Any) -> stripe.StripeClient:
        """A real ``StripeClient`` pointed at this simulator (no retries unless asked for)."""
        if "http_client" not in kw:
            session = requests.Session()
            session.trust_env = False  # an HTTP proxy from the environment must not see loopback calls
            self._sessions.append(session)
            kw["http_client"] = stripe.RequestsClient(session=session)
        return stripe.StripeClient(key, base_addresses={"api": self.url}, **kw)

    def control(self, method: str, path: str, json: Any = None) -> Any:
        """Call the control API (``path`` starts with ``/_sim``); raises on a non-2xx answer."""
        response = httpx.request(method, f"{self.url}{path}", json=json, trust_env=False)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        for session in self._sessions:
            session.close()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def running_simulator(sim: Simulator | None = None) -> Iterator[RunningSimulator]:
    """Serve ``sim`` (a fresh account with the ``KNOWN_KEYS`` when None) until the block ends."""
    from kiosk.simulator.app import create_simulator_app  # here: a broken simulator fails its tests, not all

    sim = sim or Simulator(api_keys=KNOWN_KEYS)
    app = create_simulator_app(sim)
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"simulator:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulator did not start")
        time.sleep(0.005)
    running = RunningSimulator(url=f"http://127.0.0.1:{port}", sim=sim)
    try:
        yield running
    finally:
        running.close()
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()


@pytest.fixture
def simulator() -> Iterator[RunningSimulator]:
    """A simulator with a fresh account for one test."""
    with running_simulator() as running:
        yield running
