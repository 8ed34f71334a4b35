"""Webhook delivery: a due-time queue drained by a background task that posts signed events.

Each ``Delivery`` is one event on its way to one endpoint. The task posts it with httpx and a
``Stripe-Signature`` header, then retries with capped backoff while the endpoint answers non-2xx
or cannot be reached. Every attempt is written to ``log`` for the control API.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from kiosk.simulator.core import new_id

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]

# Secrets live in their own table so that no rendering of a webhook_endpoint can leak them.
SECRETS_KIND = "webhook_endpoint_secret"
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


@dataclass(frozen=True)
class RetryPolicy:
    """Stripe retries for days; the simulator retries for seconds (1, 2, 4, 8... capped)."""

    max_attempts: int = 5
    first_delay: float = 1.0
    max_delay: float = 8.0
    timeout: float = 2.0  # per attempt: a hung receiver must not hold the queue

    def delay(self, attempt: int) -> float:
        return float(min(self.first_delay * 2 ** (attempt - 1), self.max_delay))


@dataclass(order=True)
class Delivery:
    due: float  # time.monotonic()
    seq: int  # keeps first-in-first-out among deliveries due at the same moment
    event_id: str = field(compare=False)
    endpoint_id: str = field(compare=False)
    attempt: int = field(default=0, compare=False)
    bad_signature: bool = field(default=False, compare=False)


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header: HMAC-SHA256 of ``"<t>.<body>"`` keyed with the whsec_ secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def endpoint_secret(sim: Simulator, endpoint_id: str) -> str:
    return str(sim.table(SECRETS_KIND)[endpoint_id]["secret"])


class DeliveryQueue:
    """Deliveries by due time, and the task that carries them out while the app runs."""

    def __init__(self, sim: Simulator, policy: RetryPolicy) -> None:
        self.sim = sim
        self.policy = policy
        self.log: deque[JSON] = deque(maxlen=5000)
        self._heap: list[Delivery] = []
        self._delivered: set[tuple[str, str]] = set()
        self._seq = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    def new(self, event_id: str, endpoint_id: str, delay: float = 0.0, bad_signature: bool = False) -> Delivery:
        return Delivery(time.monotonic() + delay, next(self._seq), event_id, endpoint_id, 0, bad_signature)

    def on_loop(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn`` on the delivery loop: handlers already run there, other threads hand it over."""
        if self._loop is None or threading.get_ident() == self._thread:
            fn(*args)
        else:
            self._loop.call_soon_threadsafe(fn, *args)

    def push(self, *items: Delivery, now: bool = False) -> None:
        """Queue ``items`` (with ``now``: due at once, in the order given)."""
        for d in items:
            if now:
                d.due, d.seq = time.monotonic(), next(self._seq)
            heapq.heappush(self._heap, d)
        if self._wake is not None:
            self._wake.set()

    def hurry(self) -> None:
        """Make every queued delivery due now (delayed ones, retries waiting for their backoff)."""
        for d in self._heap:
            d.due = min(d.due, time.monotonic())
        heapq.heapify(self._heap)
        self.push()

    def clear(self) -> None:
        self._heap.clear()
        self._delivered.clear()
        self.log.clear()

    def record(self, d: Delivery, event: JSON, status: int | None, outcome: str, error: str | None = None) -> None:
        endpoint = self.sim.table("webhook_endpoint").get(d.endpoint_id, {})
        self.log.append(
            {
                "event_id": event["id"],
                "type": event["type"],
                "endpoint_id": d.endpoint_id,
                "url": endpoint.get("url", ""),
                "attempt": d.attempt,
                "status": status,
                "outcome": outcome,
                "error": error,
                "signature": "bad" if d.bad_signature else "valid",
                "at": time.time(),
            }
        )

    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._wake = asyncio.Event()
        # trust_env off: an HTTP proxy from the environment must not swallow loopback deliveries.
        self._client = httpx.AsyncClient(timeout=self.policy.timeout, trust_env=False)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
        self._task = self._client = self._wake = self._loop = self._thread = None
        self._inflight.clear()
        self._locks.clear()

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            now = time.monotonic()
            while self._heap and self._heap[0].due <= now:
                task = asyncio.create_task(self._attempt(heapq.heappop(self._heap)))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            timeout = self._heap[0].due - now if self._heap else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _attempt(self, d: Delivery) -> None:
        endpoint = self.sim.table("webhook_endpoint").get(d.endpoint_id)
        event = self.sim.table("event").get(d.event_id)
        if endpoint is None or event is None or endpoint.get("status") != "enabled":
            return  # deleted or disabled since: Stripe stops delivering too
        d.attempt += 1
        # One delivery at a time per endpoint, in queue order: only the faults reorder events.
        async with self._locks.setdefault(d.endpoint_id, asyncio.Lock()):
            status, error = await self._post(endpoint, event, d.bad_signature)
        ok = status is not None and 200 <= status < 300
        self.record(d, event, status, "delivered" if ok else "failed", error)
        if ok:
            self._mark_delivered(event, d.endpoint_id)
        elif not d.bad_signature and d.attempt < self.policy.max_attempts:
            # A forged (badly signed) request is never retried: the receiver is right to refuse it.
            d.due, d.seq = time.monotonic() + self.policy.delay(d.attempt), next(self._seq)
            self.push(d)

    async def _post(self, endpoint: JSON, event: JSON, bad_signature: bool) -> tuple[int | None, str | None]:
        assert self._client is not None
        body = json.dumps(event, indent=2).encode()
        secret = new_id("whsec", 32) if bad_signature else endpoint_secret(self.sim, endpoint["id"])
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            # Wall-clock time, not the simulator's clock: receivers check it against their own.
            "Stripe-Signature": sign(body, secret, int(time.time())),
        }
        try:
            response = await self._client.post(endpoint["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None

    def _mark_delivered(self, event: JSON, endpoint_id: str) -> None:
        """``pending_webhooks`` counts endpoints still waiting for a 2xx; a duplicate counts once."""
        if (event["id"], endpoint_id) not in self._delivered:
            self._delivered.add((event["id"], endpoint_id))
            event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)
