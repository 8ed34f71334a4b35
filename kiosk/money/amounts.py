"""Money: currencies, int minor units, what a person types, and what a person reads.

Amounts are `int` minor units with a lowercase ISO currency everywhere in the kiosk. `Decimal`
appears only here, at the edge where a cashier types an amount. Stripe's rules (decimals, special
cases, minimums) are data in kiosk/money/catalog.py; how people write numbers is Babel's (CLDR),
in a locale such as "de_DE".

The locale: each warehouse has one (`Warehouse.locale`); the web layer makes it the *reading
locale* of each request (`use_locale`, kiosk/web/reading_locale.py) so that everything a person
reads or types at that warehouse (till, printed receipt, admin pages) follows it. Without one,
`DEFAULT_LOCALE`. Every function also takes an explicit `locale`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from contextvars import ContextVar, Token
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel import numbers as babel_numbers
from babel.numbers import NumberPattern

from kiosk.money.catalog import SETTLEMENT_MINIMUMS, THREE_DECIMAL, WHOLE_UNITS_ONLY, decimals

# Smallest card charge Stripe accepts, in minor units, where Stripe publishes one (its settlement
# currencies); below it Stripe answers amount_too_small. See catalog.py for the other currencies.
CARD_MINIMUMS: dict[str, int] = SETTLEMENT_MINIMUMS

# Stripe's largest amount is eight digits of minor units; anything bigger is a typing slip.
MAX_AMOUNT = 99_999_999

DEFAULT_LOCALE = "en_US"
# The locales offered on the warehouse page (any locale Babel knows is accepted).
LOCALE_CHOICES: tuple[str, ...] = (
    "en_US", "en_GB", "en_IE", "en_CA", "fr_CA", "en_AU", "en_NZ", "en_SG", "en_IN", "en_MY", "ms_MY",
    "de_DE", "de_AT", "de_CH", "fr_CH", "it_CH", "fr_FR", "fr_BE", "nl_BE", "nl_NL", "es_ES", "es_MX",
    "it_IT", "pt_PT", "pt_BR", "fi_FI", "sv_SE", "da_DK", "nb_NO", "is_IS", "pl_PL", "cs_CZ", "hu_HU",
    "ro_RO", "bg_BG", "lb_LU", "fr_LU", "ja_JP", "ko_KR", "zh_CN", "zh_HK", "zh_TW", "th_TH", "ar_AE",
    "ar_BH", "ar_KW",
)  # fmt: skip

_CURRENCY = re.compile(r"^[a-z]{3}$")
_SPACES = " \u00a0\u202f\u2009"
_APOSTROPHES = "'\u2019"
# What may be left of a typed amount once the currency and the sign are taken off.
_FIGURE = re.compile(rf"^[0-9.,{_SPACES}{_APOSTROPHES}]+$")
# CLDR puts a no-break space between a currency code and the digits ("CHF 12.50"); Babel does not.
_CODE_THEN_DIGIT = re.compile(r"([A-Za-z])([-\u2212]?[0-9])")
_DIGIT_THEN_CODE = re.compile(r"([0-9])([A-Za-z])")
_BIDI_MARKS = "\u200e\u200f\u061c"

_reading_locale: ContextVar[str] = ContextVar("kiosk_reading_locale", default=DEFAULT_LOCALE)


class MoneyError(ValueError):
    """A typed amount or currency the kiosk refuses; the message is for the cashier."""


def normalize_currency(code: str) -> str:
    """'USD ' -> 'usd'; anything that is not three letters is refused."""
    currency = code.strip().lower()
    if not _CURRENCY.match(currency):
        raise MoneyError(f"{code.strip() or 'An empty code'} is not a currency code (three letters, like USD).")
    return currency


def normalize_locale(text: str) -> str:
    """'de-de' or 'de_DE' -> 'de_DE'; a locale Babel does not know is refused."""
    typed = text.strip()
    try:
        locale = Locale.parse(typed.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise MoneyError(f"“{typed or 'nothing'}” is not a locale the kiosk knows (like en_US or de_DE).") from None
    if not locale.territory:
        raise MoneyError(f"“{typed}” needs a country too (like {typed.lower()}_{typed.upper()}).")
    return str(locale)


def locale_name(locale: str) -> str:
    """'de_DE' -> 'German (Germany)', for admins choosing one."""
    return str(Locale.parse(locale).get_display_name("en"))


def use_locale(locale: str | None) -> Token[str]:
    """Make `locale` the one amounts are read and written in, for the rest of this request."""
    return _reading_locale.set(locale or DEFAULT_LOCALE)


def reading_locale() -> str:
    return _reading_locale.get()


def exponent(currency: str) -> int:
    """Digits after the decimal point in Stripe's minor units: 0 for JPY, 3 for KWD, 2 for most."""
    return decimals(currency)


def shown_digits(currency: str) -> int:
    """Decimals a person sees and types: the exponent, except ISK (whole krónur, two API decimals)."""
    return 0 if currency in WHOLE_UNITS_ONLY else exponent(currency)


# Minimums an admin raised above Stripe's (kiosk/money/currencies.py keeps this in step with the database).
_raised_minimums: dict[str, int] = {}


def use_raised_minimums(minimums: Mapping[str, int]) -> None:
    """Replace the admin's minimums; a figure below Stripe's own is never honoured."""
    _raised_minimums.clear()
    _raised_minimums.update(minimums)


def stripe_minimum(currency: str) -> int | None:
    """Stripe's own smallest card charge in minor units, or None where it is a converted figure."""
    return CARD_MINIMUMS.get(currency)


def card_minimum(currency: str) -> int | None:
    """The smallest card charge the kiosk takes: Stripe's, or higher where an admin raised it."""
    stripe_figure, raised = CARD_MINIMUMS.get(currency), _raised_minimums.get(currency)
    if raised is None:
        return stripe_figure
    return max(raised, stripe_figure or 0)


def _major(amount: int, currency: str) -> Decimal:
    """Minor units -> the exact amount in the currency's major unit."""
    return Decimal(amount).scaleb(-exponent(currency))


@functools.lru_cache(maxsize=1024)
def _pattern(locale: str, digits: int, grouped: bool = True, currency: bool = True) -> NumberPattern:
    """The locale's currency (or plain number) pattern with exactly `digits` decimals, parsed once
    (the locale's data never changes while the kiosk runs; every amount on a page asks for it)."""
    parsed = Locale.parse(locale)
    pattern = (parsed.currency_formats["standard"] if currency else parsed.decimal_formats[None]).pattern
    fraction = "0" + ("." + "0" * digits if digits else "")
    pattern = re.sub(r"0(\.[0#]+)?", fraction, pattern)
    if not grouped:
        pattern = re.sub(r"#[#,]*", "", pattern).replace(",", "")
    return babel_numbers.parse_pattern(pattern)


def format_money(amount: int, currency: str, locale: str | None = None) -> str:
    """Minor units -> what a person reads, in the locale: 123450 usd -> '$1,234.50' (en_US),
    '1.234,50 $' (de_DE); 5000 chf -> 'CHF 50.00' (en_US), 'CHF 50.00' (de_CH)."""
    return _formatted(amount, currency, locale or reading_locale())


# A page shows the same few amounts several times (total, due, the card button): each is worked
# out by Babel once. The text depends on nothing but these three (and the currencies' digits).
@functools.lru_cache(maxsize=4096)
def _formatted(amount: int, currency: str, locale: str) -> str:
    digits = shown_digits(currency)
    pattern = _pattern(locale, digits)
    text = babel_numbers.format_currency(
        _major(amount, currency), currency.upper(), format=pattern, locale=locale, currency_digits=False
    )
    text = _CODE_THEN_DIGIT.sub("\\1\u00a0\\2", text)
    return _DIGIT_THEN_CODE.sub("\\1\u00a0\\2", text)


def format_decimal(amount: int, currency: str, locale: str | None = None) -> str:
    """Minor units -> a plain figure for a form field, in the locale's decimal mark and without
    grouping: 1250 usd -> '12.50' (en_US), '12,50' (de_DE); 1000 jpy -> '1000'."""
    return _plain(amount, currency, locale or reading_locale())


@functools.lru_cache(maxsize=4096)  # as `_formatted`: the text depends on these three alone
def _plain(amount: int, currency: str, locale: str) -> str:
    pattern = _pattern(locale, shown_digits(currency), grouped=False, currency=False)
    return str(babel_numbers.format_decimal(_major(amount, currency), format=pattern, locale=locale))


def example(currency: str, locale: str | None = None) -> str:
    """How the locale writes one thousand two hundred and thirty-four (and a half, with decimals)."""
    locale = locale or reading_locale()
    digits = shown_digits(currency)
    value = Decimal("1234.5") if digits else Decimal(1234)
    return str(babel_numbers.format_decimal(value, format=_pattern(locale, digits, currency=False), locale=locale))


def _without_currency(text: str, currency: str, locale: str) -> str:
    """Take off the currency a person may type with the figure ("12,50 €", "CHF 12.50")."""
    cleaned = "".join(c for c in text if c not in _BIDI_MARKS)
    local_symbol = babel_numbers.get_currency_symbol(currency.upper(), locale=locale)
    symbols = {currency.upper(), "".join(c for c in local_symbol if c not in _BIDI_MARKS)}
    for symbol in sorted(symbols, key=len, reverse=True):
        if cleaned.upper().startswith(symbol.upper()):
            cleaned = cleaned[len(symbol) :]
        elif cleaned.upper().endswith(symbol.upper()):
            cleaned = cleaned[: -len(symbol)]
    return cleaned.strip(_SPACES)


def _to_decimal(text: str, currency: str, locale: str) -> Decimal:
    """A typed figure -> its exact value, read as the locale writes numbers (Babel's strict
    parse_decimal: the grouping must be right too), or MoneyError saying what was not understood."""
    typed = text.strip()
    body = _without_currency(typed, currency, locale)
    minus = babel_numbers.get_minus_sign_symbol(locale)
    negative = body[:1] in ("-", "\u2212", minus)
    if negative or body[:1] == "+":
        body = body[1:].strip(_SPACES)
    if not body or not _FIGURE.match(body) or not any(c.isdigit() for c in body):
        raise MoneyError(f"“{typed}” is not an amount. Type digits, like {example(currency, locale)}.")
    group = babel_numbers.get_group_symbol(locale)
    if group in _SPACES or group.isspace():
        body = "".join(group if c in _SPACES else c for c in body)
    elif group in _APOSTROPHES:
        body = "".join(group if c in _APOSTROPHES else c for c in body)
    try:
        value = babel_numbers.parse_decimal(body, locale=locale, strict=True)
    except babel_numbers.NumberFormatError as exc:
        hints = [s for s in (exc.suggestions or []) if s]
        hint = f" Did you mean {' or '.join(hints)}?" if hints else ""
        raise MoneyError(
            f"“{typed}” is not an amount as {locale_name(locale)} writes it.{hint} "
            f"Type it like {example(currency, locale)}."
        ) from None
    if not value.is_finite():
        raise MoneyError(f"“{typed}” is not an amount. Type digits, like {example(currency, locale)}.")
    return -value if negative else value


def parse_amount(text: str, currency: str, locale: str | None = None) -> int:
    """A typed amount -> int minor units of `currency`, or MoneyError saying what is wrong."""
    locale = locale or reading_locale()
    if not text.strip():
        raise MoneyError("Enter an amount.")
    value = _to_decimal(text, currency, locale)
    if value < 0:
        raise MoneyError("The amount cannot be negative.")
    if value == 0:
        raise MoneyError("The amount must be more than zero.")
    digits = shown_digits(currency)
    mark = babel_numbers.get_decimal_symbol(locale)
    typed_decimals = value.as_tuple().exponent
    too_precise = value.scaleb(digits) != value.scaleb(digits).to_integral_value()
    if too_precise or (digits == 0 and mark in text and isinstance(typed_decimals, int) and typed_decimals < 0):
        if currency in WHOLE_UNITS_ONLY:
            places = "whole units only (Stripe takes no fractions of them)"
        else:
            places = "no decimal places" if digits == 0 else f"at most {digits} decimal places"
        raise MoneyError(
            f"{currency.upper()} amounts have {places}. Type “{text.strip()}” like {example(currency, locale)}."
        )
    amount = int(value.scaleb(exponent(currency)))
    if amount > MAX_AMOUNT:
        raise MoneyError(f"The amount is too large (at most {format_money(MAX_AMOUNT, currency, locale)}).")
    return amount


def check_card_amount(amount: int, currency: str) -> None:
    """Refuse, before Stripe would, a card amount below the minimum, not a whole multiple of 10 in
    a three-decimal currency (Stripe needs the last digit to be 0 there), or with fractions of a
    whole-units-only currency (ISK)."""
    if amount <= 0:
        raise MoneyError("The amount must be more than zero.")
    minimum = card_minimum(currency)
    if minimum is not None and amount < minimum:
        raise MoneyError(f"The smallest card payment in {currency.upper()} is {format_money(minimum, currency)}.")
    if currency in THREE_DECIMAL and amount % 10:
        raise MoneyError(f"Card payments in {currency.upper()} must end in 0 (like {format_decimal(10, currency)}).")
    if currency in WHOLE_UNITS_ONLY and amount % 100:
        raise MoneyError(f"Card payments in {currency.upper()} are whole units only.")
