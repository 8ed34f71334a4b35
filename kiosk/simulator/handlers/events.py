"""Events: https://docs.stripe.com/api/events (the last 30 days, newest first)."""

from __future__ import annotations

import copy
from fnmatch import fnmatchcase
from typing import Any

from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.errors import invalid, resource_missing
from kiosk.simulator.listing import paginate

JSON = dict[str, Any]
KIND = "event"
_BOUNDS = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}


def _type_filter(params: JSON) -> list[str] | None:
    """Patterns the event type must match; ``type`` may use ``*`` as a wildcard (``payment_intent.*``)."""
    if "type" in params and "types" in params:
        raise invalid("You may pass either `type` or `types`, but not both.", param="types")
    if "type" in params:
        return [params["type"]]
    if "types" in params:
        if len(params["types"]) > 20:
            raise invalid("You may pass at most 20 event types.", param="types")
        return list(params["types"])
    return None


def _created_ok(created: int, bound: Any) -> bool:
    if bound is None:
        return True
    if isinstance(bound, int):
        return created == bound
    return all(_BOUNDS[op](created, int(value)) for op, value in bound.items())


def _wanted(event: JSON, params: JSON, types: list[str] | None) -> bool:
    if types is not None and not any(fnmatchcase(event["type"], t) for t in types):
        return False
    if "delivery_success" in params and (event["pending_webhooks"] == 0) != params["delivery_success"]:
        return False
    return _created_ok(event["created"], params.get("created"))


@endpoint("get", "/v1/events/{id}")
def retrieve(call: Call) -> JSON:
    event_id = call.path["id"]
    event = call.sim.table(KIND).get(event_id)
    if event is None:
        raise resource_missing("event", event_id)
    return copy.deepcopy(event)


@endpoint("get", "/v1/events")
def list_events(call: Call) -> JSON:
    types = _type_filter(call.params)
    chosen = [e for e in call.sim.table(KIND).values() if _wanted(e, call.params, types)]
    page = paginate(chosen, call.params, "/v1/events", kind="event")
    page["data"] = copy.deepcopy(page["data"])  # the stored events keep changing (pending_webhooks)
    return page
