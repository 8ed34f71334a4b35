"""Control API for readers (``/_sim/readers/...``) and the ledger (``/_sim/ledger``).

Loopback-only test controls: JSON in and out, no auth. Each fault switch answers the device's status
(reader, screen, switches); refusals come back as Stripe's error body with its status code.
``/_sim/settings`` holds the account's reader settings (how long an unplugged reader shows online).
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.exceptions import ClientException
from litestar.params import FromPath, JSONBody

from kiosk.simulator import ledger, terminal, tipping
from kiosk.simulator.core import Simulator
from kiosk.simulator.errors import StripeError

JSON = dict[str, Any]
Body = JSONBody[JSON | None]  # optional: a fault switch without options needs no body


def _number(data: JSON | None, name: str, default: Any, nullable: bool = False) -> Any:
    value = (data or {}).get(name, default)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClientException(f"{name} must be a number{' or null' if nullable else ''}")
    return value


def _flag(data: JSON | None, name: str, default: bool) -> bool:
    value = (data or {}).get(name, default)
    if not isinstance(value, bool):
        raise ClientException(f"{name} must be true or false")
    return value


@post("/readers/{reader_id:str}/unplug", sync_to_thread=False, status_code=200)
def unplug(state: State, reader_id: FromPath[str]) -> JSON:
    """Power or network lost: online for Stripe until ``reader_offline_after`` (2 min), but silent."""
    terminal.unplug(state.sim, reader_id)
    return terminal.device_status(state.sim, reader_id)


@post("/readers/{reader_id:str}/offline", sync_to_thread=False, status_code=200)
def offline(state: State, reader_id: FromPath[str]) -> JSON:
    """The instant fault: offline for Stripe at once, without the 2 minutes of an unplugged reader."""
    terminal.go_offline_now(state.sim, reader_id)
    return terminal.device_status(state.sim, reader_id)


@post("/readers/{reader_id:str}/online", sync_to_thread=False, status_code=200)
def online(state: State, reader_id: FromPath[str]) -> JSON:
    """Plugged back in (after ``/unplug`` or ``/offline``): online at once."""
    terminal.plug_in(state.sim, reader_id)
    return terminal.device_status(state.sim, reader_id)


@get("/settings", sync_to_thread=False)
def settings(state: State) -> JSON:
    return _settings(state.sim)


@post("/settings", sync_to_thread=False, status_code=200)
def change_settings(state: State, data: Body = None) -> JSON:
    """{"reader_offline_after": seconds}: how long an unplugged reader shows online (Stripe: 120;
    tests shorten it, 0 = at once). A reset of the account brings back Stripe's 2 minutes."""
    seconds = _number(data, "reader_offline_after", state.sim.reader_offline_after)
    if seconds < 0:
        raise ClientException("reader_offline_after must be zero or positive")
    state.sim.reader_offline_after = float(seconds)
    return _settings(state.sim)


def _settings(sim: Simulator) -> JSON:
    return {"reader_offline_after": sim.reader_offline_after}


@post("/readers/{reader_id:str}/busy", sync_to_thread=False, status_code=200)
def busy(state: State, reader_id: FromPath[str]) -> JSON:
    """Another integration's action occupies the reader until ``/idle``."""
    return terminal.set_busy(state.sim, reader_id, True)


@post("/readers/{reader_id:str}/idle", sync_to_thread=False, status_code=200)
def idle(state: State, reader_id: FromPath[str]) -> JSON:
    return terminal.set_busy(state.sim, reader_id, False)


@post("/readers/{reader_id:str}/timeout", sync_to_thread=False, status_code=200)
def timeout(state: State, reader_id: FromPath[str], data: Body = None) -> JSON:
    """{"applied": bool, "count": N}: the next N commands time out; applied = carried out anyway."""
    count = _number(data, "count", 1)
    return terminal.add_timeouts(state.sim, reader_id, _flag(data, "applied", False), int(count))


@post("/readers/{reader_id:str}/disconnect", sync_to_thread=False, status_code=200)
def disconnect(state: State, reader_id: FromPath[str], data: Body = None) -> JSON:
    """{"authorized": bool}: the reader drops mid-action (after authorizing the payment when true)."""
    return terminal.disconnect(state.sim, reader_id, _flag(data, "authorized", False))


@post("/readers/{reader_id:str}/customer_cancel", sync_to_thread=False, status_code=200)
def customer_cancel(state: State, reader_id: FromPath[str]) -> JSON:
    return terminal.customer_cancel(state.sim, reader_id)


@post("/readers/{reader_id:str}/present", sync_to_thread=False, status_code=200)
def present(state: State, reader_id: FromPath[str], data: Body = None) -> JSON:
    """{"card_number": "4242...", "type": "card_present", "amount_tip": N}: the customer taps a card."""
    body = data or {}
    tip = _number(body, "amount_tip", None, nullable=True)
    return terminal.present_payment_method(
        state.sim,
        reader_id,
        card_number=body.get("card_number"),
        type=str(body.get("type", "card_present")),
        amount_tip=None if tip is None else int(tip),
    )


@post("/readers/{reader_id:str}/tip", sync_to_thread=False, status_code=200)
def tip(state: State, reader_id: FromPath[str], data: Body = None) -> JSON:
    """{"amount": N}: the customer picks the suggested tip of N minor units (0: "No tip")."""
    terminal.choose_tip(state.sim, reader_id, int(_number(data, "amount", 0)))
    return terminal.device_status(state.sim, reader_id)


@post("/account/terminal_configuration", sync_to_thread=False, status_code=200)
def account_configuration(state: State, data: Body = None) -> JSON:
    """{"tipping": {...}}: what an admin sets in Stripe's Dashboard as the account's default Terminal
    configuration (readers of a location without an override use it); the API cannot set it."""
    return tipping.set_account_default(state.sim, (data or {}).get("tipping"))


@post("/readers/{reader_id:str}/auto_tap", sync_to_thread=False, status_code=200)
def auto_tap(state: State, reader_id: FromPath[str], data: Body = None) -> JSON:
    """{"seconds": N|null}: tap the default Visa N seconds after each action starts; null turns it off."""
    return terminal.set_auto_tap(state.sim, reader_id, _number(data, "seconds", None, nullable=True))


@post("/readers/{reader_id:str}/authorization_delay", sync_to_thread=False, status_code=200)
def authorization_delay(state: State, reader_id: FromPath[str], data: Body = None) -> JSON:
    """{"seconds": X}: how long a tap stays "processing" (cancel_action answers busy meanwhile)."""
    return terminal.set_authorization_delay(state.sim, reader_id, float(_number(data, "seconds", 0)))


@get("/readers/{reader_id:str}/screen", sync_to_thread=False)
def screen(state: State, reader_id: FromPath[str]) -> JSON:
    return terminal.screen(state.sim, reader_id)


@get("/readers/{reader_id:str}/device", sync_to_thread=False)
def device(state: State, reader_id: FromPath[str]) -> JSON:
    return terminal.device_status(state.sim, reader_id)


@get("/ledger", sync_to_thread=False)
def ledger_summary(state: State) -> JSON:
    """Money movements per PaymentIntent (authorized, captured, refunded, canceled) and their charges."""
    sim: Simulator = state.sim
    return ledger.summary(sim)


def _stripe_error(_: Request[Any, Any, Any], error: Exception) -> Response[JSON]:
    assert isinstance(error, StripeError)
    return Response(error.body(), status_code=error.status, media_type=MediaType.JSON)


router = Router(
    path="/_sim",
    route_handlers=[
        unplug,
        offline,
        online,
        settings,
        change_settings,
        busy,
        idle,
        timeout,
        disconnect,
        customer_cancel,
        present,
        tip,
        account_configuration,
        auto_tap,
        authorization_delay,
        screen,
        device,
        ledger_summary,
    ],
    exception_handlers={StripeError: _stripe_error},
    include_in_schema=False,
)
