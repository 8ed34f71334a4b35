"""Stripe's list pagination, shared by every list endpoint of the simulator.

Stripe lists newest first, ``limit`` 1 to 100 (default 10), cursors ``starting_after`` (the page after
that object, i.e. older ones) and ``ending_before`` (the page just before it, i.e. newer ones),
and answers ``{"object": "list", "data": [...], "has_more": bool, "url": "/v1/..."}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kiosk.simulator.errors import StripeError, invalid

JSON = dict[str, Any]

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def paginate(objects: Iterable[JSON], params: JSON, url: str, kind: str = "object") -> JSON:
    """One page of ``objects`` (given oldest first, already filtered) as Stripe's list object.

    ``objects`` is usually ``sim.table(kind).values()`` (insertion order, so oldest first) after
    the endpoint's own filters; ``params`` are the validated list parameters; ``url`` is the
    list's path, e.g. ``"/v1/payment_intents"``; ``kind`` names the object in the error Stripe
    gives for an unknown cursor ("No such PaymentIntent: 'pi_x'").
    """
    limit = _limit(params.get("limit"))
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise invalid("You may only specify one of these parameters: starting_after, ending_before.")
    # Stable newest-first: by creation time, then by insertion order for objects of the same second.
    indexed = list(enumerate(objects))
    indexed.sort(key=lambda pair: (pair[1].get("created", 0), pair[0]), reverse=True)
    newest_first = [obj for _, obj in indexed]
    if after:
        start = _position(newest_first, after, kind, "starting_after") + 1
        page = newest_first[start : start + limit]
        has_more = start + limit < len(newest_first)
    elif before:
        end = _position(newest_first, before, kind, "ending_before")
        page = newest_first[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page = newest_first[:limit]
        has_more = limit < len(newest_first)
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def _limit(value: Any) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise StripeError(
            status=400,
            message=f"Invalid limit: must be between 1 and {MAX_LIMIT}",
            code="parameter_invalid_integer",
            param="limit",
        )
    return value


def _position(objects: list[JSON], object_id: str, kind: str, param: str) -> int:
    for position, obj in enumerate(objects):
        if obj.get("id") == object_id:
            return position
    raise StripeError(status=400, message=f"No such {kind}: '{object_id}'", code="resource_missing", param=param)
