"""Payments on the simulator through the real SDK: taps, declines, capture, cancel, minimums."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.integration.simulator.sim_flows import error_of, event_types, new_intent, new_reader, pay, start, tap
from tests.simulator_support import DEFAULT_KEY

TWO_DAYS = 2 * 24 * 3600


@pytest.fixture
def client(simulator: Any) -> stripe.StripeClient:
    return simulator.client()


@pytest.fixture
def reader(client: stripe.StripeClient) -> str:
    return new_reader(client)


def test_a_visa_tap_pays_the_intent_and_the_charge_carries_the_receipt(
    client: stripe.StripeClient, reader: str
) -> None:
    intent = new_intent(client, 1234)
    started = start(client, reader, intent.id)
    assert started.action is not None and started.action.status == "in_progress"
    assert started.action.process_payment_intent.payment_intent == intent.id

    done = tap(client, reader)

    assert done.action is not None and done.action.status == "succeeded"
    paid = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert paid.status == "succeeded" and paid.amount_received == 1234 and paid.last_payment_error is None
    charge = paid.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.captured and charge.amount_captured == 1234 and charge.payment_intent == intent.id
    details = charge.payment_method_details.card_present
    assert (details.brand, details.last4, details.read_method) == ("visa", "4242", "contactless_emv")
    assert details.capture_before is None and details.reader == reader
    assert details.receipt.authorization_code and details.receipt.application_preferred_name == "Visa Credit"
    assert details.receipt.dedicated_file_name and details.receipt.application_cryptogram
    types = event_types(client)
    for expected in ("payment_intent.created", "charge.succeeded", "payment_intent.succeeded"):
        assert expected in types
    assert types[-1] == "terminal.reader.action_succeeded"


def test_without_expand_latest_charge_is_an_id(client: stripe.StripeClient, reader: str) -> None:
    intent = pay(client, reader)
    assert isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")


@pytest.mark.parametrize(
    ("number", "brand"),
    [("5555555555554444", "mastercard"), ("378282246310005", "amex"), ("6011111111111117", "discover")],
)
def test_other_test_cards_approve_with_their_brand(
    client: stripe.StripeClient, reader: str, number: str, brand: str
) -> None:
    intent = new_intent(client)
    start(client, reader, intent.id)
    tap(client, reader, number)
    charge = client.v1.charges.retrieve(str(client.v1.payment_intents.retrieve(intent.id).latest_charge))
    assert (charge.payment_method_details.card_present.brand, charge.status) == (brand, "succeeded")
    assert charge.payment_method_details.card_present.last4 == number[-4:]


def test_manual_capture_holds_the_money_for_two_days_then_captures(client: stripe.StripeClient, reader: str) -> None:
    intent = pay(client, reader, 2500, capture="manual")
    assert intent.status == "requires_capture" and intent.amount_capturable == 2500
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert not charge.captured
    assert charge.payment_method_details.card_present.capture_before == charge.created + TWO_DAYS
    assert "payment_intent.amount_capturable_updated" in event_types(client)

    captured = client.v1.payment_intents.capture(intent.id)

    assert captured.status == "succeeded" and captured.amount_received == 2500 and captured.amount_capturable == 0
    assert client.v1.charges.retrieve(charge.id).captured


def test_a_partial_capture_releases_the_rest(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    intent = pay(client, reader, 1000, capture="manual")
    captured = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 600})
    assert captured.amount_received == 600
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert (charge.amount_captured, charge.amount_refunded) == (600, 400)
    entry = simulator.control("GET", "/_sim/ledger")["intents"][intent.id]
    assert (entry["authorized"], entry["captured"], entry["canceled"]) == (1000, 600, 400)


def test_capture_is_refused_unless_the_intent_awaits_capture(client: stripe.StripeClient, reader: str) -> None:
    paid = pay(client, reader)
    fresh = new_intent(client, capture="manual")
    for intent_id, status in ((paid.id, "succeeded"), (fresh.id, "requires_payment_method")):
        error = error_of(lambda i=intent_id: client.v1.payment_intents.capture(i))
        assert isinstance(error, stripe.InvalidRequestError) and error.code == "payment_intent_unexpected_state"
        assert f"it has a status of {status}" in str(error.user_message)
        # Stripe's error carries the PaymentIntent as it stands.
        assert error.error is not None and error.error.payment_intent is not None
        assert (error.error.payment_intent.id, error.error.payment_intent.status) == (intent_id, status)


def test_an_unknown_currency_is_refused_naming_the_currency(client: stripe.StripeClient) -> None:
    error = error_of(lambda: new_intent(client, 1000, "xyz"))
    assert isinstance(error, stripe.InvalidRequestError) and error.http_status == 400
    assert str(error.user_message).startswith("Invalid currency: xyz. Stripe currently supports these currencies: usd,")
    assert getattr(error, "param", None) == "currency"
    assert client.v1.payment_intents.list().data == []


def test_intent_and_charge_show_stripes_null_fields(simulator: Any, client: stripe.StripeClient, reader: str) -> None:
    intent = pay(client, reader)
    headers = {"Authorization": f"Bearer {DEFAULT_KEY}"}
    raw_intent = httpx.get(f"{simulator.url}/v1/payment_intents/{intent.id}", headers=headers, trust_env=False).json()
    assert (raw_intent["managed_payments"], raw_intent["payment_record"]) == (None, None)
    assert "managed_payments" in raw_intent and "payment_record" in raw_intent
    charge_url = f"{simulator.url}/v1/charges/{intent.latest_charge}"
    raw_charge = httpx.get(charge_url, headers=headers, trust_env=False).json()
    assert "source" in raw_charge and raw_charge["source"] is None


def test_capturing_more_than_authorized_is_refused(client: stripe.StripeClient, reader: str) -> None:
    intent = pay(client, reader, 1000, capture="manual")
    error = error_of(lambda: client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1001}))
    assert (error.code, getattr(error, "param", None)) == ("amount_too_large", "amount_to_capture")
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"


def test_an_authorization_older_than_two_days_cannot_be_captured(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = pay(client, reader, capture="manual")
    real_clock = simulator.sim.clock
    simulator.sim.clock = lambda: real_clock() + TWO_DAYS + 60
    error = error_of(lambda: client.v1.payment_intents.capture(intent.id))
    assert error.code == "charge_expired_for_capture"


DECLINE_CARDS = [
    ("4000000000000002", "card_declined", "generic_decline"),
    ("4000000000009995", "card_declined", "insufficient_funds"),
    ("4000000000009987", "card_declined", "lost_card"),
    ("4000000000009979", "card_declined", "stolen_card"),
    ("4000000000000069", "expired_card", "expired_card"),
    ("4000000000000119", "processing_error", "processing_error"),
]


@pytest.mark.parametrize(("number", "code", "decline_code"), DECLINE_CARDS)
def test_a_decline_card_fails_the_action_and_the_same_intent_can_be_retried(
    client: stripe.StripeClient, reader: str, number: str, code: str, decline_code: str
) -> None:
    intent = new_intent(client)
    start(client, reader, intent.id)
    declined = tap(client, reader, number)

    action = declined.action
    assert action is not None and action.status == "failed" and action.failure_code == code
    assert action.failure_message and action.api_error is not None
    assert (action.api_error.type, action.api_error.code, action.api_error.decline_code) == (
        "card_error",
        code,
        decline_code,
    )
    after = client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error is not None and after.last_payment_error.decline_code == decline_code
    assert client.v1.charges.retrieve(str(after.latest_charge)).status == "failed"
    assert {"payment_intent.payment_failed", "terminal.reader.action_failed"} <= set(event_types(client))

    start(client, reader, intent.id)
    tap(client, reader)
    retried = client.v1.payment_intents.retrieve(intent.id)
    assert retried.status == "succeeded" and retried.last_payment_error is None


@pytest.mark.parametrize(
    ("cents", "decline_code"),
    [
        (1, "call_issuer"),
        (3, "online_or_offline_pin_required"),
        (5, "generic_decline"),
        (55, "incorrect_pin"),
        (65, "withdrawal_count_limit_exceeded"),
        (75, "pin_try_exceeded"),
    ],
)
def test_amount_endings_decline_an_approving_card(
    client: stripe.StripeClient, reader: str, cents: int, decline_code: str
) -> None:
    intent = new_intent(client, 2000 + cents)
    start(client, reader, intent.id)
    declined = tap(client, reader)
    assert declined.action is not None and declined.action.failure_code == "card_declined"
    assert declined.action.api_error is not None and declined.action.api_error.decline_code == decline_code
    last_error = client.v1.payment_intents.retrieve(intent.id).last_payment_error
    assert last_error is not None and last_error.decline_code == decline_code


@pytest.mark.parametrize(
    ("currency", "minimum"), [("usd", 50), ("eur", 50), ("gbp", 30), ("jpy", 50), ("huf", 17500), ("mxn", 1000)]
)
def test_amounts_below_the_currency_minimum_are_refused(
    client: stripe.StripeClient, currency: str, minimum: int
) -> None:
    error = error_of(lambda: new_intent(client, minimum - 1, currency))
    assert isinstance(error, stripe.InvalidRequestError)
    assert (error.code, error.param) == ("amount_too_small", "amount")
    assert new_intent(client, minimum, currency).amount == minimum


def test_cancel_of_a_succeeded_intent_is_refused(client: stripe.StripeClient, reader: str) -> None:
    intent = pay(client, reader)
    error = error_of(lambda: client.v1.payment_intents.cancel(intent.id))
    assert error.code == "intent_invalid_state"
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_cancel_of_an_authorized_intent_releases_the_hold(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    intent = pay(client, reader, 1500, capture="manual")
    canceled = client.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason, canceled.amount_capturable) == ("canceled", "abandoned", 0)
    assert client.v1.charges.retrieve(str(intent.latest_charge)).refunded
    assert simulator.control("GET", "/_sim/ledger")["intents"][intent.id]["canceled"] == 1500
    assert "payment_intent.canceled" in event_types(client)


def test_intents_update_and_list_with_pagination(client: stripe.StripeClient) -> None:
    ids = [new_intent(client, 1000 + i).id for i in range(3)]
    updated = client.v1.payment_intents.update(ids[0], params={"amount": 1500, "metadata": {"receipt": "R-1"}})
    assert (updated.amount, updated.metadata["receipt"]) == (1500, "R-1")

    first = client.v1.payment_intents.list(params={"limit": 2})
    assert [i.id for i in first.data] == [ids[2], ids[1]] and first.has_more
    rest = client.v1.payment_intents.list(params={"limit": 2, "starting_after": ids[1]})
    assert [i.id for i in rest.data] == [ids[0]] and not rest.has_more


def test_the_amount_of_a_paid_intent_cannot_change(client: stripe.StripeClient, reader: str) -> None:
    intent = pay(client, reader)
    error = error_of(lambda: client.v1.payment_intents.update(intent.id, params={"amount": 5000}))
    assert error.code == "payment_intent_unexpected_state"


def test_an_unknown_intent_is_resource_missing(client: stripe.StripeClient) -> None:
    error = error_of(lambda: client.v1.payment_intents.retrieve("pi_nope"))
    assert isinstance(error, stripe.InvalidRequestError) and error.http_status == 404
    assert error.code == "resource_missing"


def test_customers_can_be_created_found_changed_and_deleted(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"name": "Ada", "email": "ada@example.com"})
    assert customer.id.startswith("cus_")
    client.v1.customers.update(customer.id, params={"phone": "+15555550100", "metadata": {"tier": "gold"}})
    found = client.v1.customers.list(params={"email": "ada@example.com"}).data
    assert [c.id for c in found] == [customer.id] and found[0].metadata["tier"] == "gold"
    assert client.v1.customers.delete(customer.id).deleted
    assert error_of(lambda: client.v1.customers.retrieve(customer.id)).code == "resource_missing"


def test_account_and_balance_answer_a_key_check(client: stripe.StripeClient, reader: str) -> None:
    account = client.v1.accounts.retrieve_current()
    assert account.id.startswith("acct_") and account.charges_enabled
    pay(client, reader, 1000)
    pending = client.v1.balance.retrieve().pending
    assert [(p.amount, p.currency) for p in pending] == [(1000, "usd")]


def test_payment_method_types_on_the_pinned_version_names_its_removal(client: stripe.StripeClient) -> None:
    params: Any = {"amount": 1000, "currency": "usd", "payment_method_types": ["card_present"]}
    error = error_of(lambda: client.v1.payment_intents.create(params=params))
    assert isinstance(error, stripe.InvalidRequestError) and error.http_status == 400
    assert (error.code, getattr(error, "param", None)) == (
        "payment_method_types_no_longer_supported",
        "payment_method_types",
    )
    assert client.v1.payment_intents.list().data == []
    intent = new_intent(client)
    update: Any = {"payment_method_types": ["card_present"]}
    error = error_of(lambda: client.v1.payment_intents.update(intent.id, params=update))
    assert error.code == "payment_method_types_no_longer_supported"
