"""The two-step reader flow on the simulator through the real SDK: collect_payment_method reads the
card without charging it; confirm_payment_intent authorizes it; cancel_action gives it back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.integration.simulator.sim_flows import control_answer, error_of, event_types, new_intent, new_reader, tap
from tests.simulator_support import DEFAULT_KEY

AMEX = "378282246310005"
DECLINED = "4000000000000002"


@pytest.fixture
def client(simulator: Any) -> stripe.StripeClient:
    return simulator.client()


@pytest.fixture
def reader(client: stripe.StripeClient) -> str:
    return new_reader(client)


def collect(client: stripe.StripeClient, reader: str, intent: str, cancellation: bool = False) -> Any:
    params: Any = {"payment_intent": intent, "collect_config": {"enable_customer_cancellation": cancellation}}
    return client.v1.terminal.readers.collect_payment_method(reader, params=params)


def confirm(client: stripe.StripeClient, reader: str, intent: str) -> Any:
    return client.v1.terminal.readers.confirm_payment_intent(reader, params={"payment_intent": intent})


def test_collect_reads_the_card_and_charges_nothing(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    intent = new_intent(client)
    started = collect(client, reader, intent.id)
    assert started.action.type == "collect_payment_method" and started.action.status == "in_progress"
    tapped = tap(client, reader, AMEX)
    action = tapped.action
    assert action.status == "succeeded"
    assert action.collect_payment_method.payment_method.card_present.brand == "amex"
    collected = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["payment_method"]})
    assert collected.status == "requires_confirmation" and collected.amount_received == 0
    assert collected.payment_method.card_present.last4 == "0005"
    assert client.v1.charges.list(params={"payment_intent": intent.id}).data == []
    assert event_types(client)[-1] == "terminal.reader.action_succeeded"
    screen = simulator.control("GET", f"/_sim/readers/{reader}/screen")
    assert screen["state"] == "collected" and screen["card"] == {"brand": "amex", "last4": "0005"}


def test_confirm_authorizes_the_collected_card(client: stripe.StripeClient, reader: str) -> None:
    intent = new_intent(client)
    collect(client, reader, intent.id)
    pm = tap(client, reader).action.collect_payment_method.payment_method.id
    confirmed = confirm(client, reader, intent.id)
    assert confirmed.action.type == "confirm_payment_intent" and confirmed.action.status == "succeeded"
    paid = client.v1.payment_intents.retrieve(intent.id)
    assert paid.status == "succeeded" and paid.amount_received == 1000 and paid.payment_method == pm
    assert event_types(client)[-2:] == ["payment_intent.succeeded", "terminal.reader.action_succeeded"]


def test_a_decline_comes_at_confirm_and_the_intent_takes_another_card(client: stripe.StripeClient, reader: str) -> None:
    intent = new_intent(client)
    collect(client, reader, intent.id)
    tap(client, reader, DECLINED)  # reading the card is not asking the issuer
    failed = confirm(client, reader, intent.id).action
    assert failed.status == "failed" and failed.failure_code == "card_declined"
    assert failed.api_error.decline_code == "generic_decline"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    collect(client, reader, intent.id)
    tap(client, reader)
    assert confirm(client, reader, intent.id).action.status == "succeeded"


def test_cancel_action_gives_the_collected_card_back(client: stripe.StripeClient, reader: str) -> None:
    intent = new_intent(client)
    collect(client, reader, intent.id)
    tap(client, reader, AMEX)
    assert client.v1.terminal.readers.cancel_action(reader).action is None
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    error = error_of(lambda: confirm(client, reader, intent.id))
    assert error.code == "intent_invalid_state"
    collect(client, reader, intent.id)  # try again with another card on the same intent
    tap(client, reader)
    assert confirm(client, reader, intent.id).action.status == "succeeded"


def test_a_collected_card_may_be_replaced_by_collecting_again(client: stripe.StripeClient, reader: str) -> None:
    intent = new_intent(client)
    collect(client, reader, intent.id)
    tap(client, reader, AMEX)
    collect(client, reader, intent.id)
    tap(client, reader)
    confirm(client, reader, intent.id)
    paid = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert paid.status == "succeeded" and paid.latest_charge.payment_method_details.card_present.brand == "visa"


def test_confirm_needs_a_card_collected_on_that_reader(client: stripe.StripeClient, reader: str) -> None:
    intent = new_intent(client)
    assert error_of(lambda: confirm(client, reader, intent.id)).code == "intent_invalid_state"
    collect(client, reader, intent.id)
    tap(client, reader)
    other = new_reader(client, label="Till 2")
    error = error_of(lambda: confirm(client, other, intent.id))
    assert "has not collected" in error.user_message
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_confirmation"


def test_collect_and_confirm_meet_the_readers_faults(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    intent = new_intent(client)
    simulator.control("POST", f"/_sim/readers/{reader}/busy")
    assert error_of(lambda: collect(client, reader, intent.id)).code == "terminal_reader_busy"
    simulator.control("POST", f"/_sim/readers/{reader}/idle")
    collect(client, reader, intent.id)
    assert error_of(lambda: collect(client, reader, new_intent(client).id)).code == "terminal_reader_busy"
    tap(client, reader)
    simulator.control("POST", f"/_sim/readers/{reader}/timeout", {"applied": True})
    assert error_of(lambda: confirm(client, reader, intent.id)).code == "terminal_reader_timeout"
    # A false negative: the reader confirmed all the same.
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_confirm_on_an_offline_reader_is_refused(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    intent = new_intent(client)
    collect(client, reader, intent.id)
    tap(client, reader)
    simulator.control("POST", f"/_sim/readers/{reader}/offline")
    assert error_of(lambda: confirm(client, reader, intent.id)).code == "terminal_reader_offline"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_confirmation"


def test_the_customer_may_cancel_while_the_card_is_collected(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = new_intent(client)
    collect(client, reader, intent.id, cancellation=True)
    canceled = simulator.control("POST", f"/_sim/readers/{reader}/customer_cancel")
    assert canceled["action"]["type"] == "collect_payment_method"
    assert canceled["action"]["failure_code"] == "customer_canceled"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_collect_params_are_checked_against_the_sdk(simulator: Any, reader: str) -> None:
    headers = {"Authorization": f"Bearer {DEFAULT_KEY}"}
    answer = httpx.post(
        f"{simulator.url}/v1/terminal/readers/{reader}/collect_payment_method",
        data={"payment_intent": "pi_x", "collect_config[no_such_thing]": "1"},
        headers=headers,
        trust_env=False,
    )
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "collect_config[no_such_thing]"
    missing = httpx.post(
        f"{simulator.url}/v1/terminal/readers/{reader}/confirm_payment_intent", headers=headers, trust_env=False
    )
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "parameter_missing"


def test_the_virtual_reader_shows_the_collected_card_and_offers_each_brand(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    page = httpx.get(f"{simulator.url}/_sim/readers/{reader}", trust_env=False).text
    for label in ("Visa", "Mastercard", "American Express", "Discover", "JCB", "Diners Club", "UnionPay", "Interac"):
        assert label in page
    intent = new_intent(client)
    collect(client, reader, intent.id)
    httpx.post(f"{simulator.url}/_sim/readers/{reader}/ui/present", data={"card_number": AMEX}, trust_env=False)
    screen = httpx.get(f"{simulator.url}/_sim/readers/{reader}/ui/screen", trust_env=False).text
    assert 'data-state="collected"' in screen and "Amex •••• 0005" in screen
    assert control_answer(simulator, "GET", f"/_sim/readers/{reader}/device").json()["collected"]["brand"] == "amex"
