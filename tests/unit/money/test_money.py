"""Typed amounts become int minor units or a clear refusal; minor units read as money (en_US, the
locale of a request without a warehouse; other locales: test_amount_locales.py)."""

import pytest

from kiosk.money.amounts import (
    MoneyError,
    card_minimum,
    check_card_amount,
    exponent,
    format_decimal,
    format_money,
    normalize_currency,
    parse_amount,
)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "usd", 1250),
        ("12.5", "usd", 1250),
        ("12", "usd", 1200),
        (" 0.01 ", "usd", 1),
        ("1,234.50", "usd", 123450),
        ("1,234.50", "eur", 123450),
        ("12.50", "eur", 1250),
        ("1,234", "usd", 123400),
        (".5", "gbp", 50),
        ("12.500", "usd", 1250),
        ("1000", "jpy", 1000),
        ("1,000", "jpy", 1000),
        ("1.234", "kwd", 1234),
        ("99999999", "jpy", 99_999_999),
    ],
)
def test_typed_amounts_become_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("", "usd", "Enter an amount"),
        ("   ", "usd", "Enter an amount"),
        ("0", "usd", "more than zero"),
        ("0.00", "usd", "more than zero"),
        ("-5", "usd", "cannot be negative"),
        ("-0.01", "usd", "cannot be negative"),
        ("abc", "usd", "not an amount"),
        ("12.50 US$", "usd", "not an amount"),
        ("1e3", "usd", "not an amount"),
        ("NaN", "usd", "not an amount"),
        ("Infinity", "usd", "not an amount"),
        ("1.2.3", "usd", "not an amount"),
        ("12.345", "usd", "USD amounts have at most 2 decimal places"),
        ("12.5", "jpy", "JPY amounts have no decimal places"),
        ("1.000", "jpy", "JPY amounts have no decimal places"),  # in en_US the dot marks decimals
        ("1.2345", "kwd", "KWD amounts have at most 3 decimal places"),
        ("1000000", "usd", "too large"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(text: str, currency: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        parse_amount(text, currency)


def test_exponents_follow_stripe() -> None:
    assert [exponent(c) for c in ("usd", "jpy", "krw", "kwd", "bhd", "eur")] == [2, 0, 0, 3, 3, 2]


@pytest.mark.parametrize(
    ("currency", "minimum"),
    [("usd", 50), ("eur", 50), ("gbp", 30), ("jpy", 50), ("huf", 17500), ("mxn", 1000), ("dkk", 250)],
)
def test_card_minimums_from_stripe(currency: str, minimum: int) -> None:
    assert card_minimum(currency) == minimum
    check_card_amount(minimum, currency)
    with pytest.raises(MoneyError, match=f"smallest card payment in {currency.upper()}"):
        check_card_amount(minimum - 1, currency)


def test_card_minimum_message_shows_money() -> None:
    with pytest.raises(MoneyError, match=r"\$0\.50"):
        check_card_amount(49, "usd")


def test_unknown_minimum_still_refuses_zero() -> None:
    """KES has no published minimum (Stripe converts the settlement currency's): only zero is refused here."""
    assert card_minimum("kes") is None
    check_card_amount(1, "kes")
    with pytest.raises(MoneyError):
        check_card_amount(0, "kes")


def test_isk_card_amounts_are_whole_kronur() -> None:
    """Two decimals in the API, but Stripe takes whole krónur only (amounts divisible by 100)."""
    check_card_amount(12300, "isk")
    with pytest.raises(MoneyError, match="whole units only"):
        check_card_amount(12350, "isk")


def test_three_decimal_card_amounts_end_in_zero() -> None:
    check_card_amount(1230, "kwd")
    with pytest.raises(MoneyError, match="must end in 0"):
        check_card_amount(1234, "kwd")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (123450, "usd", "$1,234.50"),
        (5, "usd", "$0.05"),
        (0, "eur", "€0.00"),
        (-250, "gbp", "-£2.50"),
        (1000, "jpy", "¥1,000"),
        (1234, "kwd", "KWD\u00a01.234"),  # CLDR's no-break space between a code and the digits
        (5000, "chf", "CHF\u00a050.00"),
        (123456789, "cad", "CA$1,234,567.89"),
    ],
)
def test_money_reads_as_money(amount: int, currency: str, text: str) -> None:
    """Without a warehouse's locale: en_US."""
    assert format_money(amount, currency) == text


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(1250, "usd", "12.50"), (5, "usd", "0.05"), (1000, "jpy", "1000"), (1234, "kwd", "1.234"), (-5, "usd", "-0.05")],
)
def test_plain_figures_round_trip(amount: int, currency: str, text: str) -> None:
    assert format_decimal(amount, currency) == text
    if amount > 0:
        assert parse_amount(text, currency) == amount


def test_currency_codes_are_normalized() -> None:
    assert normalize_currency(" USD ") == "usd"
    for bad in ("", "us", "usd1", "€€€"):
        with pytest.raises(MoneyError, match="currency code"):
            normalize_currency(bad)
