"""Currency rules the simulator enforces: minimum charge amounts and minor-unit exponents (FACTS.md)."""

from __future__ import annotations

from kiosk.money.amounts import exponent
from kiosk.money.catalog import (
    SETTLEMENT_MINIMUMS,
    STRIPE_CURRENCIES,
    THREE_DECIMAL,
    US_PRESENTMENT,
    WHOLE_UNITS_ONLY,
)
from kiosk.simulator.errors import invalid

# Stripe's own rules, written down once in kiosk.money.catalog and shared with the kiosk: the
# simulator must refuse exactly what the kiosk refuses before it ever calls Stripe.
MINIMUM_CHARGE = SETTLEMENT_MINIMUMS
# The simulated account settles in USD: a charge in a currency without a published minimum must be
# worth $0.50. The simulator has no exchange rates, so it applies 50 minor units (Stripe converts).
DEFAULT_MINIMUM = 50


def format_amount(amount: int, currency: str) -> str:
    """``50, "usd"`` -> ``"0.50 usd"``: how Stripe's messages spell an amount."""
    digits = exponent(currency)
    major = f"{amount / 10**digits:.{digits}f}" if digits else str(amount)
    return f"{major} {currency}"


# Every currency Stripe charges in; anything else is no currency Stripe knows.
KNOWN = frozenset(STRIPE_CURRENCIES)


def normalize_currency(currency: str, param: str = "currency") -> str:
    """The lower-case code, or Stripe's 400 for a code it does not know (``xyz``)."""
    code = currency.lower()
    if code not in KNOWN:
        raise invalid(
            f"Invalid currency: {code}. Stripe currently supports these currencies: {', '.join(US_PRESENTMENT)}",
            param=param,
        )
    return code


def check_amount(amount: int, currency: str, param: str = "amount") -> None:
    """Refuse what Stripe refuses: below the currency's minimum, or a 3-decimal amount not ending in 0."""
    minimum = MINIMUM_CHARGE.get(currency, DEFAULT_MINIMUM)
    if amount < minimum:
        raise invalid(
            f"Amount must be at least {format_amount(minimum, currency)}",
            code="amount_too_small",
            param=param,
        )
    if currency in THREE_DECIMAL and amount % 10:
        raise invalid(
            f"Amounts in {currency} must be multiples of 10 (the last digit must be 0).",
            code="invalid_charge_amount",
            param=param,
        )
    if currency in WHOLE_UNITS_ONLY and amount % 100:
        raise invalid(
            f"Invalid amount. Currency {currency.upper()} has become effectively zero-decimal and charged amounts "
            "must be evenly divisible by 100. See https://stripe.com/docs/currencies#special-cases for more "
            "information.",
            code="invalid_charge_amount_no_decimal_compatible",
            param=param,
        )
