"""Charges (read-only here: they come from reader taps): https://docs.stripe.com/api/charges."""

from __future__ import annotations

from typing import Any

from kiosk.simulator import versions
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.listing import paginate
from kiosk.simulator.objects import created_matches, get, merge_metadata, refuse_unsupported, snapshot

JSON = dict[str, Any]
KIND = "charge"
_FILTERS = ("customer", "payment_intent", "transfer_group")


@endpoint("get", "/v1/charges/{charge}")
def retrieve_charge(call: Call) -> JSON:
    charge = snapshot(get(call.sim, KIND, call.path["charge"], param="charge"))
    if "refunds" in (call.params.get("expand") or []):
        versions.refunds_list(call.sim, charge)  # since 2022-11-15 only on request
    return charge


@endpoint("post", "/v1/charges/{charge}")
def update_charge(call: Call) -> JSON:
    refuse_unsupported(call.params, frozenset({"metadata", "description", "receipt_email"}), "charge updates")
    charge = get(call.sim, KIND, call.path["charge"], param="charge")
    if "metadata" in call.params:
        charge["metadata"] = merge_metadata(charge["metadata"], call.params["metadata"])
    for name in ("description", "receipt_email"):
        if name in call.params:
            charge[name] = call.params[name] or None
    return snapshot(charge)


@endpoint("get", "/v1/charges")
def list_charges(call: Call) -> JSON:
    wanted = {name: call.params[name] for name in _FILTERS if name in call.params}
    found = [
        charge
        for charge in call.sim.table(KIND).values()
        if all(charge.get(name) == value for name, value in wanted.items())
        and created_matches(charge["created"], call.params.get("created"))
    ]
    return paginate(found, call.params, "/v1/charges", kind="charge")
