"""Test helpers of collect_inputs: https://docs.stripe.com/api/terminal/readers/succeed_input_collection."""

from __future__ import annotations

from typing import Any

from kiosk.simulator import reader_inputs
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.objects import Origin

JSON = dict[str, Any]


@endpoint("post", "/v1/test_helpers/terminal/readers/{reader}/succeed_input_collection")
def succeed_input_collection(call: Call) -> JSON:
    skip = call.params.get("skip_non_required_inputs") == "all"
    return reader_inputs.succeed_inputs(call.sim, call.path["reader"], None, skip, Origin.of(call))


@endpoint("post", "/v1/test_helpers/terminal/readers/{reader}/timeout_input_collection")
def timeout_input_collection(call: Call) -> JSON:
    return reader_inputs.timeout_inputs(call.sim, call.path["reader"], Origin.of(call))
