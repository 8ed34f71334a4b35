"""Every currency Stripe charges in, with its decimals and minimum, and Terminal's currency per country.

Data only, from Stripe's docs (https://docs.stripe.com/currencies, summed up in
/work/shared/stripe/FACTS.md), shared by the kiosk and the embedded Stripe (kiosk/simulator), so
both refuse the same amounts.

- Decimals are the exponent of the API's minor units: 2 unless listed as zero- or three-decimal.
- Special cases (Stripe's "special cases" section): ISK stays two-decimal in the API but Stripe
  takes whole krónur only since 14 April 2023 (amounts divisible by 100, else
  `invalid_charge_amount_no_decimal_compatible`); HUF and TWD are charged with two decimals (only
  their payouts are whole units, which the kiosk never makes); three-decimal card amounts end in 0.
- Minimums: Stripe publishes a minimum charge for its settlement currencies (the table below). A
  charge in any other currency must be worth at least the minimum of the account's settlement
  currency *at the day's exchange rate*: no fixed figure exists, so the kiosk stores none (None),
  says so on the Currencies page, and lets an admin set the kiosk's own floor; Stripe still answers
  `amount_too_small` below the converted figure.
- Terminal: "the Stripe account receiving the funds and the location associated with the reader must
  be in the same country, accepting local currency only"
  (https://docs.stripe.com/terminal/payments/regional). Saved cards (card-not-present) are not
  bound by this and may be charged in any currency below.
"""

from __future__ import annotations

ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
# Two decimals in the API, whole units only: amounts must be divisible by 100.
WHOLE_UNITS_ONLY = frozenset({"isk"})

# Stripe's presentment currencies: a US account's list, in Stripe's order (usd first), and the
# three-decimal currencies that accounts in other countries present.
_PRESENTMENT = (
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn bzd cad "
    "cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd "
    "hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd "
    "mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln pyg qar ron rsd "
    "rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd "
    "vuv wst xaf xcd xof xpf yer zar zmw"
)
US_PRESENTMENT: tuple[str, ...] = tuple(_PRESENTMENT.split())
STRIPE_CURRENCIES: tuple[str, ...] = tuple(sorted(set(US_PRESENTMENT) | THREE_DECIMAL))

# Stripe's minimum charge per settlement currency, in minor units; below it: amount_too_small.
SETTLEMENT_MINIMUMS: dict[str, int] = {
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

# The one currency Terminal takes card-present in each country it is available in.
TERMINAL_CURRENCY: dict[str, str] = {
    "US": "usd",
    "CA": "cad",
    "MX": "mxn",
    "GB": "gbp",
    "AU": "aud",
    "NZ": "nzd",
    "SG": "sgd",
    "MY": "myr",
    "CH": "chf",
    "CZ": "czk",
    "DK": "dkk",
    "NO": "nok",
    "SE": "sek",
    **dict.fromkeys(("AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PT"), "eur"),
}


def decimals(currency: str) -> int:
    """The exponent of the API's minor units: 0 for JPY, 3 for KWD, 2 for the rest (ISK too)."""
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


def is_stripe_currency(currency: str) -> bool:
    return currency in STRIPE_CURRENCIES
