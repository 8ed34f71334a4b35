"""Domain errors of the payments engine: what went wrong, in terms the engine can act on.

The gateway maps Stripe's errors onto these (by `code` and HTTP status, never by message text), so
the state machine and the routes never see an SDK exception.
"""

from __future__ import annotations


class PaymentError(Exception):
    """Base of every payments error; `code` is Stripe's error code when there is one."""

    def __init__(self, message: str, code: str | None = None, decline_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.decline_code = decline_code


class ReaderBusy(PaymentError):
    """The reader is running another action (maybe another till's): never cancel it blindly."""


class ReaderOffline(PaymentError):
    """The reader has not been seen for a while: it cannot take a payment now."""


class ReaderTimeout(PaymentError):
    """The reader did not answer in time; it may nevertheless have received the command."""


class ReaderError(PaymentError):
    """Any other reader refusal (hardware fault, wrong location...)."""


class IntentInvalidState(PaymentError):
    """The PaymentIntent is not in a state for this step (already authorized, captured, canceled)."""


class CardDeclined(PaymentError):
    """The card was declined (a 402 from the API)."""


class StripeUnavailable(PaymentError):
    """Stripe could not be reached or answered 5xx, even after the SDK's retries."""


class RateLimited(PaymentError):
    """Stripe answered 429: too many requests; ask again a little later."""


class StripeRejected(PaymentError):
    """Stripe refused the request itself (bad parameters, keys, idempotency misuse): a bug or setup."""


class NotConfigured(PaymentError):
    """No Stripe key is configured, so card payments are unavailable."""


class PaymentNotAllowed(PaymentError):
    """The cashier asked for something the payment's state does not allow (e.g. retry a success)."""
