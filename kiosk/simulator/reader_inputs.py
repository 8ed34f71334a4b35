"""Reader actions beyond payments: save a card without paying (`process_setup_intent`) and ask the
customer something on the reader's screen (`collect_inputs`), with the test helpers that answer
the inputs (`succeed_input_collection`, `timeout_input_collection`) or the customer typing them on
the virtual reader page.

https://docs.stripe.com/terminal/features/collect-inputs — inputs of type email, phone, text,
numeric, selection, signature; the reader's action carries the values once the customer submits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.simulator import reader_commands, setup_intents
from kiosk.simulator.device import Device, idle_screen
from kiosk.simulator.errors import invalid
from kiosk.simulator.objects import NO_ORIGIN, Origin, get, snapshot
from kiosk.simulator.readers import READER, device_of, fail, in_progress, new_action, reader_busy, succeed

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
SAVE_MESSAGE = "Tap, insert or swipe to save your card"
TIMED_OUT = "The customer did not answer the reader's questions in time."
# What Stripe's test helper fills in when it is not told the values.
DEFAULTS = {
    "email": "customer@example.com",
    "phone": "+15555550123",
    "text": "Sample text",
    "numeric": "42",
}


def process_setup_intent(sim: Simulator, reader_id: str, params: JSON) -> JSON:
    def start(reader: JSON, device: Device) -> None:
        if in_progress(reader):
            raise reader_busy()
        intent = get(sim, setup_intents.KIND, params["setup_intent"], param="setup_intent")
        setup_intents.check_processable(intent)
        details = {"generated_card": None, "process_config": params.get("process_config"), "setup_intent": intent["id"]}
        reader_commands.start_action(sim, reader, device, new_action("process_setup_intent", details), SAVE_MESSAGE)

    return reader_commands.run_command(sim, reader_id, start)


def _input(given: JSON) -> JSON:
    kind = str(given["type"])
    text = given.get("custom_text") or {}
    shown: JSON = {
        "custom_text": {name: text.get(name) for name in ("description", "skip_button", "submit_button", "title")},
        "required": bool(given.get("required")),
        "skipped": None,
        "type": kind,
    }
    for name in ("email", "numeric", "phone", "text", "signature"):
        shown[name] = None
    shown["selection"] = {"choices": (given.get("selection") or {}).get("choices") or [], "id": None, "text": None}
    shown["toggles"] = [{**t, "value": None} for t in given.get("toggles") or []]
    return shown


def collect_inputs(sim: Simulator, reader_id: str, params: JSON) -> JSON:
    def start(reader: JSON, device: Device) -> None:
        if in_progress(reader):
            raise reader_busy()
        inputs = [_input(given) for given in params["inputs"]]
        if not inputs:
            raise invalid("Provide at least one input to collect.", param="inputs")
        details = {"inputs": inputs, "metadata": dict(params.get("metadata") or {})}
        reader["action"] = new_action("collect_inputs", details)
        device.cancel_timer()
        device.phase, device.tapped = "inputs", None
        title = inputs[0]["custom_text"]["title"] or f"Your {inputs[0]['type']}"
        device.screen = {**idle_screen(), "state": "inputs", "message": title, "inputs": [snapshot(i) for i in inputs]}

    return reader_commands.run_command(sim, reader_id, start)


def _collecting(sim: Simulator, reader_id: str) -> tuple[JSON, Device]:
    reader = get(sim, READER, reader_id)
    device = device_of(sim, reader)
    if not in_progress(reader) or reader["action"]["type"] != "collect_inputs":
        raise invalid("This reader has no in-progress collect_inputs action.")
    return reader, device


def succeed_inputs(
    sim: Simulator, reader_id: str, values: dict[int, str] | None = None, skip_optional: bool = False,
    origin: Origin = NO_ORIGIN,
) -> JSON:  # fmt: skip
    """The customer submits the inputs: `values` by input position (else Stripe's sample values)."""
    reader, device = _collecting(sim, reader_id)
    inputs = reader["action"]["collect_inputs"]["inputs"]
    for position, shown in enumerate(inputs):
        kind = shown["type"]
        typed = (values or {}).get(position)
        if skip_optional and not shown["required"] and not typed:
            shown["skipped"] = True
            continue
        if kind in DEFAULTS:
            shown[kind] = {"value": typed or DEFAULTS[kind]}
        elif kind == "selection" and shown["selection"]["choices"]:
            first = shown["selection"]["choices"][0]
            shown["selection"].update(id=first.get("id"), text=first.get("text"))
        elif kind == "signature":
            shown["signature"] = {"value": "file_simulated_signature"}
        shown["skipped"] = False
    succeed(sim, reader, device, origin, {**idle_screen(), "state": "approved", "message": "Thank you"})
    return snapshot(reader)


def timeout_inputs(sim: Simulator, reader_id: str, origin: Origin = NO_ORIGIN) -> JSON:
    reader, device = _collecting(sim, reader_id)
    screen = {**idle_screen(), "state": "canceled", "message": "Timed out"}
    fail(sim, reader, device, origin, ("input_collection_timed_out", TIMED_OUT, None), screen)
    return snapshot(reader)
