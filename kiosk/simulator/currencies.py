"""Currency rules the simulator enforces: minimum charge amounts and minor-unit exponents (FACTS.md)."""

from __future__ import annotations

from kiosk.simulator.errors import invalid

# Smallest chargeable amount in minor units; currencies not listed fall back to DEFAULT_MINIMUM.
MINIMUM_CHARGE = {
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
DEFAULT_MINIMUM = 50

ZERO_DECIMAL = frozenset(
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
)
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


def exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


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
