"""Events are kept for Stripe's 30 days and no longer (looked at only when one may have expired),
and each event shows its object as it was when it happened, whatever happens to the object later."""

from __future__ import annotations

import string

from kiosk.simulator.core import Simulator, new_id
from kiosk.simulator.objects import snapshot
from kiosk.simulator.webhooks import RETENTION_SECONDS, EventBus

DAY = 24 * 3600


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def account(clock: Clock) -> tuple[Simulator, EventBus]:
    sim = Simulator(clock=clock)
    bus = EventBus(sim)
    sim.events = bus
    return sim, bus


def test_events_older_than_thirty_days_are_forgotten_as_new_ones_happen() -> None:
    clock = Clock(1_800_000_000)
    sim, bus = account(clock)
    first = bus.emit("customer.created", {"id": "cus_1", "object": "customer"})
    clock.now += 10 * DAY
    second = bus.emit("customer.updated", {"id": "cus_1", "object": "customer"})
    clock.now += 20 * DAY - 1
    bus.emit("customer.updated", {"id": "cus_1", "object": "customer"})
    assert first["id"] in sim.table("event")  # 30 days old to the second: still listed
    clock.now += 2
    third = bus.emit("customer.updated", {"id": "cus_1", "object": "customer"})
    assert first["id"] not in sim.table("event")
    assert second["id"] in sim.table("event") and third["id"] in sim.table("event")
    clock.now += RETENTION_SECONDS + 1
    bus.emit("customer.deleted", {"id": "cus_1", "object": "customer"})
    assert [e["type"] for e in sim.table("event").values()] == ["customer.deleted"]


def test_a_fresh_event_table_is_looked_at_again() -> None:
    clock = Clock(1_800_000_000)
    sim, bus = account(clock)
    bus.emit("customer.created", {"id": "cus_1", "object": "customer"})
    old = {"id": "evt_old", "object": "event", "created": clock.now - 40 * DAY, "type": "customer.created"}
    sim.objects["event"] = {"evt_old": old}  # another table (a reset, a restored file)
    bus.emit("customer.updated", {"id": "cus_1", "object": "customer"})
    assert "evt_old" not in sim.table("event") and len(sim.table("event")) == 1


def test_an_event_shows_its_object_as_it_was() -> None:
    intent = {
        "id": "pi_1",
        "object": "payment_intent",
        "status": "processing",
        "metadata": {"receipt": "7"},
        "charges": [{"id": "ch_1", "amount": 1000}],
        "amount_details": {"tip": {}},
        "pair": ({"a": 1},),
    }
    shown = snapshot(intent)
    assert shown == intent
    intent["status"] = "succeeded"
    intent["metadata"]["receipt"] = "8"
    intent["charges"][0]["amount"] = 1
    intent["pair"][0]["a"] = 2
    assert shown["status"] == "processing" and shown["metadata"] == {"receipt": "7"}
    assert shown["charges"] == [{"id": "ch_1", "amount": 1000}] and shown["pair"] == ({"a": 1},)


def test_ids_look_like_stripes_and_do_not_repeat() -> None:
    ids = [new_id("evt") for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("evt_") and len(i) == 28 for i in ids)
    assert set("".join(i[4:] for i in ids)) == set(string.ascii_letters + string.digits)
    assert len(new_id("whsec", 32)) == len("whsec_") + 32
