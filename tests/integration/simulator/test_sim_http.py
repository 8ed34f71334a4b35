"""The simulator's HTTP layer through the real SDK over real HTTP: keys, routing, params, faults, counts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from kiosk.simulator.core import Simulator
from tests.simulator_support import DEFAULT_KEY, RunningSimulator, running_simulator


def raw(
    simulator: RunningSimulator, method: str, path: str, key: str | None = DEFAULT_KEY, **kw: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, f"{simulator.url}{path}", headers=headers, trust_env=False, **kw)


# -- keys ------------------------------------------------------------------------------------------


def test_the_accounts_key_works_and_answers_carry_request_id_and_version(simulator: RunningSimulator) -> None:
    balance = simulator.client().v1.balance.retrieve()
    assert balance.object == "balance"
    response = balance.last_response
    assert response is not None
    assert response.request_id is not None and response.request_id.startswith("req_")
    assert response.headers["Stripe-Version"] == stripe.api_version


@pytest.mark.parametrize("key", ["sk_nonsense", "whatever", "sk_test", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "rk_test_x"])
def test_an_unknown_key_is_a_401(simulator: RunningSimulator, key: str) -> None:
    with pytest.raises(stripe.AuthenticationError) as caught:
        simulator.client(key).v1.balance.retrieve()
    assert caught.value.http_status == 401
    assert "Invalid API Key provided" in str(caught.value.user_message)


def test_a_well_formed_test_key_the_account_never_issued_is_refused_masked(simulator: RunningSimulator) -> None:
    response = raw(simulator, "GET", "/v1/customers", key="sk_test_notTheAccountsKey1234")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"] == "Invalid API Key provided: sk_test_*****************1234"
    assert simulator.sim.api_calls == {}


@pytest.mark.parametrize("key", ["sk_live_51abcdefghijklmnop", "rk_live_51abcdefghijklmnop"])
def test_live_keys_are_refused(simulator: RunningSimulator, key: str) -> None:
    with pytest.raises(stripe.AuthenticationError, match="test-mode"):
        simulator.client(key).v1.customers.create(params={"name": "Ada"})
    assert simulator.sim.table("customer") == {}


def test_a_publishable_key_cannot_call_secret_endpoints(simulator: RunningSimulator) -> None:
    with pytest.raises(stripe.AuthenticationError, match="publishable API key"):
        simulator.client("pk_test_abc").v1.balance.retrieve()


def test_no_key_gets_stripes_401_body(simulator: RunningSimulator) -> None:
    response = raw(simulator, "GET", "/v1/balance", key=None)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in response.json()["error"]["message"]


def test_http_basic_auth_with_the_key_as_user_works(simulator: RunningSimulator) -> None:
    response = httpx.get(f"{simulator.url}/v1/balance", auth=(DEFAULT_KEY, ""), trust_env=False)
    assert response.status_code == 200 and response.json()["object"] == "balance"


def test_started_with_api_keys_only_those_keys_work() -> None:
    with running_simulator(Simulator(api_keys=frozenset({"sk_test_only_this"}))) as simulator:
        assert simulator.client("sk_test_only_this").v1.balance.retrieve().object == "balance"
        with pytest.raises(stripe.AuthenticationError):
            simulator.client("sk_test_another").v1.balance.retrieve()


# -- routing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/no_such_thing"), ("GET", "/v1/invoices"), ("PUT", "/v1/customers")]
)
def test_urls_the_simulator_does_not_serve_are_a_404(simulator: RunningSimulator, method: str, path: str) -> None:
    response = raw(simulator, method, path)
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(f"Unrecognized request URL ({method}: {path})")


def test_a_known_route_without_a_handler_raises_invalid_request_in_the_sdk(simulator: RunningSimulator) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        simulator.client().v1.invoices.list()
    assert caught.value.http_status == 404


# -- params ----------------------------------------------------------------------------------------


def test_an_unknown_nested_param_is_named_in_bracket_form(simulator: RunningSimulator) -> None:
    client = simulator.client()
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.process_payment_intent(
            "tmr_any",
            params={"payment_intent": "pi_any", "process_config": {"foo": "bar"}},  # type: ignore[typeddict-unknown-key]
        )
    assert (caught.value.http_status, caught.value.code, caught.value.param) == (
        400,
        "parameter_unknown",
        "process_config[foo]",
    )


def test_a_missing_required_param(simulator: RunningSimulator) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        simulator.client().v1.payment_intents.create(params={"amount": 1000})  # type: ignore[typeddict-item]
    assert (caught.value.code, caught.value.param) == ("parameter_missing", "currency")


@pytest.mark.parametrize(
    ("extra", "code", "param"),
    [
        ({"amount": "ten"}, "parameter_invalid_integer", "amount"),
        ({"amount": 1000, "confirm": "maybe"}, "parameter_invalid_boolean", "confirm"),
    ],
)
def test_mistyped_params(simulator: RunningSimulator, extra: dict[str, Any], code: str, param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        simulator.client().v1.payment_intents.create(params={"currency": "usd", **extra})  # type: ignore[typeddict-item]
    assert (caught.value.http_status, caught.value.code, caught.value.param) == (400, code, param)
    assert simulator.sim.table("payment_intent") == {}


def test_query_params_of_a_get_are_checked_too(simulator: RunningSimulator) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        simulator.client().v1.customers.list(params={"limit": "many"})  # type: ignore[typeddict-item]
    assert (caught.value.code, caught.value.param) == ("parameter_invalid_integer", "limit")


# -- API faults and call counts ---------------------------------------------------------------------


def test_a_500_fault_answers_the_next_n_calls_then_service_resumes(simulator: RunningSimulator) -> None:
    simulator.control("POST", "/_sim/faults/api", json={"status": 500, "count": 2})
    client = simulator.client()
    for _ in range(2):
        with pytest.raises(stripe.APIError) as caught:
            client.v1.customers.create(params={"name": "Ada"})
        assert caught.value.http_status == 500
    assert simulator.sim.table("customer") == {}
    assert client.v1.customers.create(params={"name": "Ada"}).name == "Ada"


def test_a_429_fault_raises_rate_limit_error_even_for_a_replayable_key(simulator: RunningSimulator) -> None:
    client = simulator.client()
    first = client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "same"})
    simulator.control("POST", "/_sim/faults/api", json={"status": 429, "count": 1})
    with pytest.raises(stripe.RateLimitError) as caught:
        client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "same"})
    assert caught.value.http_status == 429
    assert caught.value.json_body is not None and caught.value.json_body["error"]["code"] == "rate_limit"
    assert client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "same"}).id == first.id


def test_bad_fault_requests_are_refused(simulator: RunningSimulator) -> None:
    response = httpx.post(f"{simulator.url}/_sim/faults/api", json={"status": 418, "count": 1}, trust_env=False)
    assert response.status_code == 400


def test_calls_are_counted_per_route_template(simulator: RunningSimulator) -> None:
    client = simulator.client()
    customer = client.v1.customers.create(params={"name": "Ada"})
    client.v1.customers.retrieve(customer.id)
    client.v1.customers.retrieve(customer.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve("cus_missing")
    with pytest.raises(stripe.AuthenticationError):
        simulator.client("sk_live_x").v1.customers.retrieve(customer.id)
    counted = simulator.control("GET", "/_sim/calls")
    assert counted == {"calls": {"GET /v1/customers/{customer}": 3, "POST /v1/customers": 1}, "total": 4}
    assert simulator.control("POST", "/_sim/calls/reset") == {"calls": {}, "total": 0}
    assert simulator.sim.api_calls.total() == 0
