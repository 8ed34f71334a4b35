"""Reader plumbing shared by the API commands (reader_commands) and the device side (terminal).

An action starts ``in_progress`` with its device "collecting" (waiting for a card); a tap moves the
device to "processing" (authorizing) and the action ends ``succeeded`` or ``failed``, announced with
``terminal.reader.action_succeeded`` / ``action_failed`` whose data.object is the Reader.

The two-step flow splits ``process_payment_intent``: ``collect_payment_method`` ends ``succeeded`` at
the tap, with the card's PaymentMethod in the action and the PaymentIntent ``requires_confirmation``
(nothing authorized; the device keeps the card), then ``confirm_payment_intent`` authorizes it.
"""

from __future__ import annotations

import copy
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
COLLECT = "collect_payment_method"
CONFIRM = "confirm_payment_intent"
# The actions about a PaymentIntent (their details name it in ``payment_intent``).
PAYMENT_ACTIONS = ("process_payment_intent", COLLECT, CONFIRM)


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
    """The PaymentIntent an in-progress payment action (process, collect, confirm) is about, if any."""
    if not in_progress(reader):
        return None
    return action_intent(reader)


def action_intent(reader: JSON) -> str | None:
    """The PaymentIntent the reader's current or last payment action is about, if any."""
    action: JSON | None = reader.get("action")
    if not action or action["type"] not in PAYMENT_ACTIONS:
        return None
    return str(action[action["type"]]["payment_intent"])


def holding_collected(sim: Simulator, reader: JSON) -> str | None:
    """The PaymentIntent whose collected card waits on this reader for confirm_payment_intent."""
    action: JSON | None = reader.get("action")
    if not action or action["type"] != COLLECT or action["status"] != "succeeded":
        return None
    if device_of(sim, reader).collected is None:
        return None
    intent = sim.table("payment_intent").get(action[COLLECT]["payment_intent"])
    return str(intent["id"]) if intent and intent["status"] == "requires_confirmation" else None


def touch(sim: Simulator, reader: JSON) -> None:
    """A connected reader keeps reporting to Stripe: ``last_seen_at`` (milliseconds) follows the clock.

    An unplugged reader reports nothing: ``last_seen_at`` stays at its last signal, and Stripe goes
    on showing it online until ``sim.reader_offline_after`` seconds have passed without one. Every
    read of a reader (retrieve, list, a command) comes through here, so the status is settled then.
    """
    device = device_of(sim, reader)
    if device.unplugged_at is not None:
        if reader["status"] == "online" and sim.clock() - device.unplugged_at >= sim.reader_offline_after:
            reader["status"] = "offline"
        return
    if reader["status"] == "online" and not device.disconnected:
        reader["last_seen_at"] = now_ms(sim)


def unplugged(sim: Simulator, reader: JSON) -> bool:
    """The reader lost power or network: nothing sent to it is answered."""
    return device_of(sim, reader).unplugged_at is not None


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
    if action["type"] in PAYMENT_ACTIONS:
        intent = sim.table("payment_intent")[details["payment_intent"]]
        amount, currency = intent["amount"], intent["currency"]
        config = details.get("process_config") or details.get("collect_config") or {}
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


def tip_screen(collecting: JSON, choices: list[JSON]) -> JSON:
    """Before the card: the amount, three suggested tips and "No tip" (the customer chooses)."""
    return {**collecting, "state": "tipping", "message": "Add a tip?", "tips": choices, "can_cancel": False}


def result_screen(state: str, message: str, reader: JSON, sim: Simulator, card: Card | None = None) -> JSON:
    screen = {**idle_screen(), "state": state, "message": message}
    intent_id = action_intent(reader)
    if intent_id is not None:
        intent = sim.table("payment_intent").get(intent_id)
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


def fail_canceled_intent(sim: Simulator, reader: JSON, device: Device, origin: Origin) -> None:
    """The reader learns that the PaymentIntent it collects was canceled over the API: its action fails."""
    error = StripeError(
        400,
        "The PaymentIntent was canceled while the reader was processing it.",
        code="payment_intent_unexpected_state",
    )
    failure = (error.code or "", error.message, api_error_of(error))
    fail(sim, reader, device, origin, failure, result_screen("canceled", "Canceled", reader, sim))


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
    elif reader["action"]["type"] == COLLECT:
        _finish_collect(sim, reader, device, tap, origin)
    elif reader["action"]["type"] == "process_setup_intent":
        _finish_setup(sim, reader, device, tap, origin)
    else:
        _finish_payment(sim, reader, device, tap, origin, lost_connection)


def _finish_payment(sim: Simulator, reader: JSON, device: Device, tap: Tap, origin: Origin, lost: bool) -> None:
    """process_payment_intent after the tap, or confirm_payment_intent with the collected card."""
    action = reader["action"]
    intent = get(sim, "payment_intent", action[action["type"]]["payment_intent"])
    confirming = action["type"] == CONFIRM
    expected = "requires_confirmation" if confirming else "requires_payment_method"
    if intent["status"] != expected:
        error = StripeError(400, f"This PaymentIntent has a status of {intent['status']}.", code="intent_invalid_state")
        failure = (error.code or "", error.message, api_error_of(error))
        fail(sim, reader, device, origin, failure, result_screen("declined", error.message, reader, sim))
        return
    pm = sim.table("payment_method").get(intent["payment_method"]) if confirming else None
    decline = intents.authorize(sim, intent, tap.card, tap.tip, tap.pm_type, reader, origin, pm)
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


def _finish_collect(sim: Simulator, reader: JSON, device: Device, tap: Tap, origin: Origin) -> None:
    """The card is read, not authorized: its PaymentMethod goes on the intent and in the action."""
    details = reader["action"][COLLECT]
    intent = get(sim, "payment_intent", details["payment_intent"])
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        error = StripeError(400, f"This PaymentIntent has a status of {intent['status']}.", code="intent_invalid_state")
        failure = (error.code or "", error.message, api_error_of(error))
        fail(sim, reader, device, origin, failure, result_screen("declined", error.message, reader, sim))
        return
    pm = charges.new_payment_method(sim, tap.card, tap.pm_type)
    intent.update(status="requires_confirmation", payment_method=pm["id"], last_payment_error=None)
    details["payment_method"] = copy.deepcopy(pm)
    screen = result_screen("collected", "Card read. Please wait", reader, sim, tap.card)
    succeed(sim, reader, device, origin, screen)
    device.collected = tap  # kept for confirm_payment_intent (after succeed, which clears the tap)


# The reader refuses a refund to another card than the one that paid. Stripe's failure_code for it is
# not documented (FACTS.md [?]): one constant, easy to change.
CARD_MISMATCH = "card_mismatch"
CARD_MISMATCH_MESSAGE = "The card presented does not match the card used for the payment."


def _same_card(charge: JSON, card: Card) -> bool:
    details = charge["payment_method_details"]
    paid = details.get(details["type"]) or {}
    return (paid.get("brand"), paid.get("last4")) == (card.brand, card.last4)


def _finish_refund(sim: Simulator, reader: JSON, device: Device, tap: Tap, origin: Origin) -> None:
    """The customer tapped for an in-person refund: the refund is made to the card that paid, only."""
    details = reader["action"]["refund_payment"]
    if not _same_card(get(sim, "charge", details["charge"]), tap.card):
        screen = result_screen("declined", CARD_MISMATCH_MESSAGE, reader, sim, tap.card)
        fail(sim, reader, device, origin, (CARD_MISMATCH, CARD_MISMATCH_MESSAGE, None), screen)
        return
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
    device.phase, device.tapped, device.cart, device.collected = "idle", None, None, None
    device.tip_choices, device.tip = None, None
    device.screen = screen
    touch(sim, reader)
