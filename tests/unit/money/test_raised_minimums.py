"""The till's card minimum honours what an admin stored, but never goes below Stripe's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.money.amounts import MoneyError, card_minimum, check_card_amount, stripe_minimum, use_raised_minimums
from kiosk.money.currencies import CurrencyError, parse_minimum


@pytest.fixture(autouse=True)
def clean_minimums() -> Iterator[None]:
    yield
    use_raised_minimums({})


def test_a_raised_minimum_is_enforced() -> None:
    use_raised_minimums({"usd": 100, "isk": 500})
    assert card_minimum("usd") == 100 and stripe_minimum("usd") == 50
    with pytest.raises(MoneyError, match=r"smallest card payment in USD is \$1\.00"):
        check_card_amount(99, "usd")
    check_card_amount(100, "usd")
    assert card_minimum("isk") == 500  # Stripe publishes none; the admin's figure applies
    assert card_minimum("eur") == 50


def test_a_stored_figure_below_stripe_is_never_honoured() -> None:
    use_raised_minimums({"gbp": 10})
    assert card_minimum("gbp") == 30


@pytest.mark.parametrize(
    ("text", "code", "minor"),
    [("0.50", "usd", 50), ("1", "usd", 100), ("75", "jpy", 75), ("0.120", "kwd", 120), ("2", "isk", 200)],
)
def test_typed_minimums(text: str, code: str, minor: int) -> None:
    assert parse_minimum(text, code) == minor


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("0.49", "usd", r"Stripe's minimum for USD is \$0\.50: the kiosk's cannot be lower"),
        ("49", "jpy", "Stripe's minimum for JPY is ¥50"),
        ("50.5", "jpy", "JPY amounts have no decimal places"),
        ("0.125", "kwd", "KWD card amounts must end in 0 .*try 0.130"),
        ("0.1234", "kwd", "at most 3 decimal places"),
        ("", "usd", "Enter an amount"),
        ("abc", "usd", "is not an amount"),
    ],
)
def test_refused_minimums(text: str, code: str, message: str) -> None:
    with pytest.raises(CurrencyError, match=message):
        parse_minimum(text, code)
