"""Webhook delivery: a due-time queue drained by a background task that posts signed events.

Each ``Delivery`` is one event on its way to one endpoint. Like Stripe, the simulator delivers in
parallel and promises no order: a due delivery starts as soon as a slot is free (at most
``max_in_flight`` at once, ``max_in_flight_per_endpoint`` to one endpoint), so a slow answer holds
up nothing but its own retry. Each attempt is a signed POST (``webhook_post``), retried with capped
backoff while the endpoint answers non-2xx or cannot be reached. Every attempt is written to
``log`` for the control API.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk.simulator.webhook_http import WebhookHttp
from kiosk.simulator.webhook_post import post_event

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]


@dataclass(frozen=True)
class RetryPolicy:
    """How deliveries go out. Stripe retries for days; the simulator retries for seconds (1, 2, 4,
    8... capped). Stripe sends in parallel; so does the simulator, within bounds that keep a slow
    or dead receiver from drawing unlimited connections."""

    max_attempts: int = 5
    first_delay: float = 1.0
    max_delay: float = 8.0
    timeout: float = 2.0  # per attempt: a hung receiver must not hold its slot for long
    # All endpoints together (the connection pool is sized to it at start), and to one endpoint:
    # a kiosk taking ~40 sales a second gets ~120 events a second; with 8 at a time its answers had
    # to average under 65 ms or the deliveries queued up in the simulator (181 ms at p95 at 700
    # tablets), where Stripe would simply have sent them.
    max_in_flight: int = 64
    max_in_flight_per_endpoint: int = 32

    def __post_init__(self) -> None:
        if self.max_in_flight < 1 or self.max_in_flight_per_endpoint < 1:
            raise ValueError("webhook deliveries need at least one slot (max_in_flight, max_in_flight_per_endpoint)")

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
    # Deliveries that must start only once this one's first attempt is over, in this order: the
    # reorder fault needs its order kept on the wire, which parallel delivery would not do.
    then: list[Delivery] = field(default_factory=list, compare=False)


class DeliveryQueue:
    """Deliveries by due time, and the task that carries them out while the app runs."""

    def __init__(self, sim: Simulator, policy: RetryPolicy) -> None:
        self.sim = sim
        self.policy = policy
        self.log: deque[JSON] = deque(maxlen=5000)
        self._heap: list[Delivery] = []
        # Due deliveries waiting for a free slot, first in first out per endpoint.
        self._ready: dict[str, deque[Delivery]] = {}
        self._busy: Counter[str] = Counter()  # attempts in flight per endpoint
        self._delivered: set[tuple[str, str]] = set()
        self._seq = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: WebhookHttp | None = None
        self._pool_size = 0
        self._inflight: set[asyncio.Task[None]] = set()

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
        self._ready.clear()
        self._delivered.clear()
        self.log.clear()

    @property
    def in_flight(self) -> int:
        """Attempts posted and not yet answered."""
        return len(self._inflight)

    @property
    def waiting(self) -> int:
        """Deliveries due but held back because every slot (or their endpoint's) is taken."""
        return sum(len(q) for q in list(self._ready.values()))  # list(): tests read it from another thread

    def record(
        self,
        d: Delivery,
        event: JSON,
        status: int | None,
        outcome: str,
        error: str | None = None,
        sent_at: float | None = None,
    ) -> None:
        endpoint = self.sim.table("webhook_endpoint").get(d.endpoint_id, {})
        obj = event.get("data", {}).get("object", {})
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
                "object_id": obj.get("id") if isinstance(obj, dict) else None,
                "sent_at": sent_at,  # when the request went out; `at`: when its answer came back
                "at": time.time(),
            }
        )

    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._wake = asyncio.Event()
        # One client for every delivery, its pool as large as the deliveries allowed at once (more
        # would idle; fewer would make attempts wait for a connection).
        self._pool_size = self.policy.max_in_flight
        self._client = WebhookHttp(self._pool_size, self.policy.timeout)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Cancel the dispatcher and every attempt in flight (their receivers see a closed
        connection; nothing waits for their answers), then close the client. Deliveries not yet
        started stay queued for a later start."""
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
        self._task = self._client = self._wake = self._loop = self._thread = None
        self._inflight.clear()
        self._busy.clear()

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            now = time.monotonic()
            while self._heap and self._heap[0].due <= now:
                d = heapq.heappop(self._heap)
                self._ready.setdefault(d.endpoint_id, deque()).append(d)
            self._dispatch()
            timeout = self._heap[0].due - now if self._heap else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _dispatch(self) -> None:
        """Start waiting deliveries while slots are free, one endpoint after the other, so that an
        endpoint with a long backlog cannot starve the others."""
        limit = min(self.policy.max_in_flight, self._pool_size)
        per_endpoint = self.policy.max_in_flight_per_endpoint
        started = True
        while started and len(self._inflight) < limit:
            started = False
            for endpoint_id in list(self._ready):
                if len(self._inflight) >= limit:
                    break
                if self._busy[endpoint_id] >= per_endpoint:
                    continue
                queue = self._ready[endpoint_id]
                self._start(queue.popleft())
                if not queue:
                    del self._ready[endpoint_id]
                started = True

    def _start(self, d: Delivery) -> None:
        self._busy[d.endpoint_id] += 1
        task = asyncio.create_task(self._attempt(d))
        self._inflight.add(task)
        task.add_done_callback(functools.partial(self._finished, d.endpoint_id))

    def _finished(self, endpoint_id: str, task: asyncio.Task[None]) -> None:
        """A slot is free again: wake the dispatcher for whatever waits for it."""
        self._inflight.discard(task)
        self._busy[endpoint_id] -= 1
        if self._busy[endpoint_id] <= 0:
            del self._busy[endpoint_id]
        if self._wake is not None:
            self._wake.set()

    async def _attempt(self, d: Delivery) -> None:
        endpoint = self.sim.table("webhook_endpoint").get(d.endpoint_id)
        event = self.sim.table("event").get(d.event_id)
        if endpoint is None or event is None or endpoint.get("status") != "enabled":
            self._next_in_line(d)
            return  # deleted or disabled since: Stripe stops delivering too
        d.attempt += 1
        assert self._client is not None
        # The policy's timeout as it is now: tests shorten it on a running simulator.
        sent_at = time.time()
        status, error = await post_event(self._client, self.sim, endpoint, event, d.bad_signature, self.policy.timeout)
        ok = status is not None and 200 <= status < 300
        self.record(d, event, status, "delivered" if ok else "failed", error, sent_at)
        self._next_in_line(d)
        if ok:
            self._mark_delivered(event, d.endpoint_id)
        elif not d.bad_signature and d.attempt < self.policy.max_attempts:
            # A forged (badly signed) request is never retried: the receiver is right to refuse it.
            d.due, d.seq = time.monotonic() + self.policy.delay(d.attempt), next(self._seq)
            self.push(d)

    def _next_in_line(self, d: Delivery) -> None:
        """Hand the rest of ``d``'s chain on: its head is due now, the others follow it in turn."""
        if d.then:
            head, *rest = d.then
            d.then, head.then = [], rest
            self.push(head, now=True)

    def _mark_delivered(self, event: JSON, endpoint_id: str) -> None:
        """``pending_webhooks`` counts endpoints still waiting for a 2xx; a duplicate counts once."""
        if (event["id"], endpoint_id) not in self._delivered:
            self._delivered.add((event["id"], endpoint_id))
            event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)
