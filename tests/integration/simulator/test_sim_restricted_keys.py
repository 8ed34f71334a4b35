"""The simulator's restricted keys: a permission the key lacks answers 403 (PermissionError in the
SDK), read does not allow write, and a restricted key the account never made is refused (401)."""

from __future__ import annotations

import pytest
import stripe

from kiosk.simulator.handlers.restricted_keys import resource_of, restrict_key
from tests.simulator_support import RunningSimulator

LIMITED = "rk_test_kioskLimited0001"
ADDRESS = {"line1": "1 Main St", "city": "Springfield", "country": "US"}


def test_a_missing_permission_answers_403_naming_it(simulator: RunningSimulator) -> None:
    restrict_key(simulator.sim, LIMITED, {"terminal_location": "read"})
    client = simulator.client(LIMITED)
    assert client.v1.terminal.locations.list().data == []
    with pytest.raises(stripe.PermissionError) as refused:
        client.v1.terminal.locations.create(params={"display_name": "Shop", "address": ADDRESS})
    assert refused.value.http_status == 403
    assert "'rak_terminal_location_write' permission" in str(refused.value)
    assert LIMITED not in str(refused.value)  # the key is masked in the message
    with pytest.raises(stripe.PermissionError, match="rak_payment_intent_read"):
        client.v1.payment_intents.list()


def test_write_includes_read(simulator: RunningSimulator) -> None:
    restrict_key(simulator.sim, LIMITED, {"terminal_reader": "write"})
    client = simulator.client(LIMITED)
    assert client.v1.terminal.readers.list().data == []
    with pytest.raises(stripe.InvalidRequestError, match="No such"):
        client.v1.terminal.readers.update("tmr_missing", params={"label": "x"})


def test_a_restricted_key_the_account_never_made_is_refused(simulator: RunningSimulator) -> None:
    with pytest.raises(stripe.AuthenticationError, match="Invalid API Key provided"):
        simulator.client("rk_test_kioskNeverMade01").v1.terminal.locations.list()
    everything = {resource: "write" for resource in ("terminal_location", "terminal_reader", "payment_intent")}
    restrict_key(simulator.sim, "rk_test_kioskNeverMade01", everything)
    client = simulator.client("rk_test_kioskNeverMade01")
    location = client.v1.terminal.locations.create(params={"display_name": "Shop", "address": ADDRESS})
    assert location.id.startswith("tml_")


def test_bad_restrictions_are_refused(simulator: RunningSimulator) -> None:
    with pytest.raises(ValueError, match="only restricted keys"):
        restrict_key(simulator.sim, "sk_test_x", {})
    with pytest.raises(ValueError, match="unknown"):
        restrict_key(simulator.sim, LIMITED, {"terminal_reader": "admin"})


@pytest.mark.parametrize(
    ("template", "resource"),
    [
        ("/v1/terminal/readers/{reader}/process_payment_intent", "terminal_reader"),
        ("/v1/test_helpers/terminal/readers/{reader}/present_payment_method", "terminal_reader"),
        ("/v1/payment_intents/{intent}/capture", "payment_intent"),
        ("/v1/account", "account"),
        ("/v1/webhook_endpoints/{webhook_endpoint}", "webhook_endpoint"),
    ],
)
def test_routes_map_to_stripe_resources(template: str, resource: str) -> None:
    assert resource_of(template) == resource
