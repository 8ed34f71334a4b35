"""Refunds: https://docs.stripe.com/api/refunds (of captured card_present charges)."""

from __future__ import annotations

from typing import Any

from kiosk.simulator import charges
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.errors import invalid
from kiosk.simulator.listing import paginate
from kiosk.simulator.objects import Origin, created_matches, get, merge_metadata, refuse_unsupported, snapshot

JSON = dict[str, Any]
KIND = "refund"
CREATE_PARAMS = frozenset({"amount", "charge", "payment_intent", "reason", "metadata"})


@endpoint("post", "/v1/refunds")
def create_refund(call: Call) -> JSON:
    params = call.params
    refuse_unsupported(params, CREATE_PARAMS, "refunds")
    charge = charges.refundable_charge(call.sim, params.get("payment_intent"), params.get("charge"))
    if charge["payment_method_details"]["type"] == "interac_present":
        # Stripe: "Online refunds are available on all card networks except for Interac".
        raise invalid(
            f"Charge {charge['id']} was paid with Interac, which is refunded only in person: use "
            "/v1/terminal/readers/:id/refund_payment with the card present.",
            code="charge_not_refundable",
        )
    extra = {"reason": params.get("reason"), "metadata": merge_metadata({}, params.get("metadata"))}
    return snapshot(charges.create_refund(call.sim, charge, params.get("amount"), extra, Origin.of(call)))


@endpoint("get", "/v1/refunds/{refund}")
def retrieve_refund(call: Call) -> JSON:
    return snapshot(get(call.sim, KIND, call.path["refund"], param="refund"))


@endpoint("post", "/v1/refunds/{refund}")
def update_refund(call: Call) -> JSON:
    refuse_unsupported(call.params, frozenset({"metadata"}), "refund updates")
    refund = get(call.sim, KIND, call.path["refund"], param="refund")
    refund["metadata"] = merge_metadata(refund["metadata"], call.params.get("metadata"))
    return snapshot(refund)


@endpoint("get", "/v1/refunds")
def list_refunds(call: Call) -> JSON:
    params = call.params
    found = [
        refund
        for refund in call.sim.table(KIND).values()
        if params.get("charge") in (None, refund["charge"])
        and params.get("payment_intent") in (None, refund["payment_intent"])
        and created_matches(refund["created"], params.get("created"))
    ]
    return paginate(found, params, "/v1/refunds", kind="refund")
