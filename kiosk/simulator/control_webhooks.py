"""Control API for webhooks (``/_sim/webhooks``): faults, the delivery log, flush.

Loopback-only test controls, off ``/v1``: JSON in, JSON out, no auth.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Router, get, post
from litestar.datastructures import State
from litestar.exceptions import ClientException
from litestar.params import FromQuery, JSONBody

from kiosk.simulator.webhooks import FAULT_MODES, EventBus

JSON = dict[str, Any]


def _bus(state: State) -> EventBus:
    bus = state.sim.events
    if not isinstance(bus, EventBus):
        raise ClientException("this simulator was built without webhook delivery", status_code=409)
    return bus


@post("/faults", sync_to_thread=False, status_code=200)
def set_fault(state: State, data: JSONBody[JSON]) -> JSON:
    """{"mode": "drop"|"delay"|"duplicate"|"reorder"|"bad_signature"|"normal", "count": N, "delay_seconds": S}"""
    mode, count, delay = data.get("mode"), data.get("count", 1), data.get("delay_seconds")
    if mode not in FAULT_MODES:
        raise ClientException(f"mode must be one of {', '.join(FAULT_MODES)}")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ClientException("count must be a non-negative integer")
    if delay is not None and (not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0):
        raise ClientException("delay_seconds must be a non-negative number")
    return asdict(_bus(state).set_fault(mode, count, delay))


@get("/faults", sync_to_thread=False)
def get_fault(state: State) -> JSON:
    return asdict(_bus(state).fault)


@get("/deliveries", sync_to_thread=False)
def deliveries(state: State, event_id: FromQuery[str | None] = None, type: FromQuery[str | None] = None) -> JSON:
    """Every delivery attempt, oldest first; ``?event_id=`` or ``?type=`` narrow it."""
    rows = [
        row
        for row in _bus(state).deliveries
        if (event_id is None or row["event_id"] == event_id) and (type is None or row["type"] == type)
    ]
    return {"deliveries": rows, "total": len(rows)}


@post("/flush", sync_to_thread=False, status_code=200)
def flush(state: State) -> JSON:
    """Deliver now everything held back (reordered, delayed, waiting for a retry)."""
    _bus(state).flush()
    return {"flushed": True}


router = Router(
    path="/_sim/webhooks", route_handlers=[set_fault, get_fault, deliveries, flush], include_in_schema=False
)
