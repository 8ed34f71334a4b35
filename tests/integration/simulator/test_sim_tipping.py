"""On-reader tipping and the cart display on the simulator, through the real SDK: Terminal
Configurations with tipping assigned to a location, the tip screen, skip_tipping, and the tip in
amount_details.tip / amount / amount_received; a shown cart cleared by cancel_action."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.integration.simulator.sim_flows import error_of, new_intent, new_location, new_reader, tap

PERCENT: Any = {"usd": {"percentages": [10, 15, 20]}}


@pytest.fixture
def client(simulator: Any) -> stripe.StripeClient:
    return simulator.client()


def tipping_location(client: stripe.StripeClient, tipping: Any = PERCENT) -> tuple[str, str]:
    """A location using a configuration with `tipping`, and its configuration's id."""
    configuration = client.v1.terminal.configurations.create(params={"name": "Tips", "tipping": tipping})
    location = new_location(client)
    client.v1.terminal.locations.update(location, params={"configuration_overrides": configuration.id})
    return location, configuration.id


def process(client: stripe.StripeClient, reader: str, intent: str, **config: Any) -> stripe.terminal.Reader:
    params: Any = {"payment_intent": intent, "process_config": config}
    return client.v1.terminal.readers.process_payment_intent(reader, params=params)


def test_configurations_are_created_retrieved_updated_listed_and_deleted(client: stripe.StripeClient) -> None:
    made = client.v1.terminal.configurations.create(params={"name": "Tips", "tipping": PERCENT})
    assert made.id.startswith("tmc_") and made.object == "terminal.configuration"
    assert made.tipping is not None and made.tipping.usd is not None and made.tipping.usd.percentages == [10, 15, 20]
    assert client.v1.terminal.configurations.retrieve(made.id).name == "Tips"
    params: Any = {"tipping": {"usd": {"fixed_amounts": [100, 200, 500]}}}
    changed = client.v1.terminal.configurations.update(made.id, params=params)
    assert changed.tipping is not None and changed.tipping.usd is not None
    assert (changed.tipping.usd.fixed_amounts, changed.tipping.usd.percentages) == ([100, 200, 500], None)
    assert client.v1.terminal.configurations.update(made.id, params={"tipping": ""}).tipping is None
    assert [c.id for c in client.v1.terminal.configurations.list().data] == [made.id]
    assert client.v1.terminal.configurations.delete(made.id).deleted


def test_bad_tipping_and_unknown_overrides_are_refused(client: stripe.StripeClient) -> None:
    too_many: Any = {"tipping": {"usd": {"percentages": [5, 10, 15, 20]}}}
    error = error_of(lambda: client.v1.terminal.configurations.create(params=too_many))
    assert getattr(error, "param", None) == "tipping[usd][percentages]"
    mixed: Any = {"tipping": {"usd": {"percentages": [10]}, "eur": {"fixed_amounts": [100]}}}
    assert "same configuration keys" in str(error_of(lambda: client.v1.terminal.configurations.create(params=mixed)))
    unknown: Any = {"tipping": {"inr": {"percentages": [10]}}}
    assert getattr(error_of(lambda: client.v1.terminal.configurations.create(params=unknown)), "code", None) == (
        "parameter_unknown"
    )
    location = new_location(client)
    missing = error_of(
        lambda: client.v1.terminal.locations.update(location, params={"configuration_overrides": "tmc_nope"})
    )
    assert getattr(missing, "code", None) == "resource_missing"
    assert not client.v1.terminal.configurations.list().data


def test_the_tip_screen_then_the_tip_in_the_intent(client: stripe.StripeClient, simulator: Any) -> None:
    location, _ = tipping_location(client)
    reader = new_reader(client, location)
    intent = new_intent(client, 2000)
    process(client, reader, intent.id)
    screen = simulator.control("GET", f"/_sim/readers/{reader}/screen")
    assert screen["state"] == "tipping" and [(t["percent"], t["amount"]) for t in screen["tips"]] == [
        (10, 200),
        (15, 300),
        (20, 400),
    ]
    simulator.control("POST", f"/_sim/readers/{reader}/tip", {"amount": 300})
    screen = simulator.control("GET", f"/_sim/readers/{reader}/screen")
    assert (screen["state"], screen["amount"], screen["tip"]) == ("collecting", 2300, 300)
    tap(client, reader)
    paid = client.v1.payment_intents.retrieve(intent.id)
    assert paid.amount_details is not None and paid.amount_details.tip is not None
    assert (paid.amount_details.tip.amount, paid.amount, paid.amount_received) == (300, 2300, 2300)


def test_a_tip_not_offered_is_refused(client: stripe.StripeClient, simulator: Any) -> None:
    location, _ = tipping_location(client)
    reader = new_reader(client, location)
    process(client, reader, new_intent(client, 2000).id)
    answer = simulator.control("GET", f"/_sim/readers/{reader}/screen")
    assert answer["state"] == "tipping"
    response = httpx.post(f"{simulator.url}/_sim/readers/{reader}/tip", json={"amount": 999}, trust_env=False)
    assert response.status_code == 400 and "Choose one of the tips" in response.text


def test_skip_tipping_and_smart_tips(client: stripe.StripeClient, simulator: Any) -> None:
    smart: Any = {"usd": {"fixed_amounts": [100, 200, 300], "percentages": [15, 18, 20], "smart_tip_threshold": 1000}}
    location, _ = tipping_location(client, smart)
    reader = new_reader(client, location)
    intent = new_intent(client, 2000)
    process(client, reader, intent.id, skip_tipping=True)
    assert simulator.control("GET", f"/_sim/readers/{reader}/screen")["state"] == "collecting"
    tap(client, reader)
    assert client.v1.payment_intents.retrieve(intent.id).amount_received == 2000
    small = new_intent(client, 800)  # under the threshold: fixed amounts
    process(client, reader, small.id)
    assert [t["amount"] for t in simulator.control("GET", f"/_sim/readers/{reader}/screen")["tips"]] == [100, 200, 300]
    eligible = new_intent(client, 800)
    client.v1.terminal.readers.cancel_action(reader)
    process(client, reader, eligible.id, tipping={"amount_eligible": 5000})  # above it: percentages of 50.00
    assert [t["amount"] for t in simulator.control("GET", f"/_sim/readers/{reader}/screen")["tips"]] == [750, 900, 1000]


def test_the_account_default_configuration_applies_without_an_override(
    client: stripe.StripeClient, simulator: Any
) -> None:
    """Tipping switched on in the Dashboard: every location without an override shows the tip screen."""
    simulator.control("POST", "/_sim/account/terminal_configuration", {"tipping": {"usd": {"fixed_amounts": [100]}}})
    defaults = client.v1.terminal.configurations.list(params={"is_account_default": True}).data
    assert len(defaults) == 1 and defaults[0].is_account_default
    reader = new_reader(client)
    process(client, reader, new_intent(client).id)
    assert simulator.control("GET", f"/_sim/readers/{reader}/screen")["state"] == "tipping"


def test_a_card_presented_on_the_tip_screen_pays_without_a_tip(client: stripe.StripeClient, simulator: Any) -> None:
    location, _ = tipping_location(client)
    reader = new_reader(client, location)
    intent = new_intent(client, 2000)
    process(client, reader, intent.id)
    tap(client, reader)
    paid = client.v1.payment_intents.retrieve(intent.id)
    assert (paid.amount, paid.amount_received) == (2000, 2000)


def test_cancel_action_clears_a_cart_from_the_screen(client: stripe.StripeClient, simulator: Any) -> None:
    reader = new_reader(client)
    cart: Any = {"currency": "usd", "line_items": [{"amount": 450, "description": "Tea", "quantity": 2}], "total": 900}
    client.v1.terminal.readers.set_reader_display(reader, params={"type": "cart", "cart": cart})
    screen = simulator.control("GET", f"/_sim/readers/{reader}/screen")
    assert screen["state"] == "display" and screen["cart"]["line_items"][0]["description"] == "Tea"
    cleared = client.v1.terminal.readers.cancel_action(reader)
    assert cleared.action is None
    assert simulator.control("GET", f"/_sim/readers/{reader}/screen")["state"] == "idle"


def test_the_virtual_reader_page_draws_the_tip_screen_and_the_cart(client: stripe.StripeClient, simulator: Any) -> None:
    location, _ = tipping_location(client)
    reader = new_reader(client, location)
    cart: Any = {"currency": "usd", "line_items": [{"amount": 450, "description": "Tea", "quantity": 2}], "total": 900}
    client.v1.terminal.readers.set_reader_display(reader, params={"type": "cart", "cart": cart})
    page = httpx.get(f"{simulator.url}/_sim/readers/{reader}/ui/screen", trust_env=False).text
    assert "2 \N{MULTIPLICATION SIGN} Tea" in page and "$9.00" in page
    process(client, reader, new_intent(client, 2000).id)
    page = httpx.get(f"{simulator.url}/_sim/readers/{reader}/ui/screen", trust_env=False).text
    assert 'data-testid="tip-2"' in page and "15%" in page and "$3.00" in page and "No tip" in page
    done = httpx.post(f"{simulator.url}/_sim/readers/{reader}/ui/tip", data={"amount": "300"}, trust_env=False)
    assert "chose a tip" in done.text
    page = httpx.get(f"{simulator.url}/_sim/readers/{reader}/ui/screen", trust_env=False).text
    assert "$23.00" in page and "incl. tip $3.00" in page
