"""Currency rules the simulator enforces: minimum charge amounts and minor-unit exponents (FACTS.md)."""

from __future__ import annotations

from kiosk.money.amounts import CARD_MINIMUMS, THREE_DECIMAL, exponent
from kiosk.simulator.errors import invalid

# Stripe's own rules, written down once in kiosk.money (a stdlib-only module) and shared with the
# kiosk: the simulator must refuse exactly what the kiosk refuses before it ever calls Stripe.
MINIMUM_CHARGE = CARD_MINIMUMS
DEFAULT_MINIMUM = 50


def format_amount(amount: int, currency: str) -> str:
    """``50, "usd"`` -> ``"0.50 usd"``: how Stripe's messages spell an amount."""
    digits = exponent(currency)
    major = f"{amount / 10**digits:.{digits}f}" if digits else str(amount)
    return f"{major} {currency}"


def normalize_currency(currency: str, param: str = "currency") -> str:
    code = currency.lower()
    if len(code) != 3 or not code.isalpha():
        raise invalid(f"Invalid currency: {currency}.", param=param)
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
