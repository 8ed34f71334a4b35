"""Charges and refunds listed by creation time, as the day's close reads Stripe: `created[gte]` and
`created[lt]` filter, typed by the SDK's own params (a bound that is not a number, or an unknown
bound, is refused as Stripe does), through the SDK and the kiosk's gateway."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from kiosk.stripe_account.gateway import StripeGateway
from tests.payments_support import ADDRESS, VISA
from tests.simulator_support import DEFAULT_KEY, RunningSimulator


def paid_and_refunded(simulator: RunningSimulator, amount: int = 1500) -> str:
    """A card_present charge of `amount` tapped on a simulated reader, then $5 of it refunded."""
    client = simulator.client()
    location = client.v1.terminal.locations.create(params={"display_name": "Main", "address": ADDRESS}).id
    reader = client.v1.terminal.readers.create(params={"registration_code": "simulated-wpe", "location": location}).id
    intent = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "allowed_payment_method_types": ["card_present"],
                "metadata": {"warehouse": "7"}}
    )  # fmt: skip
    client.v1.terminal.readers.process_payment_intent(reader, params={"payment_intent": intent.id})
    simulator.control("POST", f"/_sim/readers/{reader}/present", {"card_number": VISA})
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500})
    return intent.id


def test_created_bounds_pick_the_days_charges_and_refunds(simulator: RunningSimulator) -> None:
    intent = paid_and_refunded(simulator)
    client = simulator.client()
    now = int(time.time())
    today: Any = {"gte": now - 3600, "lt": now + 3600}
    yesterday: Any = {"gte": now - 90_000, "lt": now - 3600}
    [charge] = client.v1.charges.list(params={"created": today, "limit": 100}).data
    assert (charge.payment_intent, charge.amount_captured, charge.metadata["warehouse"]) == (intent, 1500, "7")
    [refund] = client.v1.refunds.list(params={"created": today, "limit": 100}).data
    assert (refund.payment_intent, refund.amount) == (intent, 500)
    assert client.v1.charges.list(params={"created": yesterday}).data == []
    assert client.v1.refunds.list(params={"created": yesterday}).data == []


@pytest.mark.parametrize(
    ("query", "code", "param"),
    [
        ("created[gte]=soon", "parameter_invalid_integer", "created[gte]"),
        ("created[after]=1", "parameter_unknown", "created[after]"),
    ],
)
def test_a_bound_stripe_would_refuse_is_refused(simulator: RunningSimulator, query: str, code: str, param: str) -> None:
    for path in ("/v1/charges", "/v1/refunds"):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            simulator.client().raw_request("get", f"{path}?{query}")
        assert (caught.value.code, caught.value.param) == (code, param)


async def test_the_gateway_reads_a_day_a_page_at_a_time(simulator: RunningSimulator) -> None:
    intent = paid_and_refunded(simulator)
    gateway = StripeGateway(DEFAULT_KEY, api_base=simulator.url)
    try:
        now = int(time.time())
        charges, more = await gateway.charges_page(now - 3600, now + 3600)
        refunds, more_refunds = await gateway.refunds_page(now - 3600, now + 3600)
        after, _ = await gateway.charges_page(now - 3600, now + 3600, after=charges[0].id)
    finally:
        await gateway.aclose()
    assert [(c.payment_intent_id, c.taken, c.warehouse) for c in charges] == [(intent, 1500, "7")] and not more
    assert [(r.payment_intent_id, r.given_back) for r in refunds] == [(intent, 500)] and not more_refunds
    assert after == []
