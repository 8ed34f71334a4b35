"""Money: currencies, int minor units, what a person types, and what a person reads.

Amounts are `int` minor units with a lowercase ISO currency everywhere in the kiosk. `Decimal`
appears only here, at the edge where a cashier types an amount. Figures come from Stripe's docs
(see /work/shared/stripe/FACTS.md): zero- and three-decimal currencies and minimum card charges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

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

# The mark a currency's people write before the decimals, where its countries agree: the other of
# "." and "," then only groups thousands ("1,234.50" in USD, "1.234,50" in DKK). Where they do not
# (EUR: Ireland writes 1,234.50, Germany 1.234,50; CHF, CAD, ...), both are read: see _to_decimal.
DECIMAL_MARKS: dict[str, str] = {
    **dict.fromkeys(
        (
            "usd", "gbp", "jpy", "cny", "hkd", "sgd", "aud", "nzd", "inr", "krw", "mxn", "thb", "myr",
            "php", "ils", "aed", "sar", "qar", "kwd", "bhd", "jod", "omr", "egp", "ngn", "kes", "pkr", "twd",
        ),
        ".",
    ),
    **dict.fromkeys(
        (
            "brl", "dkk", "nok", "sek", "pln", "czk", "huf", "ron", "bgn", "try", "idr", "vnd", "clp", "cop",
            "ars", "pyg", "uah", "isk", "rsd", "xof", "xaf",
        ),
        ",",
    ),
}  # fmt: skip
# Between the digits of a figure, besides "." and ",": spaces (French, Nordic) and apostrophes (Swiss).
_SPACES = " \u00a0\u202f\u2009"
_GROUPERS = _SPACES + "'\u2019"
_MARKS = ".,"
_FIGURE = re.compile(rf"^[0-9{re.escape(_MARKS + _GROUPERS)}]+$")
# "1,234,567" (groups of three) or, in India, "12,34,567" (the last group three, the others two).
_GROUPED = re.compile(r"^[1-9][0-9]{0,2}(?:\|[0-9]{3})*$")
_FIRST_GROUP = re.compile(r"^[1-9][0-9]{0,2}$")
_GROUPED_INDIAN = re.compile(r"^[1-9][0-9]?(?:\|[0-9]{2})*\|[0-9]{3}$")


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


def example(currency: str) -> str:
    """How the currency's people write one thousand two hundred and thirty-four and a half."""
    digits = exponent(currency)
    fraction = "5".ljust(digits, "0") if digits else ""
    dot_style = "1,234" + (f".{fraction}" if digits else "")
    comma_style = "1.234" + (f",{fraction}" if digits else "")
    mark = DECIMAL_MARKS.get(currency)
    if mark == ".":
        return dot_style
    if mark == ",":
        return comma_style
    return f"{dot_style} or {comma_style}"


def _decimal_mark_at(figure: str, currency: str) -> int | None:
    """Where the decimal mark is in a figure of digits, marks and spaces; None when it has none.

    - "." and "," both there: the last one marks the decimals ("1.234,50", "1,234.50").
    - Only one of them, several times: they group thousands ("1.234.567"); no decimals.
    - Only one, once: it marks the decimals ("12,5", "1234.50"), unless it could group thousands,
      i.e. three digits follow and one to three (not starting with 0) lead ("1.234"). That one is
      read the way the currency's people write (USD 1.234 is one dollar and 234 thousandths, too
      precise; DKK 1.234 is 1,234 kroner); where they disagree (EUR) it groups thousands, except in
      a three-decimal currency (KWD 1.234), whose decimals are three. A currency without decimals
      (JPY, CLP) has nothing to mark: there it always groups ("1.000" and "1,000" yen are 1000).
    """
    marks = [c for c in figure if c in _MARKS]
    if not marks:
        return None
    last = figure.rindex(marks[-1])
    if len(set(marks)) == 2:
        return last
    if len(marks) > 1:
        return None
    head, tail = figure[:last], figure[last + 1 :]
    if not (len(tail) == 3 and tail.isdigit() and _FIRST_GROUP.match(head)):
        return last
    known, digits = DECIMAL_MARKS.get(currency), exponent(currency)
    if digits == 0:
        return None
    if known:
        return last if known == marks[-1] else None
    return last if digits == 3 else None


def _whole_digits(part: str, typed: str, currency: str) -> str:
    """The digits before the decimals, their grouping checked: a separator between digits must
    group them in threes, so "12 50" or "1.2.3" is refused rather than guessed at."""
    separators = {c for c in part if c in _MARKS + _GROUPERS}
    if not separators:
        return part
    kinds = {" " if c in _SPACES else c for c in separators}
    if len(kinds) > 1:
        shown = " and ".join(f"“{c}”" if c.strip() else "a space" for c in sorted(kinds))
        raise MoneyError(
            f"“{typed}” is not an amount: it groups digits with both {shown}. Type it like {example(currency)}."
        )
    grouping = "".join(separators)
    uniform = "".join("|" if c in separators else c for c in part)
    if _GROUPED.match(uniform) or (currency == "inr" and _GROUPED_INDIAN.match(uniform)):
        return uniform.replace("|", "")
    sign = grouping[0]
    name = "a space" if sign in _SPACES else f"“{sign}”"
    raise MoneyError(
        f"“{typed}” is not an amount: {name} between digits groups them in threes (like 1{sign}234{sign}567), "
        f"and only the last “.” or “,” marks the decimals. Type it like {example(currency)}."
    )


def _to_decimal(text: str, currency: str) -> tuple[Decimal, str]:
    """A typed figure -> its value and the decimals as typed, read as the currency's people write it
    ("1,234.50" for USD; "1.234,50", "1 234,50" or "1234,50" for EUR); anything else is refused with
    what was not understood."""
    typed = text.strip()
    body = typed[1:].strip() if typed[:1] in "+-" else typed
    if not body or not _FIGURE.match(body) or not any(c.isdigit() for c in body):
        raise MoneyError(f"“{typed}” is not an amount. Type digits, like {example(currency)}.")
    at = _decimal_mark_at(body, currency)
    whole, mark, fraction = (body, "", "") if at is None else (body[:at], body[at], body[at + 1 :])
    if fraction and not fraction.isdigit():
        raise MoneyError(f"“{typed}” is not an amount: only digits may follow the decimal mark “{mark}”.")
    digits = _whole_digits(whole, typed, currency) if whole else "0"
    value = Decimal(f"{digits or '0'}.{fraction or '0'}")
    return (-value if typed.startswith("-") else value), fraction


def parse_amount(text: str, currency: str) -> int:
    """A typed amount -> int minor units of `currency`, or MoneyError saying what is wrong."""
    if not text.strip():
        raise MoneyError("Enter an amount.")
    value, typed_decimals = _to_decimal(text, currency)
    if value < 0:
        raise MoneyError("The amount cannot be negative.")
    if value == 0:
        raise MoneyError("The amount must be more than zero.")
    digits = exponent(currency)
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        places = "no decimal places" if digits == 0 else f"at most {digits} decimal places"
        raise MoneyError(
            f"{currency.upper()} amounts have {places}. “{text.strip()}” has {len(typed_decimals)} after the "
            f"decimal mark; type it like {example(currency)}."
        )
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
