"""Test cards, amount endings and currency rules of the simulated issuer."""

from __future__ import annotations

import pytest

from kiosk.simulator.cards import TEST_CARDS, outcome, read_card
from kiosk.simulator.currencies import check_amount, format_amount
from kiosk.simulator.errors import StripeError


@pytest.mark.parametrize("number", [number for number, _ in TEST_CARDS])
def test_every_button_of_the_virtual_reader_is_a_readable_card(number: str) -> None:
    assert read_card(number).last4 == number[-4:]


def test_brands_follow_the_card_number() -> None:
    brands = [read_card(n).brand for n in ("4242424242424242", "5555555555554444", "378282246310005")]
    assert brands == ["visa", "mastercard", "amex"]
    assert read_card("4506445006931933").brand == "interac"


@pytest.mark.parametrize("number", ["4242424242424241", "1234", "4242-4242-4242-4242"])
def test_numbers_that_are_not_cards_are_refused(number: str) -> None:
    with pytest.raises(StripeError) as refused:
        read_card(number)
    assert refused.value.code == "incorrect_number"


def test_a_decline_card_wins_over_an_approving_amount() -> None:
    decline = outcome(read_card("4000000000009995"), 1000)
    assert decline is not None and (decline.code, decline.decline_code) == ("card_declined", "insufficient_funds")
    assert outcome(read_card("4242424242424242"), 1000) is None
    ending = outcome(read_card("4242424242424242"), 1075)
    assert ending is not None and ending.decline_code == "pin_try_exceeded"


def test_amounts_are_spelled_in_the_currency_s_own_units() -> None:
    assert format_amount(50, "usd") == "0.50 usd"
    assert format_amount(50, "jpy") == "50 jpy"
    assert format_amount(1500, "bhd") == "1.500 bhd"


def test_three_decimal_currencies_need_a_final_zero() -> None:
    check_amount(1500, "kwd")
    with pytest.raises(StripeError) as refused:
        check_amount(1505, "kwd")
    assert refused.value.code == "invalid_charge_amount"
