"""Amounts typed the way the warehouse's people write them: "1.234,50" in a EUR shop, "1,234.50" in
a USD one; what cannot be read is refused, saying what was not understood, never guessed at."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.money.amounts import (
    DECIMAL_MARKS,
    MAX_AMOUNT,
    THREE_DECIMAL,
    ZERO_DECIMAL,
    MoneyError,
    exponent,
    format_decimal,
    format_money,
    parse_amount,
)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        # A EUR shop: either way of writing, with or without grouping.
        ("1.234,50", "eur", 123450),
        ("1234,50", "eur", 123450),
        ("1 234,50", "eur", 123450),
        ("1\u00a0234,50", "eur", 123450),
        ("1\u202f234,50", "eur", 123450),
        ("1,234.50", "eur", 123450),
        ("1.234", "eur", 123400),
        ("1,234", "eur", 123400),
        ("123.456,78", "eur", 12345678),
        ("0,50", "eur", 50),
        ("0,500", "eur", 50),
        ("12,5", "eur", 1250),
        # A USD shop: the comma groups, the dot marks the decimals.
        ("1,234.50", "usd", 123450),
        ("123,456.78", "usd", 12345678),
        ("1234.50", "usd", 123450),
        ("1.234,50", "usd", 123450),  # unambiguous however it is written
        # Where the comma is the decimal mark (Denmark): "1.234" is a thousand and more.
        ("1.234", "dkk", 123400),
        ("1,25", "dkk", 125),
        # Swiss apostrophes, Indian lakhs, three and zero decimal currencies.
        ("1'234.50", "chf", 123450),
        ("1\u2019234.50", "chf", 123450),
        ("1,23,456.50", "inr", 1_23_456_50),
        ("1.234", "kwd", 1234),
        ("1,234.567", "kwd", 1234567),
        ("1,000", "jpy", 1000),
        ("1.000", "clp", 1000),
        ("1,000", "clp", 1000),
        ("1.000", "jpy", 1000),
    ],
)
def test_amounts_as_the_warehouse_writes_them(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("1.234,567", "eur", "EUR amounts have at most 2 decimal places. “1.234,567” has 3 after the decimal mark"),
        ("1234,567", "eur", "has 3 after the decimal mark; type it like 1,234.50 or 1.234,50"),
        ("1.234", "usd", "USD amounts have at most 2 decimal places. “1.234” has 3 after the decimal mark"),
        ("12 50", "eur", "“12 50” is not an amount: a space between digits groups them in threes"),
        ("1.2.3", "usd", "“1.2.3” is not an amount: “.” between digits groups them in threes"),
        ("1,23,456.50", "usd", "“,” between digits groups them in threes (like 1,234,567)"),
        ("1.234 567,50", "eur", "it groups digits with both"),
        ("12,50.1,2", "eur", "is not an amount"),
        ("€12.50", "eur", "“€12.50” is not an amount. Type digits, like 1,234.50 or 1.234,50."),
        ("12.5", "jpy", "JPY amounts have no decimal places."),
        (
            "1,234",
            "dkk",
            "DKK amounts have at most 2 decimal places. “1,234” has 3 after the decimal mark; type it like 1.234,50.",
        ),
        ("..", "usd", "is not an amount"),
    ],
)
def test_what_is_not_understood_is_said(text: str, currency: str, message: str) -> None:
    with pytest.raises(MoneyError) as refused:
        parse_amount(text, currency)
    assert message in str(refused.value)


CURRENCIES = ["usd", "eur", "gbp", "chf", "dkk", "brl", "inr", "cad", "jpy", "clp", "krw", "kwd", "bhd", "pln"]
amounts = st.integers(min_value=1, max_value=MAX_AMOUNT)


def written(amount: int, currency: str, grouping: str, mark: str) -> str:
    """The amount as a person writes it: thousands grouped with `grouping`, decimals after `mark`."""
    digits = exponent(currency)
    whole, fraction = divmod(amount, 10**digits)
    figure = f"{whole:,}".replace(",", grouping)
    return figure + (f"{mark}{fraction:0{digits}d}" if digits else "")


def styles(currency: str) -> list[tuple[str, str]]:
    """(grouping, decimal mark) pairs the currency's people write; a known decimal mark never groups."""
    marks = [DECIMAL_MARKS[currency]] if currency in DECIMAL_MARKS else [".", ","]
    styles = []
    for mark in marks:
        other = "," if mark == "." else "."
        for grouping in ("", other, " ", "\u00a0", "'"):
            styles.append((grouping, mark))
    return styles


@given(amount=amounts, currency=st.sampled_from(CURRENCIES), data=st.data())
def test_what_the_kiosk_writes_reads_back(amount: int, currency: str, data: st.DataObject) -> None:
    """Formatting then parsing gives the amount back, however the shop's people group and mark it."""
    grouping, mark = data.draw(st.sampled_from(styles(currency)))
    assert parse_amount(written(amount, currency, grouping, mark), currency) == amount
    assert parse_amount(format_decimal(amount, currency), currency) == amount
    symbol_free = format_money(amount, currency).lstrip("$€£¥₹₩").split(" ")[-1].split("$")[-1]
    assert parse_amount(symbol_free, currency) == amount


@given(amount=amounts, currency=st.sampled_from(CURRENCIES))
def test_the_form_field_value_reads_back(amount: int, currency: str) -> None:
    """What a form field is pre-filled with (`plain_amount`) is accepted as it stands."""
    assert parse_amount(f"  {format_decimal(amount, currency)} ", currency) == amount


@given(
    whole=st.integers(min_value=1, max_value=999_999),
    groups=st.lists(st.integers(min_value=0, max_value=99), min_size=1, max_size=3),
)
def test_short_groups_are_refused_not_guessed(whole: int, groups: list[int]) -> None:
    """Digits grouped in twos (a slip of the finger) are never read as some other amount."""
    text = f"{whole}" + "".join(f" {g:02d}" for g in groups)
    with pytest.raises(MoneyError, match="groups them in threes"):
        parse_amount(text, "eur")


def test_the_three_and_zero_decimal_lists_are_covered() -> None:
    assert {"kwd", "bhd"} <= THREE_DECIMAL and {"jpy", "clp", "krw"} <= ZERO_DECIMAL
