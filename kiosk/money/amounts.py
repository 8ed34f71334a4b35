"""Money: currencies, int minor units, what a person types, and what a person reads.

Amounts are `int` minor units with a lowercase ISO currency everywhere in the kiosk. `Decimal`
appears only here, at the edge where a cashier types an amount. Figures come from Stripe's docs
(see /work/shared/stripe/FACTS.md): zero- and three-decimal currencies and minimum card charges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

# Smallest card charge Stripe accepts, in minor units; below it Stripe answers amount_too_small.
CARD_MINIMUMS: dict[str, int] = {
    **dict.fromkeys(("usd", "eur", "aud", "cad", "chf", "nzd", "sgd", "brl", "inr"), 50),
    "gbp": 30,
    "aed": 200,
    "bgn": 100,
    "czk": 1500,
    "dkk": 250,
    "hkd": 400,
    "huf": 17500,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "thb": 1000,
}

# Stripe's largest amount is eight digits of minor units; anything bigger is a typing slip.
MAX_AMOUNT = 99_999_999

# Written before the figure; other currencies show their code ("CHF 12.50").
SYMBOLS: dict[str, str] = {
    "usd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "inr": "₹",
    "krw": "₩",
    "aud": "A$",
    "cad": "CA$",
    "nzd": "NZ$",
    "hkd": "HK$",
    "sgd": "S$",
    "mxn": "MX$",
    "brl": "R$",
}

_CURRENCY = re.compile(r"^[a-z]{3}$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


class MoneyError(ValueError):
    """A typed amount or currency the kiosk refuses; the message is for the cashier."""


def normalize_currency(code: str) -> str:
    """'USD ' -> 'usd'; anything that is not three letters is refused."""
    currency = code.strip().lower()
    if not _CURRENCY.match(currency):
        raise MoneyError(f"{code.strip() or 'An empty code'} is not a currency code (three letters, like USD).")
    return currency


def exponent(currency: str) -> int:
    """Digits after the decimal point: 0 for JPY, 3 for KWD, 2 for most."""
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


# Minimums an admin raised above Stripe's (kiosk/money/currencies.py keeps this in step with the database).
_raised_minimums: dict[str, int] = {}


def use_raised_minimums(minimums: Mapping[str, int]) -> None:
    """Replace the admin's minimums; a figure below Stripe's own is never honoured."""
    _raised_minimums.clear()
    _raised_minimums.update(minimums)


def stripe_minimum(currency: str) -> int | None:
    """Stripe's own smallest card charge in minor units, or None where its list has no figure."""
    return CARD_MINIMUMS.get(currency)


def card_minimum(currency: str) -> int | None:
    """The smallest card charge the kiosk takes: Stripe's, or higher where an admin raised it."""
    stripe_figure, raised = CARD_MINIMUMS.get(currency), _raised_minimums.get(currency)
    if raised is None:
        return stripe_figure
    return max(raised, stripe_figure or 0)


def _to_decimal(text: str) -> Decimal:
    """Read '1,234.50', '1234.5', '12,50' (decimal comma) or '1 234'; refuse anything else."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")  # commas group thousands when a dot marks decimals
    elif cleaned.count(",") == 1 and len(cleaned.split(",")[1]) != 3:
        cleaned = cleaned.replace(",", ".")  # a lone comma not followed by a group of three is a decimal comma
    else:
        cleaned = cleaned.replace(",", "")
    if not _PLAIN_NUMBER.match(cleaned):
        raise MoneyError(f"“{text.strip()}” is not an amount. Type digits, like 12.50.")
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # the pattern above makes this unreachable in practice
        raise MoneyError(f"“{text.strip()}” is not an amount. Type digits, like 12.50.") from exc


def parse_amount(text: str, currency: str) -> int:
    """A typed amount -> int minor units of `currency`, or MoneyError saying what is wrong."""
    if not text.strip():
        raise MoneyError("Enter an amount.")
    value = _to_decimal(text)
    if value < 0:
        raise MoneyError("The amount cannot be negative.")
    if value == 0:
        raise MoneyError("The amount must be more than zero.")
    digits = exponent(currency)
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        places = "no decimal places" if digits == 0 else f"at most {digits} decimal places"
        raise MoneyError(f"{currency.upper()} amounts have {places}.")
    amount = int(minor)
    if amount > MAX_AMOUNT:
        raise MoneyError(f"The amount is too large (at most {format_money(MAX_AMOUNT, currency)}).")
    return amount


def check_card_amount(amount: int, currency: str) -> None:
    """Refuse, before Stripe would, a card amount below the minimum or not a whole multiple of 10 in
    a three-decimal currency (Stripe needs the last digit to be 0 there)."""
    if amount <= 0:
        raise MoneyError("The amount must be more than zero.")
    minimum = card_minimum(currency)
    if minimum is not None and amount < minimum:
        raise MoneyError(f"The smallest card payment in {currency.upper()} is {format_money(minimum, currency)}.")
    if currency in THREE_DECIMAL and amount % 10:
        raise MoneyError(f"Card payments in {currency.upper()} must end in 0 (like {format_decimal(10, currency)}).")


def format_decimal(amount: int, currency: str) -> str:
    """Minor units -> plain figure for a form field: 1250 usd -> '12.50', 1000 jpy -> '1000'."""
    digits = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"


def format_money(amount: int, currency: str) -> str:
    """Minor units -> what a person reads: 123450 usd -> '$1,234.50', 5000 chf -> 'CHF 50.00'."""
    digits = exponent(currency)
    whole, fraction = divmod(abs(amount), 10**digits)
    figure = f"{whole:,}" + (f".{fraction:0{digits}d}" if digits else "")
    symbol = SYMBOLS.get(currency)
    text = f"{symbol}{figure}" if symbol else f"{currency.upper()} {figure}"
    return f"-{text}" if amount < 0 else text
