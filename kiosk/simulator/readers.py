"""Reader plumbing shared by the API commands (reader_commands) and the device side (terminal).

An action starts ``in_progress`` with its device "collecting" (waiting for a card); a tap moves the
device to "processing" (authorizing) and the action ends ``succeeded`` or ``failed``, announced with
``terminal.reader.action_succeeded`` / ``action_failed`` whose data.object is the Reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.simulator import charges, intents, setup_intents
from kiosk.simulator.cards import Card
from kiosk.simulator.device import Device, Tap, idle_screen
from kiosk.simulator.errors import StripeError
from kiosk.simulator.objects import Origin, emit, get, now_ms

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
READER = "terminal.reader"
# Reader errors are invalid_request_error; Stripe's HTTP status for them is not documented (FACTS.md [?]).
READER_ERROR_STATUS = 400


def reader_offline() -> StripeError:
    return StripeError(
        READER_ERROR_STATUS,
        "Reader is currently offline, please ensure the reader is powered on and connected to the internet "
        "before retrying your request.",
        code="terminal_reader_offline",
    )


def reader_busy() -> StripeError:
    return StripeError(
        READER_ERROR_STATUS,
        "Reader is currently busy processing another request, please retry the request later.",
        code="terminal_reader_busy",
    )


def reader_timeout() -> StripeError:
    return StripeError(
        READER_ERROR_STATUS,
        "There was a timeout when sending this command to the reader. The reader may or may not have received "
        "it: retrieve the reader to check its action before retrying.",
        code="terminal_reader_timeout",
    )


def device_of(sim: Simulator, reader: JSON) -> Device:
    """The reader's device, created on first use (also after a restore: an in_progress action is collecting)."""
    device = sim.devices.get(reader["id"])
    if device is None:
        device = sim.devices[reader["id"]] = Device()
        if in_progress(reader):
            device.phase = "collecting"
    return device


def in_progress(reader: JSON) -> bool:
    action: JSON | None = reader.get("action")
    return action is not None and action["status"] == "in_progress"


def collecting_intent(reader: JSON) -> str | None:
    """The PaymentIntent an in-progress process_payment_intent action is about, if any."""
    if not in_progress(reader) or reader["action"]["type"] != "process_payment_intent":
        return None
    return str(reader["action"]["process_payment_intent"]["payment_intent"])


def touch(sim: Simulator, reader: JSON) -> None:
    """A connected reader keeps reporting to Stripe: ``last_seen_at`` (milliseconds) follows the clock."""
    if reader["status"] == "online" and not device_of(sim, reader).disconnected:
        reader["last_seen_at"] = now_ms(sim)


def new_action(action_type: str, details: JSON, status: str = "in_progress") -> JSON:
    return {
        "type": action_type,
        "status": status,
        "failure_code": None,
        "failure_message": None,
        "api_error": None,
        action_type: details,
    }


def collecting_screen(sim: Simulator, reader: JSON, device: Device, message: str) -> JSON:
    action = reader["action"]
    details = action[action["type"]]
    if action["type"] == "process_payment_intent":
        intent = sim.table("payment_intent")[details["payment_intent"]]
        amount, currency = intent["amount"], intent["currency"]
        config = details.get("process_config") or {}
    elif action["type"] == "process_setup_intent":  # saving a card: no amount on the screen
        amount, currency = None, None
        config = details.get("process_config") or {}
    else:
        charge = sim.table("charge")[details["charge"]]
        amount, currency = details.get("amount") or charge["amount"] - charge["amount_refunded"], charge["currency"]
        config = details.get("refund_payment_config") or {}
    cart = device.cart if device.cart and device.cart.get("currency") == currency else None
    can_cancel = bool(config.get("enable_customer_cancellation"))
    screen = {**idle_screen(), "state": "collecting", "amount": amount, "currency": currency, "message": message}
    return {**screen, "cart": cart, "can_cancel": can_cancel}


def result_screen(state: str, message: str, reader: JSON, sim: Simulator, card: Card | None = None) -> JSON:
    screen = {**idle_screen(), "state": state, "message": message}
    action = reader.get("action") or {}
    if action.get("type") == "process_payment_intent":
        intent = sim.table("payment_intent").get(action["process_payment_intent"]["payment_intent"])
        if intent is not None:
            screen.update(amount=intent["amount"], currency=intent["currency"])
    if card is not None:
        screen["card"] = {"brand": card.brand, "last4": card.last4}
    return screen


def succeed(sim: Simulator, reader: JSON, device: Device, origin: Origin, screen: JSON) -> None:
    reader["action"]["status"] = "succeeded"
    _end(sim, reader, device, screen)
    emit(sim, "terminal.reader.action_succeeded", reader, origin)


def fail(
    sim: Simulator, reader: JSON, device: Device, origin: Origin, failure: tuple[str, str, JSON | None], screen: JSON
) -> None:
    """End the action as failed with (failure_code, failure_message, api_error)."""
    code, message, api_error = failure
    reader["action"].update(status="failed", failure_code=code, failure_message=message, api_error=api_error)
    _end(sim, reader, device, screen)
    emit(sim, "terminal.reader.action_failed", reader, origin)


def api_error_of(error: StripeError) -> JSON:
    body: JSON = error.body()["error"]
    return {"decline_code": None, "param": None, "doc_url": None, "code": None, **body}


def finish_tap(sim: Simulator, reader_id: str, origin: Origin, lost_connection: bool = False) -> None:
    """The issuer's answer to the card tapped on ``reader_id`` reaches the reader (or not, when it went offline)."""
    reader = sim.table(READER).get(reader_id)
    if reader is None:
        return
    device = device_of(sim, reader)
    tap, device.tapped, device.timer = device.tapped, None, None
    if tap is None or not in_progress(reader):
        return
    if reader["action"]["type"] == "refund_payment":
        _finish_refund(sim, reader, device, tap, origin)
    elif reader["action"]["type"] == "process_setup_intent":
        _finish_setup(sim, reader, device, tap, origin)
    else:
        _finish_payment(sim, reader, device, tap, origin, lost_connection)


def _finish_payment(sim: Simulator, reader: JSON, device: Device, tap: Tap, origin: Origin, lost: bool) -> None:
    intent = get(sim, "payment_intent", reader["action"]["process_payment_intent"]["payment_intent"])
    if intent["status"] != "requires_payment_method":
        error = StripeError(400, f"This PaymentIntent has a status of {intent['status']}.", code="intent_invalid_state")
        failure = (error.code or "", error.message, api_error_of(error))
        fail(sim, reader, device, origin, failure, result_screen("declined", error.message, reader, sim))
        return
    decline = intents.authorize(sim, intent, tap.card, tap.tip, tap.pm_type, reader, origin)
    if lost:
        message = "The reader lost its connection during authorization: check the PaymentIntent's status."
        screen = result_screen("offline", message, reader, sim)
        fail(sim, reader, device, origin, ("connection_error", message, None), screen)
    elif decline is not None:
        api_error = {
            "type": "card_error",
            "code": decline.code,
            "decline_code": decline.decline_code,
            "message": decline.message,
            "doc_url": f"https://docs.stripe.com/error-codes#{decline.code.replace('_', '-')}",
            "param": None,
            "charge": intent["latest_charge"],
        }
        screen = result_screen("declined", decline.message, reader, sim, tap.card)
        fail(sim, reader, device, origin, (decline.code, decline.message, api_error), screen)
    else:
        succeed(sim, reader, device, origin, result_screen("approved", "Approved", reader, sim, tap.card))


def _finish_refund(sim: Simulator, reader: JSON, device: Device, tap: Tap, origin: Origin) -> None:
    details = reader["action"]["refund_payment"]
    try:
        charge = get(sim, "charge", details["charge"])
        extra = {"metadata": details.get("metadata"), "reason": details.get("reason")}
        refund = charges.create_refund(sim, charge, details.get("amount"), extra, origin)
    except StripeError as error:
        screen = result_screen("declined", error.message, reader, sim, tap.card)
        fail(sim, reader, device, origin, (error.code or "refund_failed", error.message, api_error_of(error)), screen)
        return
    details["refund"] = refund["id"]
    screen = {**result_screen("approved", "Refunded", reader, sim, tap.card), "amount": refund["amount"]}
    succeed(sim, reader, device, origin, {**screen, "currency": refund["currency"]})


def _finish_setup(sim: Simulator, reader: JSON, device: Device, tap: Tap, origin: Origin) -> None:
    details = reader["action"]["process_setup_intent"]
    intent = get(sim, setup_intents.KIND, details["setup_intent"])
    try:
        setup_intents.check_processable(intent)
    except StripeError as error:
        screen = result_screen("declined", error.message, reader, sim, tap.card)
        fail(sim, reader, device, origin, (error.code or "", error.message, api_error_of(error)), screen)
        return
    details["generated_card"] = setup_intents.complete(sim, intent, tap.card, reader, origin)
    succeed(sim, reader, device, origin, result_screen("approved", "Card saved", reader, sim, tap.card))


def _end(sim: Simulator, reader: JSON, device: Device, screen: JSON) -> None:
    device.cancel_timer()
    device.phase, device.tapped, device.cart = "idle", None, None
    device.screen = screen
    touch(sim, reader)
