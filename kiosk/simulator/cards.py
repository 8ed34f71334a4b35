"""Stripe's Terminal test cards and amount endings: which tap approves, which declines and why.

Sources: FACTS.md ("Test data (simulated readers)"). A decline card wins over the amount; an
approving card is declined when the amount's last two digits are a decline ending.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from kiosk.simulator.errors import invalid

DEFAULT_CARD = "4242424242424242"
INTERAC_CARD = "4506445006931933"

# (number, label) for the virtual reader's buttons.
TEST_CARDS: list[tuple[str, str]] = [
    ("4242424242424242", "Visa (approved)"),
    ("5555555555554444", "Mastercard (approved)"),
    ("378282246310005", "American Express (approved)"),
    ("6011111111111117", "Discover (approved)"),
    ("3566002020360505", "JCB (approved)"),
    ("36227206271667", "Diners Club (approved)"),
    ("6200000000000005", "UnionPay (approved)"),
    ("4000000000000002", "Declined: generic decline"),
    ("4000000000009995", "Declined: insufficient funds"),
    ("4000000000009987", "Declined: lost card"),
    ("4000000000009979", "Declined: stolen card"),
    ("4000000000000069", "Declined: expired card"),
    ("4000000000000119", "Declined: processing error"),
    (INTERAC_CARD, "Interac (Canada)"),
    # Saved-card test cards (kiosk/simulator/off_session.py): they pay on the reader like any Visa.
    ("4000000000000341", "Visa: saves, later charges declined"),
    ("4000002760003184", "Visa: saves, later charges need authentication"),
]

# number -> decline_code
DECLINE_CARDS = {
    "4000000000000002": "generic_decline",
    "4000000000009995": "insufficient_funds",
    "4000000000009987": "lost_card",
    "4000000000009979": "stolen_card",
    "4000000000000069": "expired_card",
    "4000000000000119": "processing_error",
}

# amount % 100 -> decline_code
DECLINE_ENDINGS = {
    1: "call_issuer",
    3: "online_or_offline_pin_required",
    5: "generic_decline",
    55: "incorrect_pin",
    65: "withdrawal_count_limit_exceeded",
    75: "pin_try_exceeded",
}

# Stripe's error ``code`` for a decline is card_declined except for these two.
_CODE_FOR_DECLINE = {"expired_card": "expired_card", "processing_error": "processing_error"}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "call_issuer": "Your card was declined. Please contact your card issuer.",
    "online_or_offline_pin_required": "Your card was declined. The card requires a PIN.",
    "incorrect_pin": "Your card was declined. The PIN entered is incorrect.",
    "withdrawal_count_limit_exceeded": "Your card was declined. The card has exceeded its withdrawal limit.",
    "pin_try_exceeded": "Your card was declined. The allowed number of PIN tries was exceeded.",
}

# First digits -> (brand, funding); longest prefix wins.
_BRANDS = [
    ("4506", "interac", "debit"),
    ("34", "amex", "credit"),
    ("37", "amex", "credit"),
    ("51", "mastercard", "credit"),
    ("52", "mastercard", "credit"),
    ("53", "mastercard", "credit"),
    ("54", "mastercard", "credit"),
    ("55", "mastercard", "credit"),
    ("2", "mastercard", "credit"),
    ("6011", "discover", "credit"),
    ("35", "jcb", "credit"),
    ("30", "diners", "credit"),
    ("36", "diners", "credit"),
    ("38", "diners", "credit"),
    ("62", "unionpay", "credit"),
    ("65", "discover", "credit"),
    ("4", "visa", "credit"),
]

_APPLICATION_NAMES = {
    "visa": ("Visa Credit", "A0000000031010"),
    "mastercard": ("Mastercard", "A0000000041010"),
    "amex": ("American Express", "A00000002501"),
    "discover": ("Discover", "A0000001523010"),
    "interac": ("Interac", "A0000002771010"),
    "jcb": ("JCB", "A0000000651010"),
    "diners": ("Diners Club", "A0000001523010"),
    "unionpay": ("UnionPay", "A000000333010101"),
}


@dataclass(frozen=True)
class Card:
    """A card as the reader reads it: only what Stripe reports back (brand, last4, expiry)."""

    number: str
    brand: str
    funding: str

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass(frozen=True)
class Decline:
    code: str  # Stripe's error code: card_declined | expired_card | processing_error
    decline_code: str
    message: str


def read_card(number: str, param: str = "card_present[number]") -> Card:
    """The card behind a test number; anything that is not a plausible card number is refused."""
    digits = number.replace(" ", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not _luhn_ok(digits):
        raise invalid("Your card number is incorrect.", code="incorrect_number", param=param)
    for prefix, brand, funding in sorted(_BRANDS, key=lambda row: -len(row[0])):
        if digits.startswith(prefix):
            return Card(digits, brand, funding)
    return Card(digits, "unknown", "unknown")


def outcome(card: Card, amount: int) -> Decline | None:
    """None when the issuer approves ``amount`` on ``card``, else the decline it answers."""
    decline_code = DECLINE_CARDS.get(card.number) or DECLINE_ENDINGS.get(amount % 100)
    if decline_code is None:
        return None
    code = _CODE_FOR_DECLINE.get(decline_code, "card_declined")
    return Decline(code, decline_code, DECLINE_MESSAGES[decline_code])


def receipt(card: Card, approved: bool) -> dict[str, str | None]:
    """The EMV fields a printed Terminal receipt shows (values random but well-formed)."""
    name, aid = _APPLICATION_NAMES.get(card.brand, (card.brand.title(), "A0000000000000"))
    return {
        "account_type": "credit" if card.funding == "credit" else "checking",
        "application_cryptogram": secrets.token_hex(8).upper(),
        "application_preferred_name": name,
        "authorization_code": f"{secrets.randbelow(1_000_000):06d}" if approved else None,
        "authorization_response_code": "3030" if approved else "3035",
        "cardholder_verification_method": "none",
        "dedicated_file_name": aid,
        "terminal_verification_results": "0000008000" if approved else "0000048000",
        "transaction_status_information": "0000",
    }


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
