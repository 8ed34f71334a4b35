"""Webhook delivery in parallel, as Stripe does it: a slow receiver holds up nothing but its own
answer, the deliveries in flight stay within their bounds, and the simulator stops without waiting
for a receiver that never answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stripe

from kiosk.simulator.webhooks import EventBus, RetryPolicy
from tests.integration.simulator.sim_flows import wait_for
from tests.simulator_support import RunningSimulator, running_simulator
from tests.webhook_receiver import Receiver, webhook_receiver

# Long enough that no attempt times out while a test holds its answer back.
PATIENT = RetryPolicy(max_attempts=3, first_delay=0.1, max_delay=0.2, timeout=20.0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r
        for gate in r.gates.values():  # a failed test must not leave the receiver's threads waiting
            gate.set()


def bus_of(simulator: RunningSimulator, policy: RetryPolicy = PATIENT) -> EventBus:
    bus = simulator.sim.events
    assert isinstance(bus, EventBus)
    bus.policy = policy
    return bus


def register(client: stripe.StripeClient, url: str) -> str:
    created = client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": ["customer.created"]})
    return str(created.secret)


def new_customer(client: stripe.StripeClient, name: str) -> str:
    return client.v1.customers.create(params={"name": name}).id


def wait_log(simulator: RunningSimulator, predicate: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The delivery log once ``predicate`` holds for it."""

    def matching() -> list[dict[str, Any]] | None:
        rows: list[dict[str, Any]] = httpx.get(f"{simulator.url}/_sim/webhooks/deliveries").json()["deliveries"]
        return rows if predicate(rows) else None

    return wait_for(matching)


def delivered(rows: list[dict[str, Any]], event_id: str) -> bool:
    return any(r["event_id"] == event_id and r["outcome"] == "delivered" for r in rows)


def test_a_slow_answer_does_not_hold_up_the_next_event(simulator: RunningSimulator, receiver: Receiver) -> None:
    bus_of(simulator)
    client = simulator.client()
    secret = register(client, receiver.url)
    receiver.gates['"Slow"'] = gate = threading.Event()
    slow = new_customer(client, "Slow")
    slow_event = receiver.wait_for(lambda seen: len(seen) == 1)[0].event_id()  # arrived, not answered
    quick = new_customer(client, "Quick")
    quick_event = receiver.wait_for(lambda seen: len(seen) == 2, timeout=5)[1].event_id()
    rows = wait_log(simulator, lambda rows: delivered(rows, quick_event))
    assert [r["event_id"] for r in rows] == [quick_event]  # the first still waits for its answer
    gate.set()
    rows = wait_log(simulator, lambda rows: delivered(rows, slow_event))
    assert [(r["event_id"], r["attempt"]) for r in rows] == [(quick_event, 1), (slow_event, 1)]
    assert [d.event(secret).data.object["id"] for d in receiver.deliveries] == [slow, quick]


def test_deliveries_in_flight_stay_within_their_bounds(simulator: RunningSimulator, receiver: Receiver) -> None:
    bus = bus_of(simulator, RetryPolicy(timeout=20.0, max_in_flight=3, max_in_flight_per_endpoint=2))
    client = simulator.client()
    with webhook_receiver() as other:
        register(client, receiver.url), register(client, other.url)
        gate = threading.Event()
        receiver.gates["customer.created"] = other.gates["customer.created"] = gate
        try:
            customers = [new_customer(client, name) for name in ("A", "B", "C")]  # six deliveries
            wait_for(lambda: len(receiver.deliveries) + len(other.deliveries) >= 3 and bus.queue.waiting >= 3)
            # Every slot is taken by an unanswered request: the other three wait for one.
            assert bus.queue.in_flight == 3 and bus.queue.waiting == 3
            assert len(receiver.deliveries) <= 2 and len(other.deliveries) <= 2
        finally:
            gate.set()
        rows = wait_log(simulator, lambda rows: len([r for r in rows if r["outcome"] == "delivered"]) == 6)
    assert all(r["attempt"] == 1 and r["status"] == 200 for r in rows)
    assert {r["event_id"] for r in rows} == {r.event_id() for r in receiver.deliveries + other.deliveries}
    assert len(customers) == 3 and bus.queue.in_flight == bus.queue.waiting == 0


def test_shutdown_does_not_wait_for_a_receiver_that_never_answers(receiver: Receiver) -> None:
    receiver.gates['"Hung"'] = threading.Event()
    with running_simulator() as running:
        bus = bus_of(running)
        client = running.client()
        register(client, receiver.url)
        new_customer(client, "Hung")
        receiver.wait_for(lambda seen: len(seen) == 1)
        assert bus.queue.in_flight == 1
        stopping = time.monotonic()
    # Uvicorn's graceful shutdown takes up to a second; the delivery in flight is cancelled, not awaited.
    assert time.monotonic() - stopping < 5
    assert bus.queue.in_flight == 0 and not bus.deliveries
