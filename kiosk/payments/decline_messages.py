"""Plain-language reasons for the cashier, from Stripe's decline and failure codes.

Codes, never Stripe's message text, choose the sentence (Stripe's `message` may change at any
time). Reference: https://docs.stripe.com/declines/codes and the Terminal error codes.
"""

from __future__ import annotations

# Stripe's code for a reader it calls offline: noted on a payment refused at the start (declined, never
# charged) or whose reader went offline with the payment on it (still on_reader).
READER_OFFLINE = "terminal_reader_offline"
# Stripe's code for a reader that did not answer: a reader that lost power or network is shown online
# by Stripe for up to 2 minutes, and commands sent to it meanwhile time out. Noted on a payment whose
# sending timed out twice while the reader, read after each, did not have it (declined, never charged).
READER_TIMEOUT = "terminal_reader_timeout"
ASK_ANOTHER_CARD = "Ask for another card or another way to pay."

# Issuer decline codes (charge.outcome / last_payment_error.decline_code).
DECLINES: dict[str, str] = {
    "insufficient_funds": "Not enough money on the card. " + ASK_ANOTHER_CARD,
    "expired_card": "The card has expired. " + ASK_ANOTHER_CARD,
    "lost_card": "The card was reported lost. Do not hand it back; " + ASK_ANOTHER_CARD.lower(),
    "stolen_card": "The card was reported stolen. Do not hand it back; " + ASK_ANOTHER_CARD.lower(),
    "pickup_card": "The bank asks to keep the card. " + ASK_ANOTHER_CARD,
    "incorrect_pin": "Wrong PIN. The customer may try again.",
    "invalid_pin": "Wrong PIN. The customer may try again.",
    "pin_try_exceeded": "Too many wrong PINs; the card is locked for now. " + ASK_ANOTHER_CARD,
    "offline_pin_required": "This card needs its PIN: try again and let the customer insert the card.",
    "online_or_offline_pin_required": "This card needs its PIN: try again and let the customer insert the card.",
    "call_issuer": "The bank declined it and asks the customer to call them. " + ASK_ANOTHER_CARD,
    "do_not_honor": "The bank declined it without a reason. " + ASK_ANOTHER_CARD,
    "generic_decline": "The bank declined it without a reason. " + ASK_ANOTHER_CARD,
    "card_declined": "The card was declined. " + ASK_ANOTHER_CARD,
    "withdrawal_count_limit_exceeded": "The card's spending limit is reached. " + ASK_ANOTHER_CARD,
    "card_velocity_exceeded": "The card's spending limit is reached. " + ASK_ANOTHER_CARD,
    "card_not_supported": "This card cannot be used for this purchase. " + ASK_ANOTHER_CARD,
    "currency_not_supported": "This card cannot pay in this currency. " + ASK_ANOTHER_CARD,
    "fraudulent": "The payment was blocked as possibly fraudulent. " + ASK_ANOTHER_CARD,
    "processing_error": "The card could not be processed. Try again.",
    "try_again_later": "The bank could not answer. Try again in a moment.",
    "issuer_not_available": "The bank could not be reached. Try again in a moment.",
    "reenter_transaction": "The bank asks to try again.",
    "duplicate_transaction": "The bank saw the same payment just now and refused a duplicate.",
    "restricted_card": "This card is restricted. " + ASK_ANOTHER_CARD,
    "transaction_not_allowed": "The bank does not allow this kind of payment on this card. " + ASK_ANOTHER_CARD,
    "not_permitted": "The bank does not allow this payment. " + ASK_ANOTHER_CARD,
    "invalid_account": "The card's account is not valid. " + ASK_ANOTHER_CARD,
    "invalid_amount": "The bank refused this amount. Check the amount.",
    "approve_with_id": "The bank could not approve it right now. Try again.",
    "security_violation": "The bank declined it for security reasons. " + ASK_ANOTHER_CARD,
    "testmode_decline": "A test card was used: it cannot pay real money.",
    # A saved card charged without the card present (off-session): the bank wants the cardholder.
    "authentication_required": "The bank wants the customer to confirm this payment, which needs the card: "
    "take it on the reader instead.",
}

# Reader and action failures (action.failure_code, API error codes) and the kiosk's own.
FAILURES: dict[str, str] = {
    "customer_canceled": "The customer canceled on the reader.",
    # Only once the intent was read back and Stripe shows nothing taken (CHECKING says the wait before).
    "connection_error": "The reader lost its connection during the payment; Stripe shows the card was not charged. "
    "Try again.",
    "terminal_reader_busy": "The reader is busy with something else. Choose another reader or try again.",
    "kiosk_reader_leased": "Another till is using this reader. Choose another reader.",
    "terminal_reader_offline": "The reader is offline. Check its power and network, or choose another reader.",
    "terminal_reader_timeout": "The reader did not answer. Try again or choose another reader.",
    "terminal_reader_hardware_fault": "The reader reported a hardware fault. Choose another reader.",
    "terminal_reader_invalid_location_for_payment": "This reader cannot take payments here. Choose another.",
    "action_canceled": "The payment was canceled on the reader. Try again or cancel it.",
    "not_sent": "The payment did not reach the reader; nothing was charged. Try again.",
}

# While the engine re-reads the PaymentIntent after the reader's failure: nothing is known yet.
CHECKING: dict[str, str] = {
    "connection_error": "The reader lost its connection during the payment. The kiosk is checking with Stripe "
    "whether the card was charged: do not take another payment for this receipt yet.",
}

UNKNOWN = "The payment did not go through. Try again or choose another way to pay."


def cashier_message(failure_code: str | None, decline_code: str | None) -> str:
    """The sentence shown to the cashier; the decline code wins over the generic failure code."""
    if decline_code and decline_code in DECLINES:
        return DECLINES[decline_code]
    if failure_code in FAILURES:
        return FAILURES[failure_code]
    if failure_code in DECLINES:
        return DECLINES[failure_code]
    return UNKNOWN


def reader_offline_refusal(label: str) -> str:
    """Stripe refused to send the payment to an offline reader: nothing reached it."""
    return (
        f"The reader is offline: {label} did not get the payment, so nothing was charged. Check its power and "
        "network, or choose another reader."
    )


def reader_offline_wait(label: str) -> str:
    """Our payment waits on a reader that went offline."""
    return (
        f"{label} went offline during the payment; Stripe shows nothing charged. It goes on when the reader "
        "reconnects (check its power and network), or cancel it: the kiosk cancels it at Stripe."
    )


def reader_silent_refusal(label: str) -> str:
    """The reader did not answer, twice, and does not have the payment: nothing reached it."""
    return (
        f"{label} did not answer: check it is powered on and connected. The payment never reached it, so "
        "nothing was charged. Try again, or choose another reader."
    )
