"""An unplugged reader as Stripe sees it, through the real SDK: online for 2 minutes without a signal
(``last_seen_at`` stops), commands meanwhile answer ``terminal_reader_timeout``, then offline and
``terminal_reader_offline``; an action left on it stays in progress with no webhook; plugged back
in, online at once. The 2 minutes run on the simulator's clock, which these tests move by hand."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from tests.integration.simulator.sim_flows import (
    control_answer,
    error_of,
    event_types,
    new_intent,
    new_location,
    new_reader,
    start,
    tap,
)

TWO_MINUTES = 120.0


class Clock:
    """The simulator's clock: real time plus a shift the test moves forward."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift

    def advance(self, seconds: float) -> None:
        self.shift += seconds


@pytest.fixture
def clock(simulator: Any, monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(simulator.sim, "clock", moved)
    return moved


@pytest.fixture
def client(simulator: Any) -> stripe.StripeClient:
    return simulator.client()


def reader_events(client: stripe.StripeClient) -> list[str]:
    return [t for t in event_types(client) if t.startswith("terminal.reader.")]


def test_an_unplugged_reader_shows_online_for_two_minutes_then_offline(
    client: stripe.StripeClient, simulator: Any, clock: Clock
) -> None:
    location = new_location(client)
    reader = new_reader(client, location)
    intent = new_intent(client)
    unplugged = simulator.control("POST", f"/_sim/readers/{reader}/unplug")
    assert unplugged["reader"]["status"] == "online" and unplugged["unplugged"] is True
    last_seen = unplugged["reader"]["last_seen_at"]

    clock.advance(TWO_MINUTES - 1)
    seen = client.v1.terminal.readers.retrieve(reader)
    assert seen.status == "online" and seen.last_seen_at == last_seen  # no signal since the unplug
    listed = client.v1.terminal.readers.list(params={"location": location, "status": "online"})
    assert [r.id for r in listed.data] == [reader]
    timeout = error_of(lambda: start(client, reader, intent.id))
    assert (timeout.http_status, timeout.code) == (400, "terminal_reader_timeout")
    assert timeout.error is not None and timeout.error.type == "invalid_request_error"
    assert client.v1.terminal.readers.retrieve(reader).action is None  # it was not carried out
    assert simulator.control("GET", f"/_sim/readers/{reader}/screen")["state"] == "unplugged"

    clock.advance(1)
    assert client.v1.terminal.readers.retrieve(reader).status == "offline"
    listed = client.v1.terminal.readers.list(params={"location": location, "status": "offline"})
    assert [r.id for r in listed.data] == [reader]
    offline = error_of(lambda: start(client, reader, intent.id))
    assert (offline.http_status, offline.code) == (400, "terminal_reader_offline")

    back = simulator.control("POST", f"/_sim/readers/{reader}/online")
    assert back["reader"]["status"] == "online" and back["reader"]["last_seen_at"] > last_seen
    start(client, reader, intent.id)
    tap(client, reader)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_an_action_left_on_an_unplugged_reader_stays_in_progress_without_a_webhook(
    client: stripe.StripeClient, simulator: Any, clock: Clock
) -> None:
    reader = new_reader(client)
    intent = new_intent(client)
    start(client, reader, intent.id)
    simulator.control("POST", f"/_sim/readers/{reader}/unplug")
    stop = error_of(lambda: client.v1.terminal.readers.cancel_action(reader))
    assert stop.code == "terminal_reader_timeout"
    tapped = error_of(lambda: tap(client, reader))  # the customer cannot pay on a dead reader
    assert tapped.code == "terminal_reader_timeout"

    clock.advance(TWO_MINUTES)
    seen = client.v1.terminal.readers.retrieve(reader)
    assert seen.status == "offline" and seen.action is not None and seen.action.status == "in_progress"
    assert reader_events(client) == []  # Stripe never times the action out by itself

    simulator.control("POST", f"/_sim/readers/{reader}/online")  # back: the payment goes on
    tap(client, reader)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert reader_events(client) == ["terminal.reader.action_succeeded"]


def test_a_payment_canceled_while_unplugged_fails_on_the_reader_once_it_is_back(
    client: stripe.StripeClient, simulator: Any, clock: Clock
) -> None:
    reader = new_reader(client)
    intent = new_intent(client)
    start(client, reader, intent.id)
    simulator.control("POST", f"/_sim/readers/{reader}/unplug")
    client.v1.payment_intents.cancel(intent.id)
    action = client.v1.terminal.readers.retrieve(reader).action
    assert action is not None and action.status == "in_progress"  # the silent reader is not told
    assert reader_events(client) == []

    simulator.control("POST", f"/_sim/readers/{reader}/online")
    action = client.v1.terminal.readers.retrieve(reader).action
    assert action is not None and (action.status, action.failure_code) == (
        "failed",
        "payment_intent_unexpected_state",
    )
    assert reader_events(client) == ["terminal.reader.action_failed"]
    again = new_intent(client)
    start(client, reader, again.id)  # free for the next payment
    tap(client, reader)
    assert client.v1.payment_intents.retrieve(again.id).status == "succeeded"


def test_unplugged_while_authorizing_loses_the_result_but_stays_online(
    client: stripe.StripeClient, simulator: Any, clock: Clock
) -> None:
    reader = new_reader(client)
    simulator.control("POST", f"/_sim/readers/{reader}/authorization_delay", json={"seconds": 30})
    intent = new_intent(client)
    start(client, reader, intent.id)
    tap(client, reader)
    simulator.control("POST", f"/_sim/readers/{reader}/unplug")
    seen = client.v1.terminal.readers.retrieve(reader)
    assert seen.status == "online"
    assert seen.action is not None and (seen.action.status, seen.action.failure_code) == ("failed", "connection_error")
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"  # re-read the intent: it was paid


def test_go_offline_now_skips_the_two_minutes(client: stripe.StripeClient, simulator: Any, clock: Clock) -> None:
    reader = new_reader(client)
    intent = new_intent(client)
    simulator.control("POST", f"/_sim/readers/{reader}/offline")
    assert client.v1.terminal.readers.retrieve(reader).status == "offline"
    assert error_of(lambda: start(client, reader, intent.id)).code == "terminal_reader_offline"
    simulator.control("POST", f"/_sim/readers/{reader}/online")
    assert client.v1.terminal.readers.retrieve(reader).status == "online"


def test_the_two_minutes_are_a_setting_of_the_account(client: stripe.StripeClient, simulator: Any) -> None:
    assert simulator.control("GET", "/_sim/settings") == {"reader_offline_after": TWO_MINUTES}
    reader = new_reader(client)
    simulator.control("POST", f"/_sim/readers/{reader}/unplug")
    assert client.v1.terminal.readers.retrieve(reader).status == "online"
    assert simulator.control("POST", "/_sim/settings", {"reader_offline_after": 0}) == {"reader_offline_after": 0}
    assert client.v1.terminal.readers.retrieve(reader).status == "offline"

    refused = control_answer(simulator, "POST", "/_sim/settings", json={"reader_offline_after": -1})
    assert refused.status_code == 400
    simulator.control("POST", "/_sim/reset")
    assert simulator.control("GET", "/_sim/settings") == {"reader_offline_after": TWO_MINUTES}


def test_the_virtual_reader_page_says_what_unplug_does(client: stripe.StripeClient, simulator: Any) -> None:
    reader = new_reader(client)
    start(client, reader, new_intent(client).id)
    page = f"/_sim/readers/{reader}"
    assert "Go offline now" in control_answer(simulator, "GET", page).text
    unplugged = control_answer(simulator, "POST", f"{page}/ui/unplug").text
    assert "Stripe still shows it online for 2 minutes" in unplugged
    assert "Unplugged" in control_answer(simulator, "GET", f"{page}/ui/screen").text
    refused = control_answer(simulator, "POST", f"{page}/ui/present", json=None).text
    assert "The reader is unplugged: plug it back in first." in refused
    offline = control_answer(simulator, "POST", f"{page}/ui/offline").text
    assert "Stripe shows it offline at once" in offline
    assert client.v1.terminal.readers.retrieve(reader).status == "offline"
