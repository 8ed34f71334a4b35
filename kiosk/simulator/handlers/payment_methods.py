"""PaymentMethods of customers: https://docs.stripe.com/api/payment_methods (saved cards)."""

from __future__ import annotations

from typing import Any

from kiosk.simulator import payment_methods
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.errors import resource_missing
from kiosk.simulator.listing import paginate
from kiosk.simulator.objects import Origin, get, snapshot

JSON = dict[str, Any]


def _pm(call: Call) -> JSON:
    return get(call.sim, payment_methods.KIND, call.path["payment_method"], param="payment_method")


@endpoint("get", "/v1/payment_methods/{payment_method}")
def retrieve_payment_method(call: Call) -> JSON:
    return snapshot(_pm(call))


@endpoint("post", "/v1/payment_methods/{payment_method}/detach")
def detach_payment_method(call: Call) -> JSON:
    return snapshot(payment_methods.detach(call.sim, _pm(call), Origin.of(call)))


@endpoint("get", "/v1/customers/{customer}/payment_methods")
def list_customer_payment_methods(call: Call) -> JSON:
    customer = call.path["customer"]
    found = payment_methods.of_customer(call.sim, customer, call.params.get("type"))
    return paginate(found, call.params, f"/v1/customers/{customer}/payment_methods", kind="payment_method")


@endpoint("get", "/v1/customers/{customer}/payment_methods/{payment_method}")
def retrieve_customer_payment_method(call: Call) -> JSON:
    pm = _pm(call)
    if pm.get("customer") != call.path["customer"]:
        raise resource_missing("payment_method", pm["id"], "payment_method")
    return snapshot(pm)
