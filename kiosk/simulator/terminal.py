"""The simulated reader as a device: what the customer does to it and what its screen shows.

The virtual reader page (reader_page.py), the control API (control_readers.py) and the test helper
``present_payment_method`` all go through these functions. The API commands a POS sends (process,
display, refund, cancel) are in reader_commands.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.simulator import intents
from kiosk.simulator.cards import DEFAULT_CARD, INTERAC_CARD, TEST_CARDS, read_card
from kiosk.simulator.device import Device, Tap
from kiosk.simulator.errors import StripeError, invalid
from kiosk.simulator.objects import NO_ORIGIN, Origin, get, snapshot
from kiosk.simulator.readers import (
    COLLECT,
    CONFIRM,
    READER,
    collecting_intent,
    collecting_screen,
    device_of,
    fail,
    fail_canceled_intent,
    finish_tap,
    in_progress,
    reader_busy,
    reader_offline,
    reader_timeout,
    result_screen,
    touch,
)

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

__all__ = [
    "TEST_CARDS",
    "add_timeouts",
    "choose_tip",
    "customer_cancel",
    "device_status",
    "disconnect",
    "go_offline_now",
    "plug_in",
    "present_payment_method",
    "screen",
    "set_authorization_delay",
    "set_auto_tap",
    "set_busy",
    "unplug",
]

JSON = dict[str, Any]
CUSTOMER_CANCELED = "This action was canceled by the customer on the reader."
PM_TYPES = ("card_present", "interac_present")


def present_payment_method(
    sim: Simulator,
    reader_id: str,
    card_number: str | None = DEFAULT_CARD,
    type: str = "card_present",  # Stripe's parameter name
    amount_tip: int | None = None,
    origin: Origin = NO_ORIGIN,
) -> JSON:
    """The customer taps ``card_number`` on the reader; answers the Reader (the test helper's answer).

    With an authorization delay the reader shows "processing" and the result comes later;
    otherwise the action has succeeded or failed when this returns.
    """
    reader = _reachable(sim, reader_id)
    device = device_of(sim, reader)
    if device.phase == "processing":
        raise reader_busy()
    if not in_progress(reader) or device.phase != "collecting":
        raise invalid("This reader has no in-progress action waiting for a payment method.")
    if type not in PM_TYPES:
        raise invalid(f"The simulated reader only presents {' or '.join(PM_TYPES)} payment methods.", param="type")
    if amount_tip is not None and amount_tip < 0:
        raise invalid("amount_tip must be zero or a positive integer.", param="amount_tip")
    number = card_number or (INTERAC_CARD if type == "interac_present" else DEFAULT_CARD)
    card = read_card(number, param=f"{type}[number]")
    pm_type = "interac_present" if card.brand == "interac" and _accepts_interac(sim, reader) else "card_present"
    device.cancel_timer()
    # The test helper's amount_tip stands for the tip chosen on the reader; else what the customer
    # chose on the tip screen (a card presented while it is still up: no tip).
    tip = amount_tip if amount_tip is not None else device.tip
    device.tip_choices = None
    device.tapped = Tap(card, tip or None, pm_type)
    # Collecting a card authorizes nothing: the tap's result is known at once.
    if device.authorization_delay > 0 and reader["action"]["type"] != COLLECT:
        device.phase = "processing"
        device.screen = {**collecting_screen(sim, reader, device, "Processing…"), "state": "processing"}
        device.screen.update(can_cancel=False, card={"brand": card.brand, "last4": card.last4})
        device.schedule(device.authorization_delay, lambda: finish_tap(sim, reader_id, NO_ORIGIN))
    else:
        finish_tap(sim, reader_id, origin)
    return snapshot(reader)


def choose_tip(sim: Simulator, reader_id: str, amount: int) -> JSON:
    """The customer picks a suggested tip (or 0, "No tip") on the tip screen; the reader then asks
    for the card for the amount with the tip."""
    reader = _reachable(sim, reader_id)
    device = device_of(sim, reader)
    if not in_progress(reader) or device.phase != "collecting" or not device.tip_choices:
        raise invalid("This reader is not showing a tip screen.")
    if amount != 0 and amount not in {choice["amount"] for choice in device.tip_choices}:
        raise invalid("Choose one of the tips the reader suggests, or no tip.", param="amount")
    device.tip, device.tip_choices = amount, None
    screen = collecting_screen(sim, reader, device, "Tap, insert or swipe")
    device.screen = {**screen, "amount": screen["amount"] + amount, "tip": amount}
    return snapshot(reader)


def customer_cancel(sim: Simulator, reader_id: str, origin: Origin = NO_ORIGIN) -> JSON:
    """The customer presses cancel: honoured only while collecting and when the action enables it."""
    reader = _reachable(sim, reader_id)
    device = device_of(sim, reader)
    if not in_progress(reader) or device.phase != "collecting":
        raise invalid("There is nothing the customer can cancel on this reader right now.")
    action = reader["action"]
    details = action[action["type"]]
    config = details.get("process_config") or details.get("collect_config") or details.get("refund_payment_config")
    if not (config or {}).get("enable_customer_cancellation"):
        raise invalid("Customer cancellation is not enabled for this action (enable_customer_cancellation).")
    screen = result_screen("canceled", "Canceled", reader, sim)
    fail(sim, reader, device, origin, ("customer_canceled", CUSTOMER_CANCELED, None), screen)
    return snapshot(reader)


def unplug(sim: Simulator, reader_id: str) -> JSON:
    """The reader loses power or network now. Stripe hears nothing more from it (``last_seen_at``
    stops) but shows it ``online`` until ``sim.reader_offline_after`` seconds (2 minutes) pass
    without a signal; commands sent meanwhile answer ``terminal_reader_timeout``, then
    ``terminal_reader_offline``. An action waiting for a card stays ``in_progress`` with no webhook;
    one authorizing loses its result: ``connection_error``."""
    reader = get(sim, READER, reader_id)
    device = device_of(sim, reader)
    if device.unplugged_at is None:
        touch(sim, reader)  # its last signal
        device.unplugged_at = sim.clock()
    _lose_connection(sim, reader_id, device)
    return snapshot(reader)


def go_offline_now(sim: Simulator, reader_id: str) -> JSON:
    """The instant fault: Stripe shows the reader offline at once (``terminal_reader_offline``),
    without the 2 minutes an unplugged reader stays online."""
    reader = get(sim, READER, reader_id)
    reader["status"] = "offline"
    _lose_connection(sim, reader_id, device_of(sim, reader))
    return snapshot(reader)


def plug_in(sim: Simulator, reader_id: str) -> JSON:
    """Power and network back: online at once. An action still in progress goes on, unless its
    PaymentIntent was canceled meanwhile: the reader learns it now and the action fails."""
    reader = get(sim, READER, reader_id)
    device = device_of(sim, reader)
    reader["status"] = "online"
    device.disconnected = False
    device.unplugged_at = None
    touch(sim, reader)
    intent_id = collecting_intent(reader)
    if intent_id is not None and sim.table("payment_intent").get(intent_id, {}).get("status") == "canceled":
        fail_canceled_intent(sim, reader, device, NO_ORIGIN)
    return snapshot(reader)


def _lose_connection(sim: Simulator, reader_id: str, device: Device) -> None:
    """Unplugged while authorizing, the result is lost (``connection_error``); a pending auto-tap cannot happen."""
    device.cancel_timer()
    if device.phase == "processing":
        finish_tap(sim, reader_id, NO_ORIGIN, lost_connection=True)


def screen(sim: Simulator, reader_id: str) -> JSON:
    """What the device shows now; the last result stays visible until the next action."""
    reader = get(sim, READER, reader_id)
    device = device_of(sim, reader)
    touch(sim, reader)
    shown = snapshot(device.screen)
    if device.unplugged_at is not None:
        shown.update(state="unplugged", message="No power or network", can_cancel=False)
    elif reader["status"] == "offline" or device.disconnected:
        shown.update(state="offline", message="No connection", can_cancel=False)
    elif device.busy_elsewhere and device.phase == "idle":
        shown.update(state="collecting", message="In use by another register", can_cancel=False)
    return shown


def device_status(sim: Simulator, reader_id: str) -> JSON:
    """The reader, its screen and its fault switches, as the control API reports them."""
    reader = get(sim, READER, reader_id)
    device = device_of(sim, reader)
    touch(sim, reader)
    return {
        "reader": snapshot(reader),
        "screen": screen(sim, reader_id),
        "phase": device.phase,
        "disconnected": device.disconnected,
        "unplugged": device.unplugged_at is not None,
        "reader_offline_after": sim.reader_offline_after,
        "busy": device.busy_elsewhere,
        "pending_timeouts": list(device.timeouts),
        "auto_tap_seconds": device.auto_tap_seconds,
        "authorization_delay": device.authorization_delay,
        "collected": {"brand": device.collected.card.brand, "last4": device.collected.card.last4}
        if device.collected
        else None,
    }


def set_busy(sim: Simulator, reader_id: str, busy: bool) -> JSON:
    """Another integration's action occupies the reader: every command answers terminal_reader_busy."""
    device_of(sim, get(sim, READER, reader_id)).busy_elsewhere = busy
    return device_status(sim, reader_id)


def add_timeouts(sim: Simulator, reader_id: str, applied: bool, count: int = 1) -> JSON:
    """The next ``count`` commands answer terminal_reader_timeout; ``applied``: carried out all the same."""
    if count < 1:
        raise invalid("count must be at least 1.", param="count")
    device_of(sim, get(sim, READER, reader_id)).timeouts.extend([applied] * count)
    return device_status(sim, reader_id)


def disconnect(sim: Simulator, reader_id: str, authorized: bool = False) -> JSON:
    """The reader drops off mid-action: the action stays in_progress forever and no webhook comes.

    ``authorized``: the card was read and the payment authorized before the drop, so the
    PaymentIntent moves on (its own events are sent) while the reader never reports it. Collecting a
    card authorizes nothing: only process_payment_intent and confirm_payment_intent can be authorized.
    """
    reader = get(sim, READER, reader_id)
    device = device_of(sim, reader)
    device.cancel_timer()
    device.disconnected = True
    intent_id = collecting_intent(reader)
    if authorized and intent_id is not None and reader["action"]["type"] != COLLECT:
        intent = get(sim, "payment_intent", intent_id)
        confirming = reader["action"]["type"] == CONFIRM
        if intent["status"] == ("requires_confirmation" if confirming else "requires_payment_method"):
            tap = device.tapped or Tap(read_card(DEFAULT_CARD), None, "card_present")
            pm = sim.table("payment_method").get(intent["payment_method"]) if confirming else None
            intents.authorize(sim, intent, tap.card, tap.tip, tap.pm_type, reader, NO_ORIGIN, pm)
    device.tapped = None
    return device_status(sim, reader_id)


def set_auto_tap(sim: Simulator, reader_id: str, seconds: float | None) -> JSON:
    """Tap the default Visa ``seconds`` after each action starts (None: only by hand)."""
    if seconds is not None and seconds < 0:
        raise invalid("seconds must be zero or positive.", param="seconds")
    device_of(sim, get(sim, READER, reader_id)).auto_tap_seconds = seconds
    return device_status(sim, reader_id)


def set_authorization_delay(sim: Simulator, reader_id: str, seconds: float) -> JSON:
    """How long "processing" lasts after a tap (0: the tap's result is known when the tap returns)."""
    if seconds < 0:
        raise invalid("seconds must be zero or positive.", param="seconds")
    device_of(sim, get(sim, READER, reader_id)).authorization_delay = seconds
    return device_status(sim, reader_id)


def auto_tap(sim: Simulator, reader_id: str) -> None:
    """The auto-tap timer: present the default card unless the action ended or changed meanwhile."""
    reader = sim.table(READER).get(reader_id)
    if reader is not None:
        device_of(sim, reader).timer = None
    try:
        present_payment_method(sim, reader_id)
    except StripeError:
        return


def _reachable(sim: Simulator, reader_id: str) -> JSON:
    reader = get(sim, READER, reader_id)
    device = device_of(sim, reader)
    touch(sim, reader)
    if reader["status"] == "offline" or device.disconnected:
        raise reader_offline()
    if device.unplugged_at is not None:
        raise reader_timeout()
    if device.busy_elsewhere:
        raise reader_busy()
    return reader


def _accepts_interac(sim: Simulator, reader: JSON) -> bool:
    action = reader["action"]
    if action["type"] not in ("process_payment_intent", COLLECT):
        return False
    intent = sim.table("payment_intent")[action[action["type"]]["payment_intent"]]
    return "interac_present" in intent["payment_method_types"]
