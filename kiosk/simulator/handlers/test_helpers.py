"""Test helpers: https://docs.stripe.com/api/terminal/readers/present_payment_method."""

from __future__ import annotations

from typing import Any

from kiosk.simulator import terminal
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.objects import Origin

JSON = dict[str, Any]


@endpoint("post", "/v1/test_helpers/terminal/readers/{reader}/present_payment_method")
def present_payment_method(call: Call) -> JSON:
    params = call.params
    pm_type = params.get("type", "card_present")
    number = (params.get(pm_type) or {}).get("number") if pm_type in terminal.PM_TYPES else None
    return terminal.present_payment_method(
        call.sim,
        call.path["reader"],
        card_number=number,
        type=pm_type,
        amount_tip=params.get("amount_tip"),
        origin=Origin.of(call),
    )
