"""Reader faults of the simulator's control API, seen through the real SDK, and the ledger."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.integration.simulator.sim_flows import (
    control_answer,
    error_of,
    event_types,
    new_intent,
    new_reader,
    pay,
    start,
    tap,
    wait_for,
)


@pytest.fixture
def client(simulator: Any) -> stripe.StripeClient:
    return simulator.client()


@pytest.fixture
def reader(client: stripe.StripeClient) -> str:
    return new_reader(client)


def reader_events(client: stripe.StripeClient) -> list[str]:
    return [t for t in event_types(client) if t.startswith("terminal.reader.")]


def action_of(client: stripe.StripeClient, reader: str) -> Any:
    return client.v1.terminal.readers.retrieve(reader).action


def test_an_offline_reader_refuses_work_until_it_is_back(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = new_intent(client)
    simulator.control("POST", f"/_sim/readers/{reader}/offline")
    assert client.v1.terminal.readers.retrieve(reader).status == "offline"
    assert error_of(lambda: start(client, reader, intent.id)).code == "terminal_reader_offline"
    assert simulator.control("GET", f"/_sim/readers/{reader}/screen")["state"] == "offline"

    simulator.control("POST", f"/_sim/readers/{reader}/online")
    start(client, reader, intent.id)
    tap(client, reader)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_a_reader_busy_elsewhere_refuses_commands_until_idle(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = new_intent(client)
    simulator.control("POST", f"/_sim/readers/{reader}/busy")
    assert error_of(lambda: start(client, reader, intent.id)).code == "terminal_reader_busy"
    assert error_of(lambda: client.v1.terminal.readers.cancel_action(reader)).code == "terminal_reader_busy"
    simulator.control("POST", f"/_sim/readers/{reader}/idle")
    assert start(client, reader, intent.id).action is not None


def test_a_timeout_not_applied_leaves_the_reader_untouched(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = new_intent(client)
    simulator.control("POST", f"/_sim/readers/{reader}/timeout", json={"applied": False})
    error = error_of(lambda: start(client, reader, intent.id))
    assert error.code == "terminal_reader_timeout"
    assert action_of(client, reader) is None
    assert start(client, reader, intent.id).action is not None  # only the next command timed out


def test_a_timeout_applied_is_a_false_negative(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    intent = new_intent(client)
    simulator.control("POST", f"/_sim/readers/{reader}/timeout", json={"applied": True, "count": 1})
    assert error_of(lambda: start(client, reader, intent.id)).code == "terminal_reader_timeout"
    action = action_of(client, reader)
    assert action.status == "in_progress" and action.process_payment_intent.payment_intent == intent.id
    tap(client, reader)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_timeouts_can_cover_several_commands(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    intent = new_intent(client)
    simulator.control("POST", f"/_sim/readers/{reader}/timeout", json={"applied": False, "count": 2})
    for _ in range(2):
        assert error_of(lambda: start(client, reader, intent.id)).code == "terminal_reader_timeout"
    assert start(client, reader, intent.id).action is not None


def test_a_disconnected_reader_stays_in_progress_without_a_webhook(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = new_intent(client)
    start(client, reader, intent.id)
    simulator.control("POST", f"/_sim/readers/{reader}/disconnect")
    assert error_of(lambda: tap(client, reader)).code == "terminal_reader_offline"
    assert action_of(client, reader).status == "in_progress"
    assert reader_events(client) == []
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"

    assert client.v1.terminal.readers.cancel_action(reader).action is None
    start(client, reader, intent.id)
    tap(client, reader)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_a_reader_disconnecting_after_authorizing_never_reports_it(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = new_intent(client)
    start(client, reader, intent.id)
    simulator.control("POST", f"/_sim/readers/{reader}/disconnect", json={"authorized": True})
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert action_of(client, reader).status == "in_progress"
    assert reader_events(client) == [] and "payment_intent.succeeded" in event_types(client)


def test_during_authorization_cancel_action_is_busy(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    # Long enough for the three calls below to land while it still authorizes, on a busy machine too;
    # the test then waits for the authorization to end by itself, as it does on the reader.
    simulator.control("POST", f"/_sim/readers/{reader}/authorization_delay", json={"seconds": 10})
    intent = new_intent(client)
    start(client, reader, intent.id)
    tapped = tap(client, reader)
    assert tapped.action is not None and tapped.action.status == "in_progress"
    assert simulator.control("GET", f"/_sim/readers/{reader}/screen")["state"] == "processing"
    assert error_of(lambda: client.v1.terminal.readers.cancel_action(reader)).code == "terminal_reader_busy"

    wait_for(lambda: action_of(client, reader).status == "succeeded", timeout=60)  # the 10 s, and then some
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert reader_events(client) == ["terminal.reader.action_succeeded"]
    assert simulator.control("GET", f"/_sim/readers/{reader}/screen")["state"] == "approved"


def test_unplugged_during_authorization_the_action_fails_with_connection_error(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    simulator.control("POST", f"/_sim/readers/{reader}/authorization_delay", json={"seconds": 30})
    intent = new_intent(client)
    start(client, reader, intent.id)
    tap(client, reader)
    simulator.control("POST", f"/_sim/readers/{reader}/offline")
    action = action_of(client, reader)
    assert (action.status, action.failure_code) == ("failed", "connection_error")
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"  # re-read the intent: it was paid


def test_auto_tap_pays_without_a_hand(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    simulator.control("POST", f"/_sim/readers/{reader}/auto_tap", json={"seconds": 0.05})
    intent = new_intent(client)
    start(client, reader, intent.id)
    wait_for(lambda: client.v1.payment_intents.retrieve(intent.id).status == "succeeded")
    assert action_of(client, reader).status == "succeeded"

    simulator.control("POST", f"/_sim/readers/{reader}/auto_tap", json={"seconds": None})
    assert simulator.control("GET", f"/_sim/readers/{reader}/device")["auto_tap_seconds"] is None


def test_the_screen_follows_the_payment(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    def screen() -> dict[str, Any]:
        return dict(simulator.control("GET", f"/_sim/readers/{reader}/screen"))

    assert screen()["state"] == "idle"
    intent = new_intent(client, 1999)
    start(client, reader, intent.id, cancellation=True)
    collecting = screen()
    assert (collecting["state"], collecting["amount"], collecting["currency"], collecting["can_cancel"]) == (
        "collecting",
        1999,
        "usd",
        True,
    )
    simulator.control("POST", f"/_sim/readers/{reader}/present", json={"card_number": "4000000000009995"})
    declined = screen()
    assert declined["state"] == "declined" and declined["card"] == {"brand": "visa", "last4": "9995"}
    start(client, reader, intent.id)
    simulator.control("POST", f"/_sim/readers/{reader}/present", json={"card_number": "5555555555554444"})
    assert screen()["state"] == "approved" and screen()["card"]["last4"] == "4444"


def test_control_refusals_are_stripe_errors(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    missing = control_answer(simulator, "POST", "/_sim/readers/tmr_missing/offline")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
    idle_tap = control_answer(simulator, "POST", f"/_sim/readers/{reader}/present", json={})
    assert idle_tap.status_code == 400
    bad = control_answer(simulator, "POST", f"/_sim/readers/{reader}/timeout", json={"applied": "yes"})
    assert bad.status_code == 400


def test_the_ledger_shows_every_movement_once(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    automatic = pay(client, reader, 1000)
    held = pay(client, reader, 2000, capture="manual")
    client.v1.payment_intents.capture(held.id, params={"amount_to_capture": 1500})
    client.v1.refunds.create(params={"payment_intent": automatic.id, "amount": 250})
    released = pay(client, reader, 700, capture="manual")
    client.v1.payment_intents.cancel(released.id)
    declined = new_intent(client, 900)
    start(client, reader, declined.id)
    tap(client, reader, "4000000000000002")
    # A replayed tap (same idempotency key) must not move money twice.
    replayed = new_intent(client, 800)
    start(client, reader, replayed.id)
    for _ in range(2):
        client.v1.test_helpers.terminal.readers.present_payment_method(reader, options={"idempotency_key": "tap-1"})

    ledger = simulator.control("GET", "/_sim/ledger")
    rows = ledger["intents"]
    assert {k: rows[automatic.id][k] for k in ("authorized", "captured", "refunded", "canceled")} == {
        "authorized": 1000,
        "captured": 1000,
        "refunded": 250,
        "canceled": 0,
    }
    assert (rows[held.id]["captured"], rows[held.id]["canceled"]) == (1500, 500)
    assert (rows[released.id]["authorized"], rows[released.id]["canceled"]) == (700, 700)
    assert rows[declined.id]["authorized"] == 0 and [c["status"] for c in rows[declined.id]["charges"]] == ["failed"]
    assert rows[replayed.id]["captured"] == 800 and len(rows[replayed.id]["charges"]) == 1
    assert ledger["totals"]["usd"] == {"authorized": 4500, "captured": 3300, "refunded": 250, "canceled": 1200}
