"""Stripe events: stored for ``/v1/events`` and delivered, signed, to the webhook endpoints.

``EventBus`` is the simulator's ``EventSink``. ``emit`` runs inside a handler, so it only builds
and stores the event and queues one delivery per matching endpoint (``webhook_queue``), applying
the webhook faults of the control API on the way: drop, delay, duplicate, reorder, bad_signature.
"""

from __future__ import annotations

import contextlib
import copy
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.simulator import versions
from kiosk.simulator.core import new_id
from kiosk.simulator.webhook_post import SECRETS_KIND, endpoint_secret, sign
from kiosk.simulator.webhook_queue import Delivery, DeliveryQueue, RetryPolicy

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

__all__ = ["FAULT_MODES", "SECRETS_KIND", "EventBus", "RetryPolicy", "WebhookFault", "endpoint_secret", "sign"]

JSON = dict[str, Any]

RETENTION_SECONDS = 30 * 24 * 3600  # Stripe lists events of the last 30 days
FAULT_MODES = ("normal", "drop", "delay", "duplicate", "reorder", "bad_signature")


@dataclass
class WebhookFault:
    """The fault applied to the next ``count`` events that have an endpoint to go to."""

    mode: str = "normal"
    count: int = 0
    delay_seconds: float = 3.0


def endpoint_wants(endpoint: JSON, event_type: str) -> bool:
    enabled = endpoint.get("enabled_events") or []
    return endpoint.get("status") == "enabled" and ("*" in enabled or event_type in enabled)


class EventBus:
    """Stores every event and delivers it to each enabled endpoint whose enabled_events match."""

    def __init__(self, sim: Simulator, policy: RetryPolicy | None = None) -> None:
        self.sim = sim
        self.fault = WebhookFault()
        self.queue = DeliveryQueue(sim, policy or RetryPolicy())
        self._held: list[Delivery] = []  # events kept back by the reorder fault
        # The oldest ``created`` in the event table last looked at (``_prune``): nothing is looked
        # at again until the retention horizon passes it, or the table is another one (a reset).
        self._oldest: tuple[dict[str, JSON] | None, float] = (None, 0.0)

    @property
    def policy(self) -> RetryPolicy:
        return self.queue.policy

    @policy.setter
    def policy(self, policy: RetryPolicy) -> None:
        self.queue.policy = policy

    @property
    def deliveries(self) -> deque[JSON]:
        """Every delivery attempt (and every dropped delivery), oldest first."""
        return self.queue.log

    def emit(
        self,
        event_type: str,
        obj: JSON,
        previous_attributes: JSON | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> JSON:
        endpoints = [e for e in self.sim.table("webhook_endpoint").values() if endpoint_wants(e, event_type)]
        targets = [e["id"] for e in endpoints]
        default = self.sim.default_api_version
        # ``obj`` is the bus's to keep: its one caller (``objects.emit``) passes a snapshot.
        data: JSON = {"object": obj}
        if previous_attributes is not None:
            data["previous_attributes"] = copy.deepcopy(previous_attributes)
        event: JSON = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": default,
            "created": self.sim.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": len(targets),
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": event_type,
        }
        self._prune()
        self.sim.table("event")[event["id"]] = event
        table, oldest = self._oldest
        self._oldest = (table, min(oldest, event["created"]))
        # Rendered now for the versions it will be read in: /v1/events (the account's default) and
        # each endpoint's own (Stripe renders an event once, when it happens).
        versions.keep_renderings(self.sim, event, [default, *(e.get("api_version") or default for e in endpoints)])
        if targets:
            self.queue.on_loop(self._route, event, targets)
        return event

    def _prune(self) -> None:
        """Forget events past the retention horizon. The table is scanned only when its oldest
        event may have passed the horizon (once in a while, not at every event: a scan per event
        made a long run's events quadratic)."""
        events = self.sim.table("event")
        horizon = self.sim.now() - RETENTION_SECONDS
        table, oldest = self._oldest
        if table is events and oldest >= horizon:
            return
        for event_id in [i for i, e in events.items() if e["created"] < horizon]:
            del events[event_id]
            self.sim.table(versions.EVENT_RENDERINGS).pop(event_id, None)
        self._oldest = (events, min((e["created"] for e in events.values()), default=float("inf")))

    # -- faults ---------------------------------------------------------------------------------
    def set_fault(self, mode: str, count: int = 1, delay_seconds: float | None = None) -> WebhookFault:
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown webhook fault mode {mode!r}; one of {', '.join(FAULT_MODES)}")
        self.queue.on_loop(self._release_held)
        self.fault = WebhookFault(mode, 0 if mode == "normal" else max(count, 0))
        if delay_seconds is not None:
            self.fault.delay_seconds = delay_seconds
        return self.fault

    def flush(self) -> None:
        """Deliver now whatever is held back: reordered events, delayed events, pending retries."""
        self.queue.on_loop(self._flush)

    def reset(self) -> None:
        """Forget queued deliveries, the log and the fault (a fresh account)."""
        self.queue.on_loop(self._reset)

    def _reset(self) -> None:
        self.queue.clear()
        self._held.clear()
        self.fault = WebhookFault()

    def _flush(self) -> None:
        self.queue.hurry()
        self._release_held()

    def _take_fault(self) -> str:
        if self.fault.count <= 0:
            return "normal"
        self.fault.count -= 1
        return self.fault.mode

    def _route(self, event: JSON, targets: list[str]) -> None:
        mode = self._take_fault()
        delay = self.fault.delay_seconds if mode == "delay" else 0.0
        batch = [self.queue.new(event["id"], t, delay, bad_signature=mode == "bad_signature") for t in targets]
        if mode == "drop":
            for d in batch:
                self.queue.record(d, event, status=None, outcome="dropped")
        elif mode == "reorder":
            self._held.extend(batch)
            if self.fault.count == 0:
                self._release_held()
        elif mode == "duplicate":
            self.queue.push(*batch, *[self.queue.new(d.event_id, d.endpoint_id) for d in batch])
        else:
            self.queue.push(*batch)

    def _release_held(self) -> None:
        """The reorder fault lets its events go newest first, each once the one before it has had
        its first attempt: delivered in parallel, they could arrive in any order, the original one
        included."""
        held, self._held = self._held[::-1], []
        if held:
            held[0].then = held[1:]
            self.queue.push(held[0], now=True)

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.queue.start()

    async def stop(self) -> None:
        await self.queue.stop()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[EventBus]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    def lifespan(self, _app: object) -> contextlib.AbstractAsyncContextManager[EventBus]:
        """For ``Litestar(lifespan=[bus.lifespan])``: deliveries run while the app runs."""
        return self.running()
