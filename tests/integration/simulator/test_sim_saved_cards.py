"""Saved cards on the simulator through the real SDK: generated_card, off-session charges with
Stripe's saved-card test cards, a customer's PaymentMethods, detach, and customer search."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.integration.simulator.sim_flows import error_of, event_types, new_intent, new_reader, start, tap

DECLINED_AFTER_SAVE = "4000000000000341"
AUTHENTICATION_REQUIRED = "4000002760003184"


@pytest.fixture
def client(simulator: Any) -> stripe.StripeClient:
    return simulator.client()


def save_card(client: stripe.StripeClient, number: str = "4242424242424242") -> tuple[str, str]:
    """A card-present payment that saves the card: (customer id, generated card id)."""
    customer = client.v1.customers.create(params={"name": "Ada", "email": "ada@example.com"}).id
    reader = new_reader(client)
    intent = new_intent(client, 1000, customer=customer, setup_future_usage="off_session")
    start(client, reader, intent.id)
    tap(client, reader, number)
    paid = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert paid.status == "succeeded"
    charge = paid.latest_charge
    assert isinstance(charge, stripe.Charge)
    generated = charge.payment_method_details.card_present.generated_card
    assert isinstance(generated, str) and generated.startswith("pm_")
    return customer, generated


def charge_off_session(client: stripe.StripeClient, customer: str, pm: str, amount: int = 2500) -> stripe.PaymentIntent:
    params: Any = {
        "amount": amount,
        "currency": "usd",
        "allowed_payment_method_types": ["card"],
        "customer": customer,
        "payment_method": pm,
        "off_session": True,
        "confirm": True,
    }
    return client.v1.payment_intents.create(params=params)


def test_setup_future_usage_saves_the_tapped_card_as_a_generated_card(client: stripe.StripeClient) -> None:
    customer, generated = save_card(client)
    methods = client.v1.customers.payment_methods.list(customer).data
    assert [m.id for m in methods] == [generated]
    card = methods[0].card
    assert card is not None and (card.brand, card.last4) == ("visa", "4242") and card.exp_year > 2000
    assert "payment_method.attached" in event_types(client)


def test_a_payment_without_setup_future_usage_saves_nothing(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "bo@example.com"}).id
    reader = new_reader(client)
    intent = new_intent(client, 1000, customer=customer)
    start(client, reader, intent.id)
    tap(client, reader)
    assert client.v1.customers.payment_methods.list(customer).data == []


def test_an_off_session_charge_on_the_saved_card_succeeds_at_once(client: stripe.StripeClient) -> None:
    customer, pm = save_card(client)
    intent = charge_off_session(client, customer, pm)
    assert intent.status == "succeeded" and intent.amount_received == 2500 and intent.payment_method == pm
    types = event_types(client)
    assert types[-2:] == ["charge.succeeded", "payment_intent.succeeded"]


@pytest.mark.parametrize(
    ("number", "code", "decline_code"),
    [
        (DECLINED_AFTER_SAVE, "card_declined", "generic_decline"),
        (AUTHENTICATION_REQUIRED, "authentication_required", "authentication_required"),
    ],
)
def test_saved_card_test_cards_decline_off_session(
    client: stripe.StripeClient, number: str, code: str, decline_code: str
) -> None:
    customer, pm = save_card(client, number)
    error = error_of(lambda: charge_off_session(client, customer, pm))
    assert isinstance(error, stripe.CardError) and error.http_status == 402
    assert error.code == code and error.error is not None and error.error.decline_code == decline_code
    failed = error.error.payment_intent
    assert failed is not None and failed.status == "requires_payment_method"
    assert "payment_intent.payment_failed" in event_types(client)


def test_detach_forgets_the_card_and_twice_is_refused(client: stripe.StripeClient) -> None:
    customer, pm = save_card(client)
    detached = client.v1.payment_methods.detach(pm)
    assert detached.customer is None
    assert client.v1.customers.payment_methods.list(customer).data == []
    again = error_of(lambda: client.v1.payment_methods.detach(pm))
    assert again.http_status == 400 and again.code == "payment_method_unexpected_state"
    charged = error_of(lambda: charge_off_session(client, customer, pm))
    assert charged.http_status == 400 and charged.code == "payment_method_unexpected_state"
    assert "payment_method.detached" in event_types(client)


def test_off_session_needs_confirm_and_the_cards_customer(client: stripe.StripeClient) -> None:
    customer, pm = save_card(client)
    no_confirm: Any = {
        "amount": 500,
        "currency": "usd",
        "customer": customer,
        "payment_method": pm,
        "off_session": True,
    }
    assert error_of(lambda: client.v1.payment_intents.create(params=no_confirm)).param == "off_session"
    stranger = client.v1.customers.create(params={"email": "x@example.com"}).id
    assert error_of(lambda: charge_off_session(client, stranger, pm)).param == "customer"


def test_customers_update_and_search(client: stripe.StripeClient) -> None:
    ada = client.v1.customers.create(params={"name": "Ada Lovelace", "email": "ada@example.com"})
    client.v1.customers.create(params={"name": "Bob", "email": "bob@example.com"})
    client.v1.customers.update(ada.id, params={"phone": "+1 555 0100"})
    assert client.v1.customers.retrieve(ada.id).phone == "+1 555 0100"
    found = client.v1.customers.search(params={"query": "email:'ada@example.com'"}).data
    assert [c.id for c in found] == [ada.id]
    found = client.v1.customers.search(params={"query": "name~'Lovel' OR email:'bob@example.com'"}).data
    assert len(found) == 2
    bad = error_of(lambda: client.v1.customers.search(params={"query": "email:'a' AND name:'b' OR phone:'c'"}))
    assert bad.http_status == 400


def test_process_setup_intent_saves_a_card_without_a_payment(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "ada@example.com"}).id
    reader = new_reader(client)
    setup = client.v1.setup_intents.create(
        params={"customer": customer, "allowed_payment_method_types": ["card_present"]}
    )
    params: Any = {"setup_intent": setup.id, "allow_redisplay": "always"}
    started = client.v1.terminal.readers.process_setup_intent(reader, params=params)
    assert started.action is not None and started.action.type == "process_setup_intent"
    assert started.action.status == "in_progress"
    done = tap(client, reader, "5555555555554444")
    assert done.action is not None and done.action.status == "succeeded"
    generated = done.action.process_setup_intent.generated_card
    assert isinstance(generated, str) and generated.startswith("pm_")
    saved = client.v1.setup_intents.retrieve(setup.id)
    assert saved.status == "succeeded" and saved.latest_attempt
    card = client.v1.customers.payment_methods.list(customer).data[0]
    assert card.id == generated and card.card is not None and card.card.brand == "mastercard"
    assert client.v1.payment_intents.list().data == []  # nothing was charged
    types = event_types(client)
    assert "setup_intent.succeeded" in types and types[-1] == "terminal.reader.action_succeeded"
    again = error_of(lambda: client.v1.terminal.readers.process_setup_intent(reader, params=params))
    assert again.code == "setup_intent_unexpected_state"


def test_collect_inputs_asks_the_email_on_the_reader(client: stripe.StripeClient) -> None:
    reader = new_reader(client)
    params: Any = {
        "inputs": [{"type": "email", "custom_text": {"title": "Your email for the receipt"}, "required": True}]
    }
    started = client.v1.terminal.readers.collect_inputs(reader, params=params)
    assert started.action is not None and started.action.type == "collect_inputs"
    busy = error_of(lambda: client.v1.terminal.readers.collect_inputs(reader, params=params))
    assert busy.code == "terminal_reader_busy"
    done = client.v1.test_helpers.terminal.readers.succeed_input_collection(reader)
    assert done.action is not None and done.action.status == "succeeded"
    collected = done.action.collect_inputs.inputs[0]
    assert collected.type == "email" and collected.email is not None and collected.email.value == "customer@example.com"
    client.v1.terminal.readers.collect_inputs(reader, params=params)
    timed_out = client.v1.test_helpers.terminal.readers.timeout_input_collection(reader)
    assert timed_out.action is not None and timed_out.action.status == "failed"
    assert "terminal.reader.action_failed" in event_types(client)


def test_the_virtual_reader_shows_the_email_input_and_sends_what_the_customer_typed(
    simulator: Any, client: stripe.StripeClient
) -> None:
    reader = new_reader(client)
    params: Any = {"inputs": [{"type": "email", "custom_text": {"title": "Email for your receipt"}}]}
    client.v1.terminal.readers.collect_inputs(reader, params=params)
    screen = httpx.get(f"{simulator.url}/_sim/readers/{reader}/ui/screen", trust_env=False)
    assert 'data-state="inputs"' in screen.text and "Email for your receipt" in screen.text
    assert 'data-testid="reader-input-email"' in screen.text
    sent = httpx.post(
        f"{simulator.url}/_sim/readers/{reader}/ui/inputs", data={"value-0": "ada@example.com"}, trust_env=False
    )
    assert sent.status_code == 200 and "Answer sent." in sent.text
    done = client.v1.terminal.readers.retrieve(reader)
    assert done.action is not None and done.action.status == "succeeded"
    assert done.action.collect_inputs.inputs[0].email.value == "ada@example.com"  # type: ignore[union-attr]
    save = client.v1.setup_intents.create(params={"allowed_payment_method_types": ["card_present"]})
    setup: Any = {"setup_intent": save.id, "allow_redisplay": "always"}
    client.v1.terminal.readers.process_setup_intent(reader, params=setup)
    collecting = httpx.get(f"{simulator.url}/_sim/readers/{reader}/ui/screen", trust_env=False)
    assert "Tap, insert or swipe to save your card" in collecting.text
