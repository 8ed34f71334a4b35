"""Currency rules the simulator enforces: minimum charge amounts and minor-unit exponents (FACTS.md)."""

from __future__ import annotations

from kiosk.money.amounts import CARD_MINIMUMS, THREE_DECIMAL, ZERO_DECIMAL, exponent
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


# The presentment currencies of a US account, in the order Stripe lists them in its "Invalid currency"
# message (https://docs.stripe.com/currencies, US: usd first, then alphabetical).
_US_CODES = (
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn bzd cad "
    "cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd "
    "hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd "
    "mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln pyg qar ron rsd "
    "rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd "
    "vuv wst xaf xcd xof xpf yer zar zmw"
)
US_PRESENTMENT = tuple(_US_CODES.split())
# Every currency the simulator takes: the US list and the ones the kiosk's money rules know (the
# three-decimal currencies other accounts present). Anything else is no currency Stripe knows.
KNOWN = frozenset(US_PRESENTMENT) | frozenset(MINIMUM_CHARGE) | ZERO_DECIMAL | THREE_DECIMAL


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
