"""Amounts typed and read the way the warehouse's locale writes them (Babel, CLDR): "1.234,50" in a
de_DE shop, "1,234.50" in an en_US one, "1 234,50" in fr_FR; what cannot be read is refused, saying
what was not understood, never guessed at; exact in minor units for zero- and three-decimal too."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal as babel_decimal
from hypothesis import given
from hypothesis import strategies as st

from kiosk.money.amounts import (
    MAX_AMOUNT,
    MoneyError,
    exponent,
    format_decimal,
    format_money,
    normalize_locale,
    parse_amount,
    reading_locale,
    shown_digits,
    use_locale,
)
from kiosk.money.catalog import THREE_DECIMAL, ZERO_DECIMAL


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        ("1.234,50", "eur", "de_DE", 123450),
        ("1234,50", "eur", "de_DE", 123450),
        ("0,50", "eur", "de_DE", 50),
        ("12,5 €", "eur", "de_DE", 1250),  # with the currency, as the till shows it
        ("1 234,50", "eur", "fr_FR", 123450),  # a plain space for French grouping
        ("1\u00a0234,50", "eur", "fr_FR", 123450),
        ("1\u202f234,50", "eur", "fr_FR", 123450),
        ("1'234.50", "chf", "de_CH", 123450),
        ("1\u2019234.50", "chf", "de_CH", 123450),
        ("CHF 12.50", "chf", "de_CH", 1250),
        ("1,23,456.50", "inr", "en_IN", 1_23_456_50),
        ("1,234.50", "usd", "en_US", 123450),
        ("$12.50", "usd", "en_US", 1250),
        ("€12.50", "eur", "en_IE", 1250),
        ("1.234", "kwd", "en_US", 1234),
        ("1,234.560", "kwd", "en_US", 1234560),
        ("1,234", "kwd", "de_DE", 1234),
        ("1.000", "jpy", "de_DE", 1000),  # the dot groups in German: a thousand yen
        ("1,000", "jpy", "ja_JP", 1000),
        ("1.234", "isk", "is_IS", 123400),  # whole krónur, two decimals in Stripe's API
        ("1.000", "clp", "es_ES", 1000),
    ],
)
def test_amounts_as_the_warehouse_writes_them(text: str, currency: str, locale: str, minor: int) -> None:
    assert parse_amount(text, currency, locale) == minor


@pytest.mark.parametrize(
    ("text", "currency", "locale", "message"),
    [
        ("12.50", "eur", "de_DE", "“12.50” is not an amount as German (Germany) writes it. Did you mean 1.250 or"),
        ("1.234,50", "usd", "en_US", "is not an amount as English (United States) writes it."),
        ("1,23,456.50", "usd", "en_US", "Did you mean 123,456.5? Type it like 1,234.50."),
        ("1.234,567", "eur", "de_DE", "EUR amounts have at most 2 decimal places. Type “1.234,567” like 1.234,50."),
        ("12,50", "isk", "is_IS", "ISK amounts have whole units only"),
        ("1.5", "jpy", "en_US", "JPY amounts have no decimal places."),
        ("1,2345", "kwd", "de_DE", "KWD amounts have at most 3 decimal places."),
        ("12.50 £", "eur", "en_GB", "“12.50 £” is not an amount. Type digits, like 1,234.50."),
        ("..", "usd", "en_US", "is not an amount"),
        ("1e3", "usd", "en_US", "“1e3” is not an amount. Type digits, like 1,234.50."),
        ("-5", "eur", "de_DE", "cannot be negative"),
    ],
)
def test_what_is_not_understood_is_said(text: str, currency: str, locale: str, message: str) -> None:
    with pytest.raises(MoneyError) as refused:
        parse_amount(text, currency, locale)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "text"),
    [
        (123450, "eur", "de_DE", "1.234,50\u00a0€"),
        (123450, "eur", "fr_FR", "1\u202f234,50\u00a0€"),
        (123450, "eur", "en_IE", "€1,234.50"),
        (123450, "chf", "de_CH", "CHF\u00a01'234.50"),
        (123456, "jpy", "de_DE", "123.456\u00a0¥"),
        (123456, "jpy", "ja_JP", "￥123,456"),
        (1234560, "kwd", "en_US", "KWD\u00a01,234.560"),
        (1234560, "kwd", "de_DE", "1.234,560\u00a0KWD"),
        (123400, "isk", "is_IS", "1.234\u00a0kr."),
        (1_23_456_50, "inr", "en_IN", "₹1,23,456.50"),
        (-250, "eur", "de_DE", "-2,50\u00a0€"),
    ],
)
def test_money_reads_as_the_locale_writes_it(amount: int, currency: str, locale: str, text: str) -> None:
    assert format_money(amount, currency, locale) == text


def test_form_fields_use_the_locales_decimal_mark_without_grouping() -> None:
    assert format_decimal(123450, "eur", "de_DE") == "1234,50"
    assert format_decimal(123450, "usd", "en_US") == "1234.50"
    assert format_decimal(1234, "jpy", "de_DE") == "1234"
    assert format_decimal(1234, "kwd", "fr_FR") == "1,234"
    assert format_decimal(123400, "isk", "is_IS") == "1234"


def test_the_request_locale_is_the_default() -> None:
    token = use_locale("de_DE")
    try:
        assert reading_locale() == "de_DE"
        assert format_money(1250, "eur") == "12,50\u00a0€"
        assert parse_amount("12,50", "eur") == 1250
    finally:
        use_locale(None)
    assert token is not None and reading_locale() == "en_US"


@pytest.mark.parametrize(("typed", "locale"), [("de-de", "de_DE"), (" fr_CH ", "fr_CH"), ("en_us", "en_US")])
def test_locales_are_normalized(typed: str, locale: str) -> None:
    assert normalize_locale(typed) == locale


@pytest.mark.parametrize(("typed", "message"), [("xx_YY", "not a locale"), ("", "not a locale"), ("de", "country")])
def test_unknown_locales_are_refused(typed: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        normalize_locale(typed)


LOCALES = ["en_US", "en_GB", "de_DE", "de_CH", "fr_FR", "fr_CH", "nl_NL", "en_IN", "ja_JP", "sv_SE", "is_IS",
           "pt_BR", "ar_BH", "es_ES"]  # fmt: skip
CURRENCIES = ["usd", "eur", "gbp", "chf", "dkk", "brl", "inr", "jpy", "clp", "krw", "kwd", "bhd", "isk", "huf"]
amounts = st.integers(min_value=1, max_value=MAX_AMOUNT)


def whole_units(amount: int, currency: str) -> int:
    """ISK amounts are whole krónur: round the drawn amount to one."""
    step = 10 ** (exponent(currency) - shown_digits(currency))
    return max(step, amount // step * step)


@given(amount=amounts, currency=st.sampled_from(CURRENCIES), locale=st.sampled_from(LOCALES))
def test_what_the_kiosk_writes_reads_back(amount: int, currency: str, locale: str) -> None:
    """Money as shown, the form field's figure and Babel's grouped figure all read back exactly."""
    amount = whole_units(amount, currency)
    assert parse_amount(format_money(amount, currency, locale), currency, locale) == amount
    assert parse_amount(f"  {format_decimal(amount, currency, locale)} ", currency, locale) == amount
    grouped = babel_decimal(Decimal(amount).scaleb(-exponent(currency)), locale=locale)  # "1.234,5" in de_DE
    assert parse_amount(grouped, currency, locale) == amount


@given(
    whole=st.integers(min_value=1, max_value=999_999),
    groups=st.lists(st.integers(min_value=0, max_value=99), min_size=1, max_size=3),
)
def test_short_groups_are_refused_not_guessed(whole: int, groups: list[int]) -> None:
    """Digits grouped in twos (a slip of the finger) are never read as some other amount."""
    text = f"{whole}" + "".join(f".{g:02d}" for g in groups[:1]) + "".join(f".{g:02d}" for g in groups[1:])
    if len(groups) == 1:
        text += ",5"  # "12.34,5" in German: the dot must group three digits
    with pytest.raises(MoneyError, match="is not an amount as German"):
        parse_amount(text, "eur", "de_DE")


def test_the_three_and_zero_decimal_lists_are_covered() -> None:
    assert {"kwd", "bhd", "jod", "omr", "tnd"} == THREE_DECIMAL and {"jpy", "clp", "krw", "ugx"} <= ZERO_DECIMAL
