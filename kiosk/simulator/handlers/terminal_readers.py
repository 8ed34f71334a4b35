"""Terminal readers: https://docs.stripe.com/api/terminal/readers (simulated WisePOS E and S700)."""

from __future__ import annotations

import uuid
from typing import Any

from kiosk.simulator import reader_commands, reader_inputs
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.core import new_id
from kiosk.simulator.errors import invalid
from kiosk.simulator.listing import paginate
from kiosk.simulator.objects import deleted, get, merge_metadata, now_ms, snapshot
from kiosk.simulator.readers import READER, touch

JSON = dict[str, Any]
# registration_code -> (device_type, device_sw_version)
SIMULATED_DEVICES = {
    "simulated-wpe": ("simulated_wisepos_e", "2.37.2.0"),
    "simulated-s700": ("simulated_stripe_s700", "2.37.2.0"),
}
_FILTERS = ("location", "status", "device_type", "serial_number")


def _reader(call: Call) -> JSON:
    reader = get(call.sim, READER, call.path["reader"], param="reader")
    touch(call.sim, reader)
    return reader


@endpoint("post", "/v1/terminal/readers")
def register_reader(call: Call) -> JSON:
    params = call.params
    code = params["registration_code"]
    if code not in SIMULATED_DEVICES:
        raise invalid(
            "The registration code you provided is invalid or expired. Simulated readers register with "
            f"{' or '.join(sorted(SIMULATED_DEVICES))}.",
            param="registration_code",
        )
    location = (
        get(call.sim, "terminal.location", params["location"], param="location") if params.get("location") else None
    )
    device_type, version = SIMULATED_DEVICES[code]
    reader = {
        "id": new_id("tmr"),
        "object": READER,
        "action": None,
        "device_sw_version": version,
        "device_type": device_type,
        "ip_address": "0.0.0.0",  # noqa: S104 - what Stripe shows for a simulated reader, not a bind address
        "label": params.get("label") or code,
        "last_seen_at": now_ms(call.sim),
        "livemode": False,
        "location": location["id"] if location else None,
        "metadata": merge_metadata({}, params.get("metadata")),
        "serial_number": str(uuid.uuid4()),
        "status": "online",
    }
    call.sim.table(READER)[reader["id"]] = reader
    return snapshot(reader)


@endpoint("get", "/v1/terminal/readers/{reader}")
def retrieve_reader(call: Call) -> JSON:
    return snapshot(_reader(call))


@endpoint("post", "/v1/terminal/readers/{reader}")
def update_reader(call: Call) -> JSON:
    reader = _reader(call)
    if "label" in call.params:
        reader["label"] = call.params["label"] or reader["serial_number"]
    if "metadata" in call.params:
        reader["metadata"] = merge_metadata(reader["metadata"], call.params["metadata"])
    return snapshot(reader)


@endpoint("get", "/v1/terminal/readers")
def list_readers(call: Call) -> JSON:
    wanted = {name: call.params[name] for name in _FILTERS if name in call.params}
    found = []
    for reader in call.sim.table(READER).values():
        touch(call.sim, reader)
        if all(reader.get(name) == value for name, value in wanted.items()):
            found.append(reader)
    return paginate(found, call.params, "/v1/terminal/readers", kind="terminal.reader")


@endpoint("delete", "/v1/terminal/readers/{reader}")
def delete_reader(call: Call) -> JSON:
    reader = _reader(call)
    device = call.sim.devices.pop(reader["id"], None)
    if device is not None:
        device.cancel_timer()
    return deleted(call.sim.table(READER).pop(reader["id"]))


@endpoint("post", "/v1/terminal/readers/{reader}/process_payment_intent")
def process_payment_intent(call: Call) -> JSON:
    return reader_commands.process_payment_intent(call.sim, call.path["reader"], call.params)


@endpoint("post", "/v1/terminal/readers/{reader}/collect_payment_method")
def collect_payment_method(call: Call) -> JSON:
    return reader_commands.collect_payment_method(call.sim, call.path["reader"], call.params)


@endpoint("post", "/v1/terminal/readers/{reader}/confirm_payment_intent")
def confirm_payment_intent(call: Call) -> JSON:
    return reader_commands.confirm_payment_intent(call.sim, call.path["reader"], call.params)


@endpoint("post", "/v1/terminal/readers/{reader}/refund_payment")
def refund_payment(call: Call) -> JSON:
    return reader_commands.refund_payment(call.sim, call.path["reader"], call.params)


@endpoint("post", "/v1/terminal/readers/{reader}/set_reader_display")
def set_reader_display(call: Call) -> JSON:
    return reader_commands.set_reader_display(call.sim, call.path["reader"], call.params)


@endpoint("post", "/v1/terminal/readers/{reader}/cancel_action")
def cancel_action(call: Call) -> JSON:
    return reader_commands.cancel_action(call.sim, call.path["reader"])


@endpoint("post", "/v1/terminal/readers/{reader}/process_setup_intent")
def process_setup_intent(call: Call) -> JSON:
    return reader_inputs.process_setup_intent(call.sim, call.path["reader"], call.params)


@endpoint("post", "/v1/terminal/readers/{reader}/collect_inputs")
def collect_inputs(call: Call) -> JSON:
    return reader_inputs.collect_inputs(call.sim, call.path["reader"], call.params)
