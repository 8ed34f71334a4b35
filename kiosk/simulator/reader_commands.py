"""What a POS asks a reader to do over the API: process a payment (in one step, or collect then
confirm), show a cart, refund, cancel.

Every command first meets the reader's faults: offline, unplugged (shown online by Stripe for up
to 2 minutes, but silent: ``terminal_reader_timeout``), busy with another integration, and the
queued timeouts (a timeout "applied" carries the command out and still answers the timeout: the
false negative of FACTS.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.simulator import tipping
from kiosk.simulator.charges import check_refund_amount, refundable_charge
from kiosk.simulator.device import Device, idle_screen
from kiosk.simulator.errors import invalid, parameter_missing
from kiosk.simulator.objects import NO_ORIGIN, Origin, get, snapshot
from kiosk.simulator.readers import (
    COLLECT,
    CONFIRM,
    READER,
    action_intent,
    collecting_intent,
    collecting_screen,
    device_of,
    fail_canceled_intent,
    finish_tap,
    holding_collected,
    in_progress,
    new_action,
    reader_busy,
    reader_offline,
    reader_timeout,
    result_screen,
    tip_screen,
    touch,
)
from kiosk.simulator.terminal import auto_tap

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
Command = Callable[[JSON, Device], None]
COLLECT_MESSAGE = "Tap, insert or swipe"
CONFIRM_MESSAGE = "Processing…"
REFUND_MESSAGE = "Refund: tap, insert or swipe the card"
# The payment method types Stripe refunds in person (everything else is refunded online).
IN_PERSON_REFUNDS = ("interac_present",)


def process_payment_intent(sim: Simulator, reader_id: str, params: JSON) -> JSON:
    def start(reader: JSON, device: Device) -> None:
        if in_progress(reader):
            raise reader_busy()
        intent = _card_present_intent(sim, params, ("requires_payment_method",), "process")
        details = {"payment_intent": intent["id"], "process_config": params.get("process_config")}
        choices = tipping.suggestions(sim, reader, intent, params.get("process_config"))
        _start(sim, reader, device, new_action("process_payment_intent", details), COLLECT_MESSAGE, choices)

    return _command(sim, reader_id, start)


def collect_payment_method(sim: Simulator, reader_id: str, params: JSON) -> JSON:
    """Step one of two: read a card for the intent without authorizing it. An intent whose card was
    collected already (requires_confirmation) may collect another one (the new card replaces it)."""

    def start(reader: JSON, device: Device) -> None:
        if in_progress(reader):
            raise reader_busy()
        statuses = ("requires_payment_method", "requires_confirmation")
        intent = _card_present_intent(sim, params, statuses, "collect a payment method for")
        details = {
            "payment_intent": intent["id"],
            "collect_config": params.get("collect_config"),
            "payment_method": None,
        }
        # The tip is asked while collecting (collect_config.skip_tipping), and confirmed with the card.
        choices = tipping.suggestions(sim, reader, intent, params.get("collect_config"))
        _start(sim, reader, device, new_action(COLLECT, details), COLLECT_MESSAGE, choices)

    return _command(sim, reader_id, start)


def confirm_payment_intent(sim: Simulator, reader_id: str, params: JSON) -> JSON:
    """Step two: authorize the card this reader collected for the intent. With no authorization
    delay the result is known when this returns (as a tap's is)."""

    def start(reader: JSON, device: Device) -> None:
        if in_progress(reader):
            raise reader_busy()
        intent = _card_present_intent(sim, params, ("requires_confirmation",), "confirm")
        if holding_collected(sim, reader) != intent["id"] or device.collected is None:
            raise invalid(
                "This reader has not collected a payment method for this PaymentIntent: call "
                "collect_payment_method on this reader first.",
                param="payment_intent",
            )
        details = {"payment_intent": intent["id"], "confirm_config": params.get("confirm_config")}
        tap = device.collected
        reader["action"] = new_action(CONFIRM, details)
        device.phase, device.tapped, device.collected = "processing", tap, None
        device.screen = {**collecting_screen(sim, reader, device, CONFIRM_MESSAGE), "state": "processing"}
        device.screen.update(can_cancel=False, card={"brand": tap.card.brand, "last4": tap.card.last4})
        if device.authorization_delay > 0:
            device.schedule(device.authorization_delay, lambda: finish_tap(sim, reader["id"], NO_ORIGIN))
        else:
            finish_tap(sim, reader["id"], NO_ORIGIN)

    return _command(sim, reader_id, start)


def _card_present_intent(sim: Simulator, params: JSON, statuses: tuple[str, ...], verb: str) -> JSON:
    intent = get(sim, "payment_intent", params["payment_intent"], param="payment_intent")
    if not {"card_present", "interac_present"} & set(intent["payment_method_types"]):
        raise invalid(
            "This PaymentIntent cannot be processed on a reader: its payment_method_types lack card_present.",
            code="payment_intent_invalid_parameter",
            param="payment_intent",
        )
    if intent["status"] not in statuses:
        raise invalid(
            f"This PaymentIntent has a status of {intent['status']}; a reader can only {verb} a "
            f"PaymentIntent whose status is {' or '.join(statuses)}.",
            code="intent_invalid_state",
            param="payment_intent",
        )
    return intent


def refund_payment(sim: Simulator, reader_id: str, params: JSON) -> JSON:
    def start(reader: JSON, device: Device) -> None:
        if in_progress(reader):
            raise reader_busy()
        charge = refundable_charge(sim, params.get("payment_intent"), params.get("charge"))
        if charge["payment_method_details"]["type"] not in IN_PERSON_REFUNDS:
            # Stripe: "In-person refunds are only available on Interac" (docs, Refund transactions).
            raise invalid(
                f"Charge {charge['id']} was not paid with interac_present: in-person refunds are only available "
                "for Interac payments. Refund it with /v1/refunds instead.",
                code="charge_not_refundable",
                param="payment_intent" if params.get("payment_intent") else "charge",
            )
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
        _release_collected(sim, reader, device)
        cart = {"tax": None, **cart}
        reader["action"] = new_action("set_reader_display", {"type": params["type"], "cart": cart}, "succeeded")
        device.phase, device.tapped, device.cart = "idle", None, cart
        device.tip_choices, device.tip = None, None
        device.screen = {**idle_screen(), "state": "display", "message": "Your order", "cart": cart}
        device.screen.update(amount=cart["total"], currency=cart["currency"])

    return _command(sim, reader_id, show)


def cancel_action(sim: Simulator, reader_id: str) -> JSON:
    """Cancel the action in progress (action becomes null, no webhook); refused while authorizing.
    A card collected and not confirmed is given back: the intent returns to requires_payment_method."""

    def cancel(reader: JSON, device: Device) -> None:
        if not in_progress(reader):
            if _release_collected(sim, reader, device):
                device.screen = result_screen("canceled", "Canceled", reader, sim)
                reader["action"] = None
            elif (reader.get("action") or {}).get("type") == "set_reader_display":
                # Clears the cart from the screen (Stripe: cancel_action resets the reader display).
                reader["action"], device.cart = None, None
                device.screen = idle_screen()
            return
        if device.phase == "processing" and not device.disconnected:
            raise reader_busy()
        device.cancel_timer()
        device.screen = result_screen("canceled", "Canceled", reader, sim)
        reader["action"] = None
        device.phase, device.tapped, device.disconnected = "idle", None, False
        device.tip_choices, device.tip = None, None
        touch(sim, reader)

    return _command(sim, reader_id, cancel)


def _release_collected(sim: Simulator, reader: JSON, device: Device) -> bool:
    """Forget a card collected and not confirmed; its intent needs a payment method again."""
    intent_id = holding_collected(sim, reader)
    device.collected = None
    if intent_id is None:
        return False
    intent = sim.table("payment_intent")[intent_id]
    intent.update(status="requires_payment_method", payment_method=None)
    return True


def intent_canceled(sim: Simulator, intent_id: str, origin: Origin) -> None:
    """A PaymentIntent canceled over the API ends every reader action still collecting it."""
    for reader in sim.table(READER).values():
        if action_intent(reader) == intent_id and not in_progress(reader):
            device_of(sim, reader).collected = None  # a collected card of a canceled intent is forgotten
        if collecting_intent(reader) != intent_id:
            continue
        device = device_of(sim, reader)
        if device.disconnected or device.unplugged_at is not None:
            continue  # a silent reader reports nothing (an unplugged one learns it when plugged back in)
        fail_canceled_intent(sim, reader, device, origin)


def _command(sim: Simulator, reader_id: str, command: Command) -> JSON:
    reader = get(sim, READER, reader_id)
    device = device_of(sim, reader)
    touch(sim, reader)  # settles the status of an unplugged reader first
    if reader["status"] == "offline":
        raise reader_offline()
    if device.unplugged_at is not None:
        # Stripe still shows it online but gets no answer from it: nothing is carried out.
        raise reader_timeout()
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


def _start(
    sim: Simulator, reader: JSON, device: Device, action: JSON, message: str, tip_choices: list[JSON] | None = None
) -> None:
    reader["action"] = action
    device.phase, device.tapped = "collecting", None
    device.tip_choices, device.tip = tip_choices, None
    device.screen = collecting_screen(sim, reader, device, message)
    if tip_choices:
        device.screen = tip_screen(device.screen, tip_choices)
    if device.auto_tap_seconds is not None:
        reader_id = reader["id"]
        device.schedule(device.auto_tap_seconds, lambda: auto_tap(sim, reader_id))


# For the other reader actions (kiosk/simulator/reader_inputs.py): the same checks and start.
run_command = _command
start_action = _start
