"""The simulator serves each client in the API version it pins (``kiosk/simulator/versions.py``).

A client of 2020-08-27 is written the way that era's server-driven Terminal integrations were:
plain form posts over HTTP with the key as basic-auth user, ``Stripe-Version: 2020-08-27``,
``payment_method_types[]=card_present`` and the charge read from ``charges.data[0]``. The kiosk's
own SDK pins the newest version and sees the newest shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from kiosk.simulator.versions import CURRENT
from kiosk.simulator.webhooks import EventBus, RetryPolicy
from tests.integration.simulator.sim_flows import ADDRESS, VISA, error_of, new_intent, new_reader, start, tap
from tests.simulator_support import DEFAULT_KEY, RunningSimulator
from tests.webhook_receiver import Delivery, Receiver, webhook_receiver

OLD = "2020-08-27"


class EraClient:
    """An integration of 2020: httpx form posts, ``-u sk_test_…:`` auth, one pinned Stripe-Version."""

    def __init__(self, simulator: RunningSimulator, version: str | None = OLD) -> None:
        headers = {"Stripe-Version": version} if version else {}
        self.http = httpx.Client(
            base_url=simulator.url, auth=(DEFAULT_KEY, ""), headers=headers, trust_env=False, timeout=30
        )

    def post(self, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(path, data=data or {})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def get(self, path: str, **query: Any) -> dict[str, Any]:
        response = self.http.get(path, params=query)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def error(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(path, data=data)
        assert response.status_code == 400, response.text
        return dict(response.json()["error"])


@pytest.fixture
def era(simulator: RunningSimulator) -> Iterator[EraClient]:
    client = EraClient(simulator)
    yield client
    client.http.close()


def era_intent(era: EraClient, amount: int = 1099, **extra: Any) -> dict[str, Any]:
    params = {
        "amount": amount,
        "currency": "usd",
        "payment_method_types[]": "card_present",
        "capture_method": "manual",
        **extra,
    }
    return era.post("/v1/payment_intents", params)


def era_reader(era: EraClient) -> str:
    location = era.post(
        "/v1/terminal/locations",
        {"display_name": "HQ", **{f"address[{k}]": v for k, v in ADDRESS.items()}},
    )
    reader = era.post(
        "/v1/terminal/readers", {"registration_code": "simulated-wpe", "label": "Counter", "location": location["id"]}
    )
    assert reader["device_type"] == "simulated_wisepos_e"
    return str(reader["id"])


def era_authorized(era: EraClient, reader: str, amount: int = 1099) -> dict[str, Any]:
    intent = era_intent(era, amount)
    era.post(f"/v1/terminal/readers/{reader}/process_payment_intent", {"payment_intent": intent["id"]})
    era.post(
        f"/v1/test_helpers/terminal/readers/{reader}/present_payment_method",
        {"type": "card_present", "card_present[number]": VISA},
    )
    return era.get(f"/v1/payment_intents/{intent['id']}")


# -- the whole server-driven flow, once per era ------------------------------------------------------


def test_a_2020_integration_runs_the_whole_server_driven_flow(era: EraClient) -> None:
    reader = era_reader(era)
    intent = era_intent(era)
    assert intent["payment_method_types"] == ["card_present"]
    assert intent["charges"] == {
        "object": "list",
        "data": [],
        "has_more": False,
        "total_count": 0,
        "url": f"/v1/charges?payment_intent={intent['id']}",
    }
    processing = era.post(f"/v1/terminal/readers/{reader}/process_payment_intent", {"payment_intent": intent["id"]})
    assert processing["action"]["status"] == "in_progress"
    era.post(
        f"/v1/test_helpers/terminal/readers/{reader}/present_payment_method",
        {"type": "card_present", "card_present[number]": VISA},
    )
    authorized = era.get(f"/v1/payment_intents/{intent['id']}")
    assert authorized["status"] == "requires_capture"
    charge = authorized["charges"]["data"][0]
    assert charge["payment_method_details"]["card_present"]["last4"] == "4242"
    assert charge["id"] == authorized["latest_charge"] and charge["captured"] is False

    captured = era.post(f"/v1/payment_intents/{intent['id']}/capture")
    assert captured["status"] == "succeeded"
    assert captured["charges"]["data"][0]["captured"] is True
    assert captured["charges"]["data"][0]["amount_captured"] == 1099
    assert captured["invoice"] is None and captured["charges"]["data"][0]["invoice"] is None

    refund = era.post("/v1/refunds", {"payment_intent": intent["id"], "amount": 99})
    after = era.get(f"/v1/payment_intents/{intent['id']}")
    refunds = after["charges"]["data"][0]["refunds"]
    assert [r["id"] for r in refunds["data"]] == [refund["id"]] and refunds["total_count"] == 1
    assert era.http.get(f"/v1/payment_intents/{intent['id']}").headers["Stripe-Version"] == OLD


def test_the_same_flow_with_the_sdk_at_its_pinned_version(simulator: RunningSimulator) -> None:
    client = simulator.client()
    reader = new_reader(client)
    intent = new_intent(client, 1099, capture="manual")
    start(client, reader, intent.id)
    tap(client, reader)
    captured = client.v1.payment_intents.capture(intent.id)
    assert captured.status == "succeeded"
    assert captured.last_response is not None and captured.last_response.headers["Stripe-Version"] == CURRENT
    shown = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert "charges" not in shown and "invoice" not in shown
    assert isinstance(shown.latest_charge, stripe.Charge)
    assert shown.latest_charge.payment_method_details is not None
    assert shown.latest_charge.payment_method_details.card_present is not None
    assert shown.latest_charge.payment_method_details.card_present.last4 == "4242"
    assert "refunds" not in shown.latest_charge
    assert shown.capture_method == "manual"


# -- which version a request is served in ------------------------------------------------------------


@pytest.mark.parametrize("version", ["2020-13-45", "2022-08-02", "2019-2-19", "latest"])
def test_an_unknown_version_is_stripes_400_and_changes_nothing(simulator: RunningSimulator, version: str) -> None:
    response = EraClient(simulator, version).http.post("/v1/customers", data={"name": "Ada"})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "message": f"Invalid Stripe API version: {version}",
    }
    assert simulator.sim.table("customer") == {}


def test_the_sdk_pinned_to_an_unknown_version_gets_the_same_error(simulator: RunningSimulator) -> None:
    client = simulator.client(stripe_version="2026-10-29.endive")
    error = error_of(lambda: client.v1.customers.create(params={"name": "Ada"}))
    assert isinstance(error, stripe.InvalidRequestError)
    assert error.user_message == "Invalid Stripe API version: 2026-10-29.endive"


def test_a_real_version_older_than_the_simulator_models_is_refused_as_such(simulator: RunningSimulator) -> None:
    response = EraClient(simulator, "2019-12-03").http.get("/v1/payment_intents")
    assert response.status_code == 400
    assert "serves API versions from 2020-08-27" in response.json()["error"]["message"]


def test_without_a_header_the_accounts_default_version_serves(simulator: RunningSimulator) -> None:
    plain = EraClient(simulator, version=None)
    intent = plain.post("/v1/payment_intents", {"amount": 500, "currency": "usd"})
    assert "charges" not in intent
    assert plain.http.get("/v1/balance").headers["Stripe-Version"] == CURRENT

    assert simulator.control("POST", "/_sim/api_version", json={"version": OLD}) == {"default_api_version": OLD}
    older = plain.post("/v1/payment_intents", {"amount": 500, "currency": "usd"})
    assert older["charges"]["object"] == "list" and older["capture_method"] == "automatic"
    assert plain.http.get("/v1/balance").headers["Stripe-Version"] == OLD
    refused = httpx.post(f"{simulator.url}/_sim/api_version", json={"version": "2020-08-28"}, trust_env=False)
    assert refused.status_code == 400 and "Invalid Stripe API version: 2020-08-28" in refused.text


# -- each row of the table ---------------------------------------------------------------------------


def test_payment_method_types_works_until_endive_and_names_its_removal_after(simulator: RunningSimulator) -> None:
    params = {"amount": 700, "currency": "usd", "payment_method_types[0]": "card_present"}
    last_dahlia = EraClient(simulator, "2026-08-26.dahlia").post("/v1/payment_intents", params)
    assert last_dahlia["payment_method_types"] == ["card_present"]
    assert last_dahlia["allowed_payment_method_types"] is None
    error = EraClient(simulator, "2026-09-30.endive").error("/v1/payment_intents", params)
    assert error["code"] == "payment_method_types_no_longer_supported"
    assert error["param"] == "payment_method_types"


def test_an_older_payment_method_types_is_exact_where_the_newer_filters(era: EraClient) -> None:
    error = era.error(
        "/v1/payment_intents",
        {
            "amount": 700,
            "currency": "usd",
            "payment_method_types[0]": "card_present",
            "payment_method_types[1]": "interac_present",
        },
    )
    assert error["param"] == "payment_method_types" and "interac_present" in error["message"]
    both = era.error(
        "/v1/payment_intents",
        {
            "amount": 700,
            "currency": "usd",
            "payment_method_types[0]": "card_present",
            "allowed_payment_method_types[0]": "card_present",
        },
    )
    assert "both" in both["message"]
    cad = era.post(
        "/v1/payment_intents",
        {
            "amount": 700,
            "currency": "cad",
            "payment_method_types[0]": "card_present",
            "payment_method_types[1]": "interac_present",
        },
    )
    assert cad["payment_method_types"] == ["card_present", "interac_present"]


def test_invoice_is_on_charges_and_intents_until_basil(simulator: RunningSimulator) -> None:
    params = {"amount": 700, "currency": "usd", "allowed_payment_method_types[0]": "card_present"}
    assert EraClient(simulator, "2025-02-24.acacia").post("/v1/payment_intents", params)["invoice"] is None
    assert "invoice" not in EraClient(simulator, "2025-03-31.basil").post("/v1/payment_intents", params)


def test_capture_method_defaults_to_automatic_before_2024_04_10(simulator: RunningSimulator) -> None:
    params = {"amount": 700, "currency": "usd", "allowed_payment_method_types[0]": "card_present"}
    assert EraClient(simulator, "2023-10-16").post("/v1/payment_intents", params)["capture_method"] == "automatic"
    assert EraClient(simulator, "2024-04-10").post("/v1/payment_intents", params)["capture_method"] == "automatic_async"


def test_cards_only_by_default_before_2023_08_16_automatic_payment_methods_after(simulator: RunningSimulator) -> None:
    params = {"amount": 700, "currency": "usd"}
    before = EraClient(simulator, "2022-11-15").post("/v1/payment_intents", params)
    assert before["payment_method_types"] == ["card"] and before["automatic_payment_methods"] is None
    after = EraClient(simulator, "2023-08-16").post("/v1/payment_intents", params)
    assert after["automatic_payment_methods"] == {"allow_redirects": "always", "enabled": True}


def test_charges_and_refunds_lists_until_2022_11_15(simulator: RunningSimulator) -> None:
    old = EraClient(simulator, "2022-08-01")
    reader = era_reader(old)
    intent = era_authorized(old, reader)
    charge_id = intent["charges"]["data"][0]["id"]
    assert old.get(f"/v1/charges/{charge_id}")["refunds"]["object"] == "list"
    newer = EraClient(simulator, "2022-11-15")
    assert "charges" not in newer.get(f"/v1/payment_intents/{intent['id']}")
    assert "refunds" not in newer.get(f"/v1/charges/{charge_id}")
    listed = old.get("/v1/payment_intents")
    assert listed["data"][0]["charges"]["data"][0]["id"] == charge_id
    expanded = simulator.client().v1.charges.retrieve(charge_id, params={"expand": ["refunds"]})
    assert expanded.refunds is not None and expanded.refunds.object == "list"


def test_an_error_carrying_the_intent_shows_it_in_the_clients_version(era: EraClient) -> None:
    intent = era_intent(era)
    error = era.error(f"/v1/payment_intents/{intent['id']}/capture", {})
    assert error["code"] == "payment_intent_unexpected_state"
    assert error["payment_intent"]["charges"]["total_count"] == 0


# -- events and webhooks -----------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


def _of_type(deliveries: list[Delivery], event_type: str) -> list[dict[str, Any]]:
    events = [json.loads(d.body) for d in deliveries]
    return [e for e in events if e["type"] == event_type]


def test_each_webhook_endpoint_gets_events_in_its_own_version(
    simulator: RunningSimulator, receiver: Receiver, era: EraClient
) -> None:
    bus = simulator.sim.events
    assert isinstance(bus, EventBus)
    bus.policy = RetryPolicy(max_attempts=3, first_delay=0.1, max_delay=0.2, timeout=1.0)
    client = simulator.client()
    old = client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["payment_intent.amount_capturable_updated"], "api_version": OLD}
    )
    new = client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["payment_intent.amount_capturable_updated"]}
    )
    assert old.api_version == OLD and new.api_version is None
    intent = era_authorized(era, era_reader(era))

    seen = receiver.wait_for(lambda d: len(_of_type(d, "payment_intent.amount_capturable_updated")) >= 2)
    for delivery in seen:  # both signed with their endpoint's secret over the bytes sent
        secret = old.secret if json.loads(delivery.body)["api_version"] == OLD else new.secret
        assert delivery.event(str(secret)).id
    by_version = {e["api_version"]: e for e in _of_type(seen, "payment_intent.amount_capturable_updated")}
    assert set(by_version) == {OLD, CURRENT}
    old_intent = by_version[OLD]["data"]["object"]
    assert old_intent["id"] == intent["id"]
    assert old_intent["charges"]["data"][0]["id"] == intent["latest_charge"]
    assert old_intent["invoice"] is None
    assert "charges" not in by_version[CURRENT]["data"]["object"]

    # /v1/events shows each event in the account's default version, whatever the reader pins.
    listed = era.get("/v1/events", type="payment_intent.amount_capturable_updated")
    assert listed["data"][0]["api_version"] == CURRENT
    assert "charges" not in listed["data"][0]["data"]["object"]


def test_events_of_an_account_with_an_older_default_are_rendered_in_it(simulator: RunningSimulator) -> None:
    simulator.control("POST", "/_sim/api_version", json={"version": OLD})
    client = simulator.client()  # pins the newest version itself
    reader = new_reader(client)
    intent = new_intent(client, 1200, capture="manual")
    start(client, reader, intent.id)
    tap(client, reader)
    events = client.v1.events.list(params={"type": "payment_intent.amount_capturable_updated"})
    event = events.data[0]
    assert event.api_version == OLD
    assert event.data.object["charges"]["data"][0]["id"] == client.v1.payment_intents.retrieve(intent.id).latest_charge


def test_a_webhook_endpoint_of_an_unknown_or_unmodelled_version_is_refused(simulator: RunningSimulator) -> None:
    client = simulator.client()
    params: Any = {"url": "https://example.com/hook", "enabled_events": ["*"], "api_version": "2019-12-03"}
    error = error_of(lambda: client.v1.webhook_endpoints.create(params=params))
    assert error.http_status == 400 and "2020-08-27" in str(error.user_message)
    assert simulator.sim.table("webhook_endpoint") == {}


def test_an_idempotency_key_reused_with_other_old_parameters_is_refused(era: EraClient) -> None:
    first = {"amount": 700, "currency": "usd", "payment_method_types[0]": "card_present"}
    headers = {"Idempotency-Key": "sale-42-create"}
    assert era.http.post("/v1/payment_intents", data=first, headers=headers).status_code == 200
    other = {**first, "payment_method_types[0]": "card"}
    response = era.http.post("/v1/payment_intents", data=other, headers=headers)
    assert response.status_code == 400 and response.json()["error"]["type"] == "idempotency_error"
    replay = era.http.post("/v1/payment_intents", data=first, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true" and "charges" in replay.json()
