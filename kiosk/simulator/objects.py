"""Helpers every simulated resource shares: look-ups, metadata, timestamps and event emission."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.simulator.api import Call
from kiosk.simulator.errors import invalid, resource_missing

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]


@dataclass(frozen=True)
class Origin:
    """The API request that caused a change; Stripe shows it as the event's ``request``."""

    request_id: str | None = None
    idempotency_key: str | None = None

    @classmethod
    def of(cls, call: Call) -> Origin:
        return cls(call.request_id, call.idempotency_key)


# Changes nobody asked for over the API (a card tapped on the virtual reader, a timer firing).
NO_ORIGIN = Origin()


def get(sim: Simulator, kind: str, object_id: str, param: str = "id") -> JSON:
    """The stored object, or Stripe's 404 ``resource_missing`` naming ``param``."""
    obj = sim.table(kind).get(object_id)
    if obj is None:
        raise resource_missing(kind, object_id, param)
    return obj


def now_ms(sim: Simulator) -> int:
    """Milliseconds since the epoch: the unit of ``terminal.reader.last_seen_at``."""
    return int(sim.clock() * 1000)


def merge_metadata(current: JSON, update: Any) -> JSON:
    """Stripe's metadata update: keys merge, ``""`` as a value unsets that key, ``""`` as a whole clears all."""
    if update == "":
        return {}
    merged = dict(current)
    for key, value in (update or {}).items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


_ATOMS = (str, int, float, bool, type(None))


def _copied(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _ATOMS else _copied(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _ATOMS else _copied(v) for v in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)  # anything unusual (a tuple of dicts, a set): the general copy


def snapshot(obj: JSON) -> JSON:
    """A deep copy: answers and events must not change when the stored object changes later.
    Stripe objects are JSON trees (dicts, lists, strings, numbers): copied as such, several times
    faster than ``copy.deepcopy``, which is most of what an event costs to make."""
    copied: JSON = _copied(obj)
    return copied


def emit(sim: Simulator, event_type: str, obj: JSON, origin: Origin, previous: JSON | None = None) -> None:
    sim.events.emit(
        event_type,
        snapshot(obj),
        previous_attributes=previous,
        request_id=origin.request_id,
        idempotency_key=origin.idempotency_key,
    )


def deleted(obj: JSON) -> JSON:
    """What Stripe answers to a DELETE: the id, the object name and ``deleted: true``."""
    return {"id": obj["id"], "object": obj["object"], "deleted": True}


def refuse_unsupported(params: JSON, supported: frozenset[str], resource: str) -> None:
    """Stripe accepts these parameters but the simulator does not model them: say so instead of ignoring them."""
    for name in sorted(set(params) - supported - {"expand"}):
        raise invalid(f"The simulator does not support the parameter `{name}` on {resource}.", param=name)


def created_matches(created: int, bound: Any) -> bool:
    """The ``created`` list filter: an exact timestamp or a dict of gt/gte/lt/lte bounds."""
    if bound is None:
        return True
    if isinstance(bound, int):
        return created == bound
    checks = {"gt": created.__gt__, "gte": created.__ge__, "lt": created.__lt__, "lte": created.__le__}
    return all(checks[op](int(value)) for op, value in bound.items())
