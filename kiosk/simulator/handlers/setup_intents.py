"""SetupIntents: https://docs.stripe.com/api/setup_intents (card_present, saved on a reader)."""

from __future__ import annotations

import copy
from typing import Any

from kiosk.simulator import setup_intents
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.listing import paginate
from kiosk.simulator.objects import Origin, created_matches, get

JSON = dict[str, Any]


def _intent(call: Call) -> JSON:
    return get(call.sim, setup_intents.KIND, call.path["intent"], param="intent")


def _render(call: Call, intent: JSON) -> JSON:
    shown = copy.deepcopy(intent)
    expand = call.params.get("expand") or []
    for name, kind in (("latest_attempt", setup_intents.ATTEMPT), ("payment_method", "payment_method")):
        if name in expand and shown[name]:
            shown[name] = copy.deepcopy(call.sim.table(kind)[shown[name]])
    return shown


@endpoint("post", "/v1/setup_intents")
def create_setup_intent(call: Call) -> JSON:
    return _render(call, setup_intents.create(call.sim, call.params, Origin.of(call)))


@endpoint("get", "/v1/setup_intents/{intent}")
def retrieve_setup_intent(call: Call) -> JSON:
    return _render(call, _intent(call))


@endpoint("post", "/v1/setup_intents/{intent}/cancel")
def cancel_setup_intent(call: Call) -> JSON:
    reason = call.params.get("cancellation_reason")
    return _render(call, setup_intents.cancel(call.sim, _intent(call), reason, Origin.of(call)))


@endpoint("get", "/v1/setup_intents")
def list_setup_intents(call: Call) -> JSON:
    customer, created = call.params.get("customer"), call.params.get("created")
    found = [
        intent
        for intent in call.sim.table(setup_intents.KIND).values()
        if (customer is None or intent["customer"] == customer) and created_matches(intent["created"], created)
    ]
    return paginate(found, call.params, "/v1/setup_intents", kind="setup_intent")
