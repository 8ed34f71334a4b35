"""Stripe's currencies as data: decimals (zero, three and the special cases), published minimums,
and what an admin is told about Terminal in the account's country."""

from __future__ import annotations

import pytest

from kiosk.money.amounts import check_card_amount, exponent, format_money, shown_digits, stripe_minimum
from kiosk.money.catalog import STRIPE_CURRENCIES, TERMINAL_CURRENCY, US_PRESENTMENT
from kiosk.money.currencies import CurrencyError, currency_name, stripe_code, terminal_note
from kiosk.stripe_account.keys import Account


def test_every_stripe_currency_is_known_and_lowercase() -> None:
    assert len(STRIPE_CURRENCIES) >= 135 and US_PRESENTMENT[0] == "usd"
    assert all(code.islower() and len(code) == 3 for code in STRIPE_CURRENCIES)
    assert {"bhd", "jod", "kwd", "omr", "tnd", "isk", "huf", "twd", "xcd"} <= set(STRIPE_CURRENCIES)
    assert all(currency_name(code) != code.upper() for code in STRIPE_CURRENCIES)  # Babel names them all


@pytest.mark.parametrize(
    ("code", "api", "shown"),
    [("usd", 2, 2), ("bif", 0, 0), ("ugx", 0, 0), ("xpf", 0, 0), ("kwd", 3, 3), ("tnd", 3, 3), ("isk", 2, 0),
     ("huf", 2, 2), ("twd", 2, 2)],
)  # fmt: skip
def test_decimals_follow_stripe(code: str, api: int, shown: int) -> None:
    assert (exponent(code), shown_digits(code)) == (api, shown)


@pytest.mark.parametrize(
    ("code", "minimum", "text"),
    [("jpy", 50, "¥50"), ("huf", 17500, "HUF\u00a0175.00"), ("gbp", 30, "£0.30"), ("czk", 1500, "CZK\u00a015.00")],
)
def test_published_minimums(code: str, minimum: int, text: str) -> None:
    assert stripe_minimum(code) == minimum and format_money(minimum, code) == text


@pytest.mark.parametrize("code", ["kwd", "bhd", "clp", "krw", "isk", "kes"])
def test_no_published_minimum_is_none_not_a_guess(code: str) -> None:
    """Stripe converts the settlement currency's minimum at the day's rate: there is no fixed figure."""
    assert stripe_minimum(code) is None


def test_minimum_edge_for_zero_and_three_decimal() -> None:
    check_card_amount(50, "jpy")
    check_card_amount(10, "kwd")  # 0.010 KWD: no published minimum, ends in 0
    with pytest.raises(ValueError, match="smallest card payment in JPY is ¥50"):
        check_card_amount(49, "jpy")
    with pytest.raises(ValueError, match="must end in 0"):
        check_card_amount(15, "bhd")


def test_unknown_codes_are_refused() -> None:
    assert stripe_code(" EUR ") == "eur"
    with pytest.raises(CurrencyError, match="XYZ is not a currency Stripe charges in: nothing was changed"):
        stripe_code("xyz")
    with pytest.raises(CurrencyError, match="not a currency code"):
        stripe_code("euro")


def account(country: str) -> Account:
    return Account("acct_1", "Shop", False, country, "")


def test_terminal_takes_the_local_currency_only() -> None:
    assert TERMINAL_CURRENCY["DE"] == TERMINAL_CURRENCY["IE"] == "eur" and TERMINAL_CURRENCY["CH"] == "chf"
    assert terminal_note("eur", account("FR")) is None
    assert terminal_note("usd", account("FR")) == (
        "Terminal in France takes card-present payments only in EUR; saved cards may still be charged in USD."
    )
    assert "Stripe Terminal is not offered in Brazil" in (terminal_note("brl", account("BR")) or "")
    assert "does not know yet" in (terminal_note("usd", None) or "")
