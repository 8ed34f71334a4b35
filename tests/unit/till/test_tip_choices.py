"""The tip suggestions an admin types, and what Stripe's PaymentIntent says about a tip."""

from __future__ import annotations

import pytest

from kiosk.forms import FormErrors
from kiosk.payments.states import from_intent
from kiosk.stripe_account.objects import intent_from
from kiosk.till.tipping import AMOUNTS, PERCENTAGES, parse_choices


def test_percentages_and_amounts_as_typed() -> None:
    assert parse_choices(PERCENTAGES, "10 15 20", "usd") == (10, 15, 20)
    assert parse_choices(PERCENTAGES, "10%, 15%,20%", "usd") == (10, 15, 20)
    assert parse_choices(AMOUNTS, "1, 2.50, 5", "usd") == (100, 250, 500)
    assert parse_choices(AMOUNTS, "100 200", "jpy") == (100, 200)


@pytest.mark.parametrize(
    ("mode", "typed", "message"),
    [
        (PERCENTAGES, "5 10 15 20", "one to 3"),
        (PERCENTAGES, "0 10", "from 1 to 100"),
        (PERCENTAGES, "12.5", "from 1 to 100"),
        (AMOUNTS, "1.005", "at most 2 decimal places"),
        (AMOUNTS, "", "one to 3"),
    ],
)
def test_bad_suggestions_say_what_is_wrong(mode: str, typed: str, message: str) -> None:
    with pytest.raises(FormErrors) as refused:
        parse_choices(mode, typed, "usd")
    assert message in refused.value.errors["tip_choices"]


def test_the_tip_and_what_stripe_took_come_from_the_intent() -> None:
    intent = intent_from(
        {
            "id": "pi_1",
            "status": "succeeded",
            "amount": 2300,
            "amount_received": 2300,
            "amount_details": {"tip": {"amount": 300}},
            "currency": "usd",
        }
    )
    change = from_intent(intent, "automatic")
    assert change is not None and change.fields["tip_amount"] == 300 and change.fields["amount_charged"] == 2300


def test_an_intent_not_yet_paid_says_nothing_about_money() -> None:
    waiting = intent_from(
        {"id": "pi_2", "status": "requires_payment_method", "amount": 1000, "amount_details": {"tip": {}}}
    )
    assert waiting.tip == 0 and waiting.charged is None
    held = intent_from({"id": "pi_3", "status": "requires_capture", "amount": 1100, "amount_capturable": 1100})
    change = from_intent(held, "manual")
    assert change is not None and (change.fields["tip_amount"], change.fields["amount_charged"]) == (0, 1100)
