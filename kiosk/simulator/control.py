"""Control API of the account itself (``/_sim``): call counts, API faults, state, reset.

Loopback-only test controls, off ``/v1``: JSON in, JSON out, no auth. Tests and the benchmark read
the call counts; fault tests make the next N API calls answer 500 or 429.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Router, get, post
from litestar.datastructures import State
from litestar.exceptions import ClientException
from litestar.params import JSONBody

from kiosk.simulator import versions
from kiosk.simulator.core import ApiFaults, Simulator
from kiosk.simulator.errors import StripeError
from kiosk.simulator.idempotency import IdempotencyStore
from kiosk.simulator.webhooks import EventBus

JSON = dict[str, Any]

# What a reset keeps: the simulator's configuration and its event sink (whose task is running).
_KEPT_ON_RESET = frozenset({"api_keys", "persist_path", "clock", "events"})


def reset_account(sim: Simulator, idempotency: IdempotencyStore) -> None:
    """Make ``sim`` a fresh account in place, so everyone holding it sees the reset."""
    for device in sim.devices.values():
        device.cancel_timer()  # a pending auto-tap must not act on the old account
    fresh = Simulator(api_keys=sim.api_keys, persist_path=sim.persist_path, clock=sim.clock)
    for f in dataclasses.fields(Simulator):
        if f.name not in _KEPT_ON_RESET:
            setattr(sim, f.name, getattr(fresh, f.name))
    idempotency.clear()
    if isinstance(sim.events, EventBus):
        sim.events.reset()


def _calls(sim: Simulator) -> JSON:
    return {"calls": dict(sorted(sim.api_calls.items())), "total": sim.api_calls.total()}


@get("/calls", sync_to_thread=False)
def calls(state: State) -> JSON:
    """API calls served, by ``"METHOD /v1/template"``, and their total."""
    return _calls(state.sim)


@post("/calls/reset", sync_to_thread=False, status_code=200)
def reset_calls(state: State) -> JSON:
    state.sim.api_calls.clear()
    return _calls(state.sim)


@post("/faults/api", sync_to_thread=False, status_code=200)
def api_faults(state: State, data: JSONBody[JSON]) -> JSON:
    """{"status": 500|429, "count": N}: the next N API calls answer that error; count 0 clears it."""
    status, count = data.get("status"), data.get("count", 1)
    if status not in (500, 429):
        raise ClientException("status must be 500 or 429")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ClientException("count must be a non-negative integer")
    state.sim.api_faults = ApiFaults(status=status, count=count)
    return dataclasses.asdict(state.sim.api_faults)


@post("/api_version", sync_to_thread=False, status_code=200)
def default_api_version(state: State, data: JSONBody[JSON]) -> JSON:
    """{"version": "2020-08-27"}: the account's default version (requests without Stripe-Version, events)."""
    version = data.get("version")
    if not isinstance(version, str):
        raise ClientException("version must be a Stripe API version string")
    try:
        state.sim.default_api_version = versions.check(version)
    except StripeError as error:
        raise ClientException(error.message) from error
    return {"default_api_version": state.sim.default_api_version}


@get("/state", sync_to_thread=False)
def account_state(state: State) -> JSON:
    """A summary of the account: its id, the ids of its objects by kind, calls and pending faults."""
    sim: Simulator = state.sim
    objects = {kind: {"count": len(table), "ids": list(table)} for kind, table in sorted(sim.objects.items())}
    return {
        "account_id": sim.account_id,
        "default_api_version": sim.default_api_version,
        "objects": objects,
        "api_calls_total": sim.api_calls.total(),
        "api_faults": dataclasses.asdict(sim.api_faults),
    }


@post("/reset", sync_to_thread=False, status_code=200)
def reset(state: State) -> JSON:
    """A fresh account: no objects, no calls, no faults, no idempotency keys, no webhook endpoints."""
    reset_account(state.sim, state.idempotency)
    return {"account_id": state.sim.account_id}


router = Router(
    path="/_sim",
    route_handlers=[calls, reset_calls, api_faults, default_api_version, account_state, reset],
    include_in_schema=False,
)
