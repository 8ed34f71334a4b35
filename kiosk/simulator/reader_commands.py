"""What a POS asks a reader to do over the API: process a payment, show a cart, refund, cancel.

Every command first meets the reader's faults: offline, busy with another integration, and the
queued timeouts (a timeout "applied" carries the command out and still answers the timeout: the
false negative of FACTS.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.simulator.charges import check_refund_amount, refundable_charge
from kiosk.simulator.device import Device, idle_screen
from kiosk.simulator.errors import invalid, parameter_missing
from kiosk.simulator.objects import Origin, get, snapshot
from kiosk.simulator.readers import (
    READER,
    api_error_of,
    collecting_intent,
    collecting_screen,
    device_of,
    fail,
    in_progress,
    new_action,
    reader_busy,
    reader_offline,
    reader_timeout,
    result_screen,
    touch,
)
from kiosk.simulator.terminal import auto_tap

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
Command = Callable[[JSON, Device], None]
COLLECT_MESSAGE = "Tap, insert or swipe"
REFUND_MESSAGE = "Refund: tap, insert or swipe the card"


def process_payment_intent(sim: Simulator, reader_id: str, params: JSON) -> JSON:
    def start(reader: JSON, device: Device) -> None:
        if in_progress(reader):
            raise reader_busy()
        intent = get(sim, "payment_intent", params["payment_intent"], param="payment_intent")
        if not {"card_present", "interac_present"} & set(intent["payment_method_types"]):
            raise invalid(
                "This PaymentIntent cannot be processed on a reader: its payment_method_types lack card_present.",
                code="payment_intent_invalid_parameter",
                param="payment_intent",
            )
        if intent["status"] != "requires_payment_method":
            raise invalid(
                f"This PaymentIntent has a status of {intent['status']}; a reader can only process a "
                "PaymentIntent whose status is requires_payment_method.",
                code="intent_invalid_state",
                param="payment_intent",
            )
        details = {"payment_intent": intent["id"], "process_config": params.get("process_config")}
        _start(sim, reader, device, new_action("process_payment_intent", details), COLLECT_MESSAGE)

    return _command(sim, reader_id, start)


def refund_payment(sim: Simulator, reader_id: str, params: JSON) -> JSON:
    def start(reader: JSON, device: Device) -> None:
        if in_progress(reader):
            raise reader_busy()
        charge = refundable_charge(sim, params.get("payment_intent"), params.get("charge"))
        amount = check_refund_amount(charge, params.get("amount"))
        details = {
            "amount": amount,
            "charge": charge["id"],
            "metadata": dict(params.get("metadata") or {}),
            "payment_intent": charge["payment_intent"],
            "reason": None,
            "refund": None,
            "refund_application_fee": params.get("refund_application_fee"),
            "refund_payment_config": params.get("refund_payment_config"),
            "reverse_transfer": params.get("reverse_transfer"),
        }
        _start(sim, reader, device, new_action("refund_payment", details), REFUND_MESSAGE)

    return _command(sim, reader_id, start)


def set_reader_display(sim: Simulator, reader_id: str, params: JSON) -> JSON:
    """Show a cart; replaces an action whose card has not been presented yet (no event either way)."""

    def show(reader: JSON, device: Device) -> None:
        cart = params.get("cart")
        if cart is None:
            raise parameter_missing("cart")
        if in_progress(reader) and (device.phase != "collecting" or device.disconnected):
            raise reader_busy()
        device.cancel_timer()
        cart = {"tax": None, **cart}
        reader["action"] = new_action("set_reader_display", {"type": params["type"], "cart": cart}, "succeeded")
        device.phase, device.tapped, device.cart = "idle", None, cart
        device.screen = {**idle_screen(), "state": "display", "message": "Your order", "cart": cart}
        device.screen.update(amount=cart["total"], currency=cart["currency"])

    return _command(sim, reader_id, show)


def cancel_action(sim: Simulator, reader_id: str) -> JSON:
    """Cancel the action in progress (action becomes null, no webhook); refused while authorizing."""

    def cancel(reader: JSON, device: Device) -> None:
        if not in_progress(reader):
            return
        if device.phase == "processing" and not device.disconnected:
            raise reader_busy()
        device.cancel_timer()
        device.screen = result_screen("canceled", "Canceled", reader, sim)
        reader["action"] = None
        device.phase, device.tapped, device.disconnected = "idle", None, False
        touch(sim, reader)

    return _command(sim, reader_id, cancel)


def intent_canceled(sim: Simulator, intent_id: str, origin: Origin) -> None:
    """A PaymentIntent canceled over the API ends every reader action still collecting it."""
    for reader in sim.table(READER).values():
        if collecting_intent(reader) != intent_id:
            continue
        device = device_of(sim, reader)
        if device.disconnected:
            continue  # a disconnected reader reports nothing
        error = invalid(
            "The PaymentIntent was canceled while the reader was processing it.", code="payment_intent_unexpected_state"
        )
        failure = (error.code or "", error.message, api_error_of(error))
        fail(sim, reader, device, origin, failure, result_screen("canceled", "Canceled", reader, sim))


def _command(sim: Simulator, reader_id: str, command: Command) -> JSON:
    reader = get(sim, READER, reader_id)
    device = device_of(sim, reader)
    if reader["status"] == "offline":
        raise reader_offline()
    if device.busy_elsewhere:
        raise reader_busy()
    applied = device.timeouts.pop(0) if device.timeouts else None
    if applied is False or (applied is None and device.disconnected and not in_progress(reader)):
        raise reader_timeout()
    command(reader, device)
    if applied:
        raise reader_timeout()
    touch(sim, reader)
    return snapshot(reader)


def _start(sim: Simulator, reader: JSON, device: Device, action: JSON, message: str) -> None:
    reader["action"] = action
    device.phase, device.tapped = "collecting", None
    device.screen = collecting_screen(sim, reader, device, message)
    if device.auto_tap_seconds is not None:
        reader_id = reader["id"]
        device.schedule(device.auto_tap_seconds, lambda: auto_tap(sim, reader_id))


# For the other reader actions (kiosk/simulator/reader_inputs.py): the same checks and start.
run_command = _command
start_action = _start
