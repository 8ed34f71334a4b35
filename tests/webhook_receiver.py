"""A tiny webhook receiver for tests: an HTTP server on 127.0.0.1 that records every delivery.

It answers with the statuses queued in ``responses`` (then 200), so tests can make the simulator
retry, and ``wait_for`` polls with a deadline instead of sleeping. A delivery whose body contains a
key of ``gates`` is recorded on arrival but answered only once that gate opens (a slow receiver).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe


@dataclass
class Delivery:
    body: bytes
    signature: str
    status: int  # what the receiver answered

    def event(self, secret: str) -> stripe.Event:
        """The event, verified the way a real integration verifies it (raises on a bad signature)."""
        return stripe.Webhook.construct_event(self.body, self.signature, secret)

    def event_id(self) -> str:
        return str(json.loads(self.body)["id"])


@dataclass
class Receiver:
    url: str
    responses: deque[int] = field(default_factory=deque)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    gates: dict[str, threading.Event] = field(default_factory=dict)

    def hold(self, body: bytes, timeout: float = 30.0) -> None:
        """Keep the answer to ``body`` until its gate opens (bounded: a test that fails still ends)."""
        for key, gate in list(self.gates.items()):
            if key.encode() in body:
                gate.wait(timeout)

    def record(self, body: bytes, signature: str) -> int:
        with self.lock:
            status = self.responses.popleft() if self.responses else 200
            self.deliveries.append(Delivery(body, signature, status))
            return status

    def wait_for(self, predicate: Callable[[list[Delivery]], Any], timeout: float = 10.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                seen = list(self.deliveries)
            if predicate(seen):
                return seen
            time.sleep(0.02)
        raise AssertionError(f"receiver: condition not met within {timeout}s; got {len(seen)} deliveries")

    def wait_for_type(self, secret: str, event_type: str, timeout: float = 10.0) -> stripe.Event:
        def match(seen: list[Delivery]) -> bool:
            return any(d.status == 200 and d.event(secret).type == event_type for d in seen)

        seen = self.wait_for(match, timeout)
        return next(d.event(secret) for d in seen if d.status == 200 and d.event(secret).type == event_type)


@contextmanager
def webhook_receiver(path: str = "/webhooks/stripe") -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = holder["r"].record(body, self.headers.get("Stripe-Signature", ""))
            holder["r"].hold(body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}{path}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["r"]
    finally:
        server.shutdown()
        server.server_close()
