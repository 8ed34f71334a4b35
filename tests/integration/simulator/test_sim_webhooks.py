"""Webhooks of the simulator, through the real SDK over real HTTP, delivered to a real receiver."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from kiosk.simulator.webhooks import EventBus, RetryPolicy
from tests.integration.simulator.sim_flows import wait_for
from tests.webhook_receiver import Delivery, Receiver, webhook_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


@pytest.fixture
def client(simulator: Any) -> stripe.StripeClient:
    # Retries after a failure come quickly here; the backoff shape is the same as the default's.
    bus = simulator.sim.events
    assert isinstance(bus, EventBus)
    bus.policy = RetryPolicy(max_attempts=3, first_delay=0.1, max_delay=0.2, timeout=1.0)
    return simulator.client()


def register(client: stripe.StripeClient, url: str, events: list[str] | None = None) -> str:
    """Register an endpoint and return its signing secret (shown only now)."""
    created = client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": events or ["*"]})
    return str(created.secret)


def new_customer(client: stripe.StripeClient, name: str) -> str:
    return client.v1.customers.create(params={"name": name}).id


def customer_ids(deliveries: list[Delivery], secret: str) -> list[str]:
    return [d.event(secret).data.object["id"] for d in deliveries]


def deliveries_log(simulator: Any, **query: str) -> list[dict[str, Any]]:
    rows = httpx.get(f"{simulator.url}/_sim/webhooks/deliveries", params=query).json()["deliveries"]
    return list(rows)


def set_fault(simulator: Any, mode: str, count: int = 1, **extra: Any) -> None:
    simulator.control("POST", "/_sim/webhooks/faults", json={"mode": mode, "count": count, **extra})


def test_secret_is_shown_only_when_the_endpoint_is_created(client: stripe.StripeClient) -> None:
    created = client.v1.webhook_endpoints.create(
        params={"url": "https://example.com/hook", "enabled_events": ["payment_intent.succeeded"]}
    )
    assert created.secret.startswith("whsec_")
    assert created.status == "enabled" and created.enabled_events == ["payment_intent.succeeded"]
    assert "secret" not in client.v1.webhook_endpoints.retrieve(created.id)
    listed = client.v1.webhook_endpoints.list()
    assert [e.id for e in listed.data] == [created.id]
    assert all("secret" not in e for e in listed.data)
    updated = client.v1.webhook_endpoints.update(created.id, params={"disabled": True})
    assert updated.status == "disabled" and "secret" not in updated
    assert client.v1.webhook_endpoints.delete(created.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.webhook_endpoints.retrieve(created.id)
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


def test_endpoint_needs_url_and_enabled_events(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.webhook_endpoints.create(params={"url": "https://example.com/hook"})
    assert error.value.code == "parameter_missing"


def test_payment_events_arrive_signed(client: stripe.StripeClient, receiver: Receiver) -> None:
    secret = register(client, receiver.url)
    location = client.v1.terminal.locations.create(
        params={
            "display_name": "Shop",
            "address": {"line1": "1 Main St", "city": "Springfield", "country": "US", "postal_code": "12345"},
        }
    )
    reader = client.v1.terminal.readers.create(params={"registration_code": "simulated-wpe", "location": location.id})
    intent = client.v1.payment_intents.create(
        params={"amount": 1250, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
    )
    client.v1.terminal.readers.process_payment_intent(reader.id, params={"payment_intent": intent.id})
    client.v1.test_helpers.terminal.readers.present_payment_method(reader.id)

    succeeded = receiver.wait_for_type(secret, "terminal.reader.action_succeeded")
    assert succeeded.data.object["id"] == reader.id
    assert succeeded.data.object["action"]["process_payment_intent"]["payment_intent"] == intent.id
    assert succeeded.api_version == stripe.api_version and succeeded.livemode is False
    paid = receiver.wait_for_type(secret, "payment_intent.succeeded")
    assert paid.data.object["id"] == intent.id and paid.data.object["amount_received"] == 1250
    # The same event is readable over the API, and a forged signature does not verify.
    assert client.v1.events.retrieve(paid.id).type == "payment_intent.succeeded"
    with pytest.raises(stripe.SignatureVerificationError):
        receiver.deliveries[0].event("whsec_not_the_secret")


def test_only_enabled_events_are_delivered(client: stripe.StripeClient, receiver: Receiver) -> None:
    with webhook_receiver() as other:
        register(client, other.url, ["charge.succeeded"])
        secret = register(client, receiver.url, ["customer.created"])
        customer = new_customer(client, "Ada")
        receiver.wait_for(lambda seen: len(seen) == 1)
        assert customer_ids(receiver.deliveries, secret) == [customer]
    assert other.deliveries == []


def test_delivery_is_retried_after_server_errors(
    simulator: Any, client: stripe.StripeClient, receiver: Receiver
) -> None:
    receiver.responses.extend([500, 503])
    secret = register(client, receiver.url, ["customer.created"])
    customer = new_customer(client, "Ada")
    seen = receiver.wait_for(lambda seen: any(d.status == 200 for d in seen))
    assert [d.status for d in seen] == [500, 503, 200]
    assert customer_ids(seen, secret) == [customer] * 3
    assert [(row["attempt"], row["status"]) for row in deliveries_log(simulator)] == [(1, 500), (2, 503), (3, 200)]
    event = client.v1.events.retrieve(seen[0].event_id())
    assert event.pending_webhooks == 0


def test_unreachable_endpoint_is_retried_then_given_up(simulator: Any, client: stripe.StripeClient) -> None:
    with webhook_receiver() as gone:
        url = gone.url
    register(client, url, ["customer.created"])  # nothing listens there any more
    new_customer(client, "Ada")
    wait_for(lambda: len(deliveries_log(simulator)) >= 3)
    time.sleep(0.5)  # longer than the capped backoff: a 4th attempt would have happened by now
    rows = deliveries_log(simulator)
    assert [r["attempt"] for r in rows] == [1, 2, 3]
    assert all(r["status"] is None and r["error"] for r in rows)
    assert client.v1.events.retrieve(rows[0]["event_id"]).pending_webhooks == 1


def test_drop_fault_loses_the_next_event_only(simulator: Any, client: stripe.StripeClient, receiver: Receiver) -> None:
    secret = register(client, receiver.url, ["customer.created"])
    set_fault(simulator, "drop")
    lost, kept = new_customer(client, "Lost"), new_customer(client, "Kept")
    receiver.wait_for(lambda seen: len(seen) == 1)
    assert customer_ids(receiver.deliveries, secret) == [kept]
    dropped = [r for r in deliveries_log(simulator) if r["outcome"] == "dropped"]
    assert len(dropped) == 1
    # Stripe still lists the event: only its delivery was lost.
    assert client.v1.events.retrieve(dropped[0]["event_id"]).data.object["id"] == lost


def test_delay_fault_holds_the_event_back(simulator: Any, client: stripe.StripeClient, receiver: Receiver) -> None:
    secret = register(client, receiver.url, ["customer.created"])
    set_fault(simulator, "delay", delay_seconds=0.8)
    started = time.monotonic()
    late, prompt = new_customer(client, "Late"), new_customer(client, "Prompt")
    receiver.wait_for(lambda seen: len(seen) == 2)
    assert customer_ids(receiver.deliveries, secret) == [prompt, late]
    assert time.monotonic() - started >= 0.75


def test_flush_delivers_a_delayed_event_now(simulator: Any, client: stripe.StripeClient, receiver: Receiver) -> None:
    secret = register(client, receiver.url, ["customer.created"])
    set_fault(simulator, "delay", delay_seconds=600)
    customer = new_customer(client, "Late")
    simulator.control("POST", "/_sim/webhooks/flush")
    receiver.wait_for(lambda seen: len(seen) == 1, timeout=5)
    assert customer_ids(receiver.deliveries, secret) == [customer]


def test_duplicate_fault_delivers_the_same_event_twice(
    simulator: Any, client: stripe.StripeClient, receiver: Receiver
) -> None:
    secret = register(client, receiver.url, ["customer.created"])
    set_fault(simulator, "duplicate")
    customer = new_customer(client, "Twice")
    receiver.wait_for(lambda seen: len(seen) == 2)
    first, second = (d.event(secret) for d in receiver.deliveries)
    assert first.id == second.id and first.data.object["id"] == customer


def test_reorder_fault_delivers_held_events_in_reverse(
    simulator: Any, client: stripe.StripeClient, receiver: Receiver
) -> None:
    secret = register(client, receiver.url, ["customer.created"])
    set_fault(simulator, "reorder", count=3)
    created = [new_customer(client, name) for name in ("A", "B", "C")]
    receiver.wait_for(lambda seen: len(seen) == 3)
    assert customer_ids(receiver.deliveries, secret) == created[::-1]


def test_flush_releases_events_held_for_reordering(
    simulator: Any, client: stripe.StripeClient, receiver: Receiver
) -> None:
    secret = register(client, receiver.url, ["customer.created"])
    set_fault(simulator, "reorder", count=5)
    created = [new_customer(client, name) for name in ("A", "B")]
    assert receiver.deliveries == []
    simulator.control("POST", "/_sim/webhooks/flush")
    receiver.wait_for(lambda seen: len(seen) == 2)
    assert customer_ids(receiver.deliveries, secret) == created[::-1]


def test_bad_signature_fault_mis_signs_the_next_event(
    simulator: Any, client: stripe.StripeClient, receiver: Receiver
) -> None:
    secret = register(client, receiver.url, ["customer.created"])
    set_fault(simulator, "bad_signature")
    forged_id = new_customer(client, "Forged")
    genuine = new_customer(client, "Genuine")
    receiver.wait_for(lambda seen: len(seen) == 2)
    # Delivered in parallel, as Stripe does: the two may arrive in either order.
    forged, good = sorted(receiver.deliveries, key=lambda d: json.loads(d.body)["data"]["object"]["id"] != forged_id)
    with pytest.raises(stripe.SignatureVerificationError):
        forged.event(secret)
    assert good.event(secret).data.object["id"] == genuine


def test_unknown_fault_mode_is_refused(simulator: Any) -> None:
    answer = httpx.post(f"{simulator.url}/_sim/webhooks/faults", json={"mode": "explode"})
    assert answer.status_code == 400 and "drop" in answer.text


def test_events_list_filters_and_pages(client: stripe.StripeClient) -> None:
    customers = [new_customer(client, name) for name in ("A", "B", "C")]
    client.v1.payment_intents.create(
        params={"amount": 500, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
    )

    created = client.v1.events.list(params={"type": "customer.created"})
    assert [e.data.object["id"] for e in created.data] == customers[::-1]  # newest first
    assert [e.type for e in client.v1.events.list(params={"types": ["payment_intent.created"]}).data] == [
        "payment_intent.created"
    ]
    assert len(client.v1.events.list(params={"type": "customer.*"}).data) == 3
    page = client.v1.events.list(params={"type": "customer.created", "limit": 2})
    assert page.has_more and len(page.data) == 2
    rest = client.v1.events.list(params={"type": "customer.created", "starting_after": page.data[-1].id})
    assert [e.data.object["id"] for e in rest.data] == customers[:1] and not rest.has_more
    assert client.v1.events.list(params={"created": {"gt": int(time.time()) + 3600}}).data == []
    one = client.v1.events.retrieve(created.data[0].id)
    assert one.object == "event" and one.request.id and one.data.object["id"] == customers[-1]
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.events.retrieve("evt_missing")
    assert missing.value.http_status == 404
