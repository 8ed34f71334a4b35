"""The virtual reader: a page per simulated reader showing its screen, for a person to play the customer.

``GET /_sim/readers`` lists the readers; ``GET /_sim/readers/{id}`` shows one device. Its screen is
a fragment that polls itself every second; the buttons post to ``/_sim/readers/{id}/ui/...``,
which call the same reader functions as the control API (``terminal.py``) and answer a notice.
The router also serves ``/static`` and htmx, so the page works in the simulator app on its own;
it renders with its own Jinja environment for the same reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Response, Router, get, post
from litestar.datastructures import CacheControlHeader, State
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.static_files import create_static_files_router

from kiosk.config import HTMX_DIST_DIR, STATIC_DIR, TEMPLATES_DIR
from kiosk.money.amounts import format_money
from kiosk.simulator import reader_inputs, terminal
from kiosk.simulator.core import Simulator
from kiosk.simulator.errors import StripeError
from kiosk.simulator.readers import touch

JSON = dict[str, Any]
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

AUTO_TAP_CHOICES: list[int | None] = [None, 1, 3, 5, 10, 30]
UNPLUGGED = "The reader is unplugged: plug it back in first."


def money(amount: int, currency: str | None) -> str:
    """Minor units as the device shows them: ``1234, "usd"`` -> ``$12.34``."""
    return format_money(amount, (currency or "").lower())


_env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]))
_env.filters["money"] = money


def _html(template: str, headers: dict[str, str] | None = None, **context: Any) -> Response[str]:
    return Response(_env.get_template(template).render(**context), media_type=MediaType.HTML, headers=headers)


def _reader(sim: Simulator, reader_id: str) -> JSON:
    reader = sim.table("terminal.reader").get(reader_id)
    if reader is None:
        raise NotFoundException(f"No such reader: {reader_id}")
    return reader


def _screen(state: State, reader_id: str) -> Response[str]:
    sim: Simulator = state.sim
    _reader(sim, reader_id)
    return _html("simulator/_screen.html", screen=terminal.screen(sim, reader_id), reader_id=reader_id)


@get("/_sim/readers", sync_to_thread=False)
def reader_list(state: State) -> Response[str]:
    sim: Simulator = state.sim
    readers = sorted(sim.table("terminal.reader").values(), key=lambda r: (r.get("label") or "", r["id"]))
    for reader in readers:
        touch(sim, reader)  # an unplugged reader turns offline once its 2 minutes have passed
    return _html("simulator/readers.html", readers=readers)


@get("/_sim/readers/{reader_id:str}", sync_to_thread=False)
def reader_detail(state: State, reader_id: FromPath[str]) -> Response[str]:
    sim: Simulator = state.sim
    reader = _reader(sim, reader_id)
    touch(sim, reader)
    return _html(
        "simulator/reader.html",
        reader=reader,
        reader_id=reader_id,
        screen=terminal.screen(sim, reader_id),
        cards=terminal.TEST_CARDS,
        auto_tap=terminal.device_status(sim, reader_id)["auto_tap_seconds"],
        auto_tap_choices=AUTO_TAP_CHOICES,
    )


@get("/_sim/readers/{reader_id:str}/ui/screen", sync_to_thread=False)
def reader_screen(state: State, reader_id: FromPath[str]) -> Response[str]:
    return _screen(state, reader_id)


def _act(state: State, reader_id: str, done: str, action: Any, *args: Any) -> Response[str]:
    """Run a reader function; a refusal (nothing to pay, offline...) is shown, not raised."""
    sim: Simulator = state.sim
    _reader(sim, reader_id)
    try:
        action(sim, reader_id, *args)
    except StripeError as error:
        device = sim.devices.get(reader_id)
        unplugged = device is not None and device.unplugged_at is not None
        return _html("simulator/_notice.html", error=UNPLUGGED if unplugged else error.message)
    # Let the screen refresh at once instead of at its next poll.
    return _html("simulator/_notice.html", headers={"HX-Trigger": "sim-refresh"}, message=done)


@post("/_sim/readers/{reader_id:str}/ui/present", sync_to_thread=False, status_code=200)
def present(state: State, reader_id: FromPath[str], data: Form) -> Response[str]:
    number = data.get("card_number") or "4242424242424242"
    return _act(state, reader_id, f"Card •••• {number[-4:]} presented.", terminal.present_payment_method, number)


@post("/_sim/readers/{reader_id:str}/ui/tip", sync_to_thread=False, status_code=200)
def tip(state: State, reader_id: FromPath[str], data: Form) -> Response[str]:
    raw = data.get("amount") or "0"
    amount = int(raw) if raw.isdigit() else -1
    done = "The customer chose no tip." if amount == 0 else "The customer chose a tip."
    return _act(state, reader_id, done, terminal.choose_tip, amount)


@post("/_sim/readers/{reader_id:str}/ui/inputs", sync_to_thread=False, status_code=200)
def submit_inputs(state: State, reader_id: FromPath[str], data: Form) -> Response[str]:
    """The customer answers a collect_inputs screen (field `value-N` for the Nth input)."""
    values = {int(key[6:]): str(value) for key, value in data.items() if key.startswith("value-") and key[6:].isdigit()}
    return _act(state, reader_id, "Answer sent.", reader_inputs.succeed_inputs, values)


@post("/_sim/readers/{reader_id:str}/ui/cancel", sync_to_thread=False, status_code=200)
def customer_cancel(state: State, reader_id: FromPath[str]) -> Response[str]:
    return _act(state, reader_id, "The customer pressed cancel.", terminal.customer_cancel)


@post("/_sim/readers/{reader_id:str}/ui/unplug", sync_to_thread=False, status_code=200)
def unplug(state: State, reader_id: FromPath[str]) -> Response[str]:
    after = _duration(state.sim.reader_offline_after)
    done = (
        f"Reader unplugged. Stripe still shows it online for {after} (no signal since now); "
        "commands sent to it meanwhile time out, then Stripe calls it offline."
    )
    return _act(state, reader_id, done, terminal.unplug)


@post("/_sim/readers/{reader_id:str}/ui/offline", sync_to_thread=False, status_code=200)
def go_offline(state: State, reader_id: FromPath[str]) -> Response[str]:
    return _act(state, reader_id, "Reader offline now: Stripe shows it offline at once.", terminal.go_offline_now)


@post("/_sim/readers/{reader_id:str}/ui/replug", sync_to_thread=False, status_code=200)
def replug(state: State, reader_id: FromPath[str]) -> Response[str]:
    return _act(state, reader_id, "Reader plugged back in: it is online.", terminal.plug_in)


def _duration(seconds: float) -> str:
    """``120.0`` -> "2 minutes", ``0.5`` -> "0.5 s" (the unplugged reader's grace, as the notice says it)."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} s"


@post("/_sim/readers/{reader_id:str}/ui/auto_tap", sync_to_thread=False, status_code=200)
def auto_tap(state: State, reader_id: FromPath[str], data: Form) -> Response[str]:
    raw = data.get("seconds") or ""
    seconds = float(raw) if raw.replace(".", "", 1).isdigit() else None
    done = f"A Visa card will be tapped {seconds:g} s after each payment starts." if seconds else "Auto-tap is off."
    return _act(state, reader_id, done, terminal.set_auto_tap, seconds)


_assets = [
    create_static_files_router(path="/static", directories=[STATIC_DIR], name="sim-static"),
    create_static_files_router(
        path="/static/vendor/htmx",
        directories=[HTMX_DIST_DIR],
        cache_control=CacheControlHeader(max_age=86400),
        name="sim-htmx",
    ),
]

router = Router(
    path="/",
    route_handlers=[
        reader_list,
        reader_detail,
        reader_screen,
        present,
        tip,
        submit_inputs,
        customer_cancel,
        unplug,
        go_offline,
        replug,
        auto_tap,
        *_assets,
    ],
    include_in_schema=False,
)
