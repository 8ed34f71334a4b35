"""PaymentIntents: https://docs.stripe.com/api/payment_intents (card_present, server-driven)."""

from __future__ import annotations

from typing import Any

from kiosk.simulator import intents, off_session, reader_commands
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.listing import paginate
from kiosk.simulator.objects import Origin, created_matches, get

JSON = dict[str, Any]


def _intent(call: Call) -> JSON:
    return get(call.sim, intents.KIND, call.path["intent"], param="intent")


def _answer(call: Call, intent: JSON) -> JSON:
    return intents.render(call.sim, intent, call.params.get("expand"))


@endpoint("post", "/v1/payment_intents")
def create_payment_intent(call: Call) -> JSON:
    off_session.check_params(call.params)
    off_session.check_payment_method(call.sim, call.params)
    origin = Origin.of(call)
    intent = intents.create(call.sim, call.params, origin)
    if call.params.get("confirm"):
        return off_session.confirm(call.sim, intent, call.params["payment_method"], origin, call.params.get("expand"))
    return _answer(call, intent)


@endpoint("get", "/v1/payment_intents/{intent}")
def retrieve_payment_intent(call: Call) -> JSON:
    return _answer(call, _intent(call))


@endpoint("post", "/v1/payment_intents/{intent}")
def update_payment_intent(call: Call) -> JSON:
    return _answer(call, intents.update(call.sim, _intent(call), call.params))


@endpoint("get", "/v1/payment_intents")
def list_payment_intents(call: Call) -> JSON:
    customer, created = call.params.get("customer"), call.params.get("created")
    found = [
        intent
        for intent in call.sim.table(intents.KIND).values()
        if (customer is None or intent["customer"] == customer) and created_matches(intent["created"], created)
    ]
    return paginate(found, call.params, "/v1/payment_intents", kind="payment_intent")


@endpoint("post", "/v1/payment_intents/{intent}/cancel")
def cancel_payment_intent(call: Call) -> JSON:
    origin = Origin.of(call)
    intent = intents.cancel(call.sim, _intent(call), call.params.get("cancellation_reason"), origin)
    reader_commands.intent_canceled(call.sim, intent["id"], origin)
    return _answer(call, intent)


@endpoint("post", "/v1/payment_intents/{intent}/capture")
def capture_payment_intent(call: Call) -> JSON:
    return _answer(call, intents.capture(call.sim, _intent(call), call.params, Origin.of(call)))
