"""In-person refunds on the simulator through the real SDK: Interac only, the card that paid only,
with the customer's cancel, and never through refunds.create (as Stripe's docs say)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from kiosk.simulator.cards import INTERAC_CARD
from tests.integration.simulator.sim_flows import error_of, event_types, new_intent, new_reader, pay, start, tap

VISA_DEBIT_LOOKALIKE = "4242424242424242"


@pytest.fixture
def client(simulator: Any) -> stripe.StripeClient:
    return simulator.client()


@pytest.fixture
def reader(client: stripe.StripeClient) -> str:
    return new_reader(client)


def interac_payment(client: stripe.StripeClient, reader: str, amount: int = 2000) -> stripe.PaymentIntent:
    intent = new_intent(client, amount, "cad", allowed_payment_method_types=["card_present", "interac_present"])
    start(client, reader, intent.id)
    tap(client, reader, INTERAC_CARD)
    paid = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert paid.status == "succeeded"
    return paid


def refund_on_reader(client: stripe.StripeClient, reader: str, intent: str, amount: int = 500) -> Any:
    params: Any = {
        "payment_intent": intent,
        "amount": amount,
        "metadata": {"kiosk_refund": "7"},
        "refund_payment_config": {"enable_customer_cancellation": True},
    }
    return client.v1.terminal.readers.refund_payment(reader, params=params)


def test_the_interac_card_that_paid_is_refunded_when_tapped(client: stripe.StripeClient, reader: str) -> None:
    paid = interac_payment(client, reader)
    started = refund_on_reader(client, reader, paid.id)
    assert started.action is not None and started.action.status == "in_progress"
    assert started.action.refund_payment.payment_intent == paid.id
    done = tap(client, reader, INTERAC_CARD)
    assert done.action is not None and done.action.status == "succeeded"
    refund = client.v1.refunds.retrieve(str(done.action.refund_payment.refund))
    assert (refund.amount, refund.payment_intent, refund.status) == (500, paid.id, "succeeded")
    assert refund.metadata["kiosk_refund"] == "7"


def test_another_card_is_refused_and_nothing_is_refunded(
    client: stripe.StripeClient, reader: str, simulator: Any
) -> None:
    paid = interac_payment(client, reader)
    refund_on_reader(client, reader, paid.id)
    done = tap(client, reader, VISA_DEBIT_LOOKALIKE)
    assert done.action is not None and done.action.status == "failed"
    assert done.action.failure_code == "card_mismatch"
    assert client.v1.refunds.list(params={"payment_intent": paid.id}).data == []
    assert "terminal.reader.action_failed" in event_types(client)


def test_the_customer_may_cancel_the_refund(client: stripe.StripeClient, reader: str, simulator: Any) -> None:
    paid = interac_payment(client, reader)
    refund_on_reader(client, reader, paid.id)
    canceled = simulator.control("POST", f"/_sim/readers/{reader}/customer_cancel")
    assert canceled["action"]["failure_code"] == "customer_canceled"
    assert client.v1.refunds.list(params={"payment_intent": paid.id}).data == []


def test_a_card_payment_is_not_refunded_in_person_and_interac_not_online(
    client: stripe.StripeClient, reader: str
) -> None:
    visa = pay(client, reader, 1000)
    refused = error_of(lambda: refund_on_reader(client, reader, visa.id))
    assert refused.code == "charge_not_refundable"
    interac = interac_payment(client, reader)
    online = error_of(lambda: client.v1.refunds.create(params={"payment_intent": interac.id}))
    assert online.code == "charge_not_refundable"
