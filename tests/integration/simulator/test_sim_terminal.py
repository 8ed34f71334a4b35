"""Terminal locations and readers on the simulator through the real SDK: registration, lists, actions."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from tests.integration.simulator.sim_flows import (
    ADDRESS,
    control_answer,
    error_of,
    event_types,
    new_intent,
    new_location,
    new_reader,
    pay,
    start,
    tap,
)

CART: Any = {
    "currency": "usd",
    "line_items": [{"amount": 450, "description": "Coffee", "quantity": 2}],
    "tax": 100,
    "total": 1000,
}


@pytest.fixture
def client(simulator: Any) -> stripe.StripeClient:
    return simulator.client()


@pytest.fixture
def reader(client: stripe.StripeClient) -> str:
    return new_reader(client)


def test_locations_can_be_created_changed_listed_and_deleted(client: stripe.StripeClient) -> None:
    location = client.v1.terminal.locations.create(params={"display_name": "Shop", "address": ADDRESS})
    assert location.id.startswith("tml_") and location.address.city == "San Francisco"
    changed = client.v1.terminal.locations.update(
        location.id, params={"display_name": "Shop 2", "metadata": {"w": "1"}}
    )
    assert (changed.display_name, changed.metadata["w"], changed.address.country) == ("Shop 2", "1", "US")
    assert [loc.id for loc in client.v1.terminal.locations.list().data] == [location.id]
    assert client.v1.terminal.locations.delete(location.id).deleted
    assert error_of(lambda: client.v1.terminal.locations.retrieve(location.id)).code == "resource_missing"


def test_a_locations_phone_and_configuration_overrides_are_left_out_while_unset(client: stripe.StripeClient) -> None:
    location = client.v1.terminal.locations.create(params={"display_name": "Shop", "address": ADDRESS})
    assert "phone" not in location and "configuration_overrides" not in location
    phoned = client.v1.terminal.locations.update(location.id, params={"phone": "+1 415 555 0134"})
    assert phoned.phone == "+1 415 555 0134"
    assert client.v1.terminal.locations.retrieve(location.id).phone == "+1 415 555 0134"
    unset = client.v1.terminal.locations.update(location.id, params={"phone": ""})
    assert "phone" not in unset and "phone" not in client.v1.terminal.locations.retrieve(location.id)


def test_a_location_needs_a_name_and_an_address(client: stripe.StripeClient) -> None:
    error = error_of(lambda: client.v1.terminal.locations.create(params={"display_name": "No address"}))
    assert (error.code, getattr(error, "param", None)) == ("parameter_missing", "address")


def test_a_location_with_readers_is_not_deleted(client: stripe.StripeClient) -> None:
    location = new_location(client)
    new_reader(client, location)
    error_of(lambda: client.v1.terminal.locations.delete(location))
    assert client.v1.terminal.locations.retrieve(location).id == location


@pytest.mark.parametrize(
    ("code", "device_type"), [("simulated-wpe", "simulated_wisepos_e"), ("simulated-s700", "simulated_stripe_s700")]
)
def test_simulated_registration_codes_register_readers(
    client: stripe.StripeClient, code: str, device_type: str
) -> None:
    location = new_location(client)
    before_ms = int(time.time() * 1000) - 1000
    reader = client.v1.terminal.readers.create(
        params={"registration_code": code, "label": "Front till", "location": location}
    )
    assert reader.id.startswith("tmr_") and reader.device_type == device_type
    assert (reader.label, reader.location, reader.status, reader.action) == ("Front till", location, "online", None)
    assert reader.last_seen_at is not None and reader.last_seen_at >= before_ms  # milliseconds, not seconds
    assert reader.serial_number


def test_an_unknown_registration_code_is_refused(client: stripe.StripeClient) -> None:
    error = error_of(lambda: client.v1.terminal.readers.create(params={"registration_code": "purple-cat"}))
    assert isinstance(error, stripe.InvalidRequestError) and error.param == "registration_code"
    assert client.v1.terminal.readers.list().data == []


def test_readers_can_be_relabelled_and_deleted(client: stripe.StripeClient, reader: str) -> None:
    changed = client.v1.terminal.readers.update(reader, params={"label": "Till 9", "metadata": {"till": "9"}})
    assert (changed.label, changed.metadata["till"]) == ("Till 9", "9")
    assert client.v1.terminal.readers.delete(reader).deleted
    assert error_of(lambda: client.v1.terminal.readers.retrieve(reader)).code == "resource_missing"


def test_reader_lists_filter_by_location_status_and_device_type(client: stripe.StripeClient, simulator: Any) -> None:
    north, south = new_location(client, "North"), new_location(client, "South")
    wpe = new_reader(client, north, label="N1")
    s700 = new_reader(client, north, code="simulated-s700", label="N2")
    other = new_reader(client, south, label="S1")
    simulator.control("POST", f"/_sim/readers/{s700}/offline")

    def ids(**params: Any) -> set[str]:
        return {r.id for r in client.v1.terminal.readers.list(params=params).data}

    assert ids(location=north) == {wpe, s700}
    assert ids(location=north, status="online") == {wpe}
    assert ids(status="offline") == {s700}
    assert ids(device_type="simulated_wisepos_e") == {wpe, other}


def test_reader_lists_paginate_newest_first(client: stripe.StripeClient) -> None:
    location = new_location(client)
    readers = [new_reader(client, location, label=f"T{i}") for i in range(5)]
    page = client.v1.terminal.readers.list(params={"limit": 2})
    assert [r.id for r in page.data] == [readers[4], readers[3]] and page.has_more
    seen = [r.id for r in client.v1.terminal.readers.list(params={"limit": 2}).auto_paging_iter()]
    assert seen == list(reversed(readers))


def test_a_reader_runs_one_action_at_a_time(client: stripe.StripeClient, reader: str) -> None:
    first, second = new_intent(client), new_intent(client)
    start(client, reader, first.id)
    error = error_of(lambda: start(client, reader, second.id))
    assert isinstance(error, stripe.InvalidRequestError) and error.code == "terminal_reader_busy"
    assert client.v1.terminal.readers.retrieve(reader).action.process_payment_intent.payment_intent == first.id


def test_processing_an_intent_in_the_wrong_state_is_refused(client: stripe.StripeClient, reader: str) -> None:
    paid = pay(client, reader)
    error = error_of(lambda: start(client, reader, paid.id))
    assert error.code == "intent_invalid_state"
    canceled = client.v1.payment_intents.cancel(new_intent(client).id)
    assert error_of(lambda: start(client, reader, canceled.id)).code == "intent_invalid_state"


def test_an_intent_without_card_present_cannot_go_to_a_reader(client: stripe.StripeClient, reader: str) -> None:
    online_only = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    assert start_error(client, reader, online_only.id) == "payment_intent_invalid_parameter"


def start_error(client: stripe.StripeClient, reader: str, intent: str) -> str | None:
    return error_of(lambda: start(client, reader, intent)).code


def test_customer_cancel_is_honoured_only_when_enabled(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = new_intent(client)
    start(client, reader, intent.id, cancellation=False)
    refused = control_answer(simulator, "POST", f"/_sim/readers/{reader}/customer_cancel")
    assert refused.status_code == 400 and "not enabled" in refused.json()["error"]["message"]
    assert client.v1.terminal.readers.retrieve(reader).action.status == "in_progress"

    client.v1.terminal.readers.cancel_action(reader)
    start(client, reader, intent.id, cancellation=True)
    canceled = simulator.control("POST", f"/_sim/readers/{reader}/customer_cancel")
    assert canceled["action"]["status"] == "failed" and canceled["action"]["failure_code"] == "customer_canceled"
    assert canceled["action"]["api_error"] is None
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    assert event_types(client)[-1] == "terminal.reader.action_failed"


def test_cancel_action_while_collecting_clears_the_action(client: stripe.StripeClient, reader: str) -> None:
    intent = new_intent(client)
    start(client, reader, intent.id)
    canceled = client.v1.terminal.readers.cancel_action(reader)
    assert canceled.action is None
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    assert not any(t.startswith("terminal.reader.") for t in event_types(client))
    start(client, reader, intent.id)  # the reader is free again
    tap(client, reader)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_cancel_action_on_an_idle_reader_changes_nothing(client: stripe.StripeClient, reader: str) -> None:
    pay(client, reader)
    answered = client.v1.terminal.readers.cancel_action(reader)
    assert answered.action is not None and answered.action.status == "succeeded"


def test_set_reader_display_replaces_an_action_not_yet_started(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = new_intent(client)
    start(client, reader, intent.id)
    shown = client.v1.terminal.readers.set_reader_display(reader, params={"type": "cart", "cart": CART})
    assert shown.action is not None and shown.action.type == "set_reader_display"
    assert shown.action.set_reader_display.cart.total == 1000
    screen = simulator.control("GET", f"/_sim/readers/{reader}/screen")
    assert screen["state"] == "display" and screen["cart"]["line_items"][0]["description"] == "Coffee"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    start(client, reader, intent.id)  # a display does not occupy the reader


def test_canceling_the_intent_ends_the_action_collecting_it(client: stripe.StripeClient, reader: str) -> None:
    intent = new_intent(client)
    start(client, reader, intent.id)
    client.v1.payment_intents.cancel(intent.id)
    action = client.v1.terminal.readers.retrieve(reader).action
    assert action is not None and action.status == "failed"


def test_a_tip_on_the_reader_raises_the_amount(client: stripe.StripeClient, reader: str) -> None:
    intent = new_intent(client, 1000)
    start(client, reader, intent.id)
    tap(client, reader, amount_tip=150)
    paid = client.v1.payment_intents.retrieve(intent.id)
    assert (paid.amount, paid.amount_received, paid.amount_details.tip.amount) == (1150, 1150, 150)


def test_refunds_full_partial_and_over_refund(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    paid = pay(client, reader, 1000)
    charge = str(paid.latest_charge)
    first = client.v1.refunds.create(params={"charge": charge, "amount": 300, "reason": "requested_by_customer"})
    assert (first.amount, first.reason, first.payment_intent) == (300, "requested_by_customer", paid.id)
    over = error_of(lambda: client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 701}))
    assert (over.code, getattr(over, "param", None)) == ("amount_too_large", "amount")
    rest = client.v1.refunds.create(params={"payment_intent": paid.id})
    assert rest.amount == 700
    assert client.v1.charges.retrieve(charge).refunded
    assert error_of(lambda: client.v1.refunds.create(params={"charge": charge})).code == "charge_already_refunded"
    listed = client.v1.refunds.list(params={"payment_intent": paid.id}).data
    assert [r.id for r in listed] == [rest.id, first.id]
    assert simulator.control("GET", "/_sim/ledger")["intents"][paid.id]["refunded"] == 1000
    assert "charge.refunded" in event_types(client)


def test_an_authorization_is_not_refunded_but_canceled(client: stripe.StripeClient, reader: str) -> None:
    held = pay(client, reader, capture="manual")
    error = error_of(lambda: client.v1.refunds.create(params={"payment_intent": held.id}))
    assert error.code == "charge_not_refundable"
