"""Steps the simulator tests share: a location, a reader, an intent on it, a tap (all through the real SDK)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import stripe

T = TypeVar("T")
VISA = "4242424242424242"
ADDRESS = {"line1": "1 Market St", "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US"}


def new_location(client: stripe.StripeClient, name: str = "Main store") -> str:
    return client.v1.terminal.locations.create(params={"display_name": name, "address": ADDRESS}).id


def new_reader(
    client: stripe.StripeClient, location: str | None = None, code: str = "simulated-wpe", label: str = "Till 1"
) -> str:
    location = location or new_location(client)
    params: Any = {"registration_code": code, "label": label, "location": location}
    return client.v1.terminal.readers.create(params=params).id


def new_intent(
    client: stripe.StripeClient, amount: int = 1000, currency: str = "usd", capture: str = "automatic", **extra: Any
) -> stripe.PaymentIntent:
    params: Any = {
        "amount": amount,
        "currency": currency,
        "allowed_payment_method_types": ["card_present"],
        "capture_method": capture,
        **extra,
    }
    return client.v1.payment_intents.create(params=params)


def start(client: stripe.StripeClient, reader: str, intent: str, cancellation: bool = False) -> stripe.terminal.Reader:
    params: Any = {"payment_intent": intent, "process_config": {"enable_customer_cancellation": cancellation}}
    return client.v1.terminal.readers.process_payment_intent(reader, params=params)


def tap(client: stripe.StripeClient, reader: str, number: str = VISA, **extra: Any) -> stripe.terminal.Reader:
    params: Any = {"type": "card_present", "card_present": {"number": number}, **extra}
    return client.v1.test_helpers.terminal.readers.present_payment_method(reader, params=params)


def pay(
    client: stripe.StripeClient, reader: str, amount: int = 1000, capture: str = "automatic"
) -> stripe.PaymentIntent:
    """A whole approved payment on ``reader``; answers the intent afterwards."""
    intent = new_intent(client, amount, capture=capture)
    start(client, reader, intent.id)
    tap(client, reader)
    return client.v1.payment_intents.retrieve(intent.id)


def error_of(call: Callable[[], Any]) -> stripe.StripeError:
    """The SDK error ``call`` raises (fails the test when it succeeds)."""
    try:
        call()
    except stripe.StripeError as error:
        return error
    raise AssertionError("the call succeeded but an error was expected")


def wait_for(probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll ``probe`` until it answers something truthy, within a bounded deadline (generous: it
    returns as soon as the condition holds, and a machine busy with other work is slow)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def event_types(client: stripe.StripeClient) -> list[str]:
    """Every event type the account emitted so far, oldest first."""
    events = client.v1.events.list(params={"limit": 100})
    return [event.type for event in reversed(events.data)]


def control_answer(simulator: Any, method: str, path: str, json: Any = None) -> httpx.Response:
    """The control API's raw answer, for refusals (``simulator.control`` raises on them)."""
    return httpx.request(method, f"{simulator.url}{path}", json=json, trust_env=False)
