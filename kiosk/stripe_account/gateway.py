"""The only module that talks to Stripe: typed calls, idempotency keys, errors mapped to the domain.

Async by choice: the SDK's `*_async` methods over its httpx client run on the server's own event
loop, so a reader waiting on Stripe holds no worker thread, the reconciler and the request handlers
share one connection pool, and cancelling a request cancels its Stripe call. (The sync SDK in
`to_thread` would park a thread per in-flight call.) A gateway therefore belongs to one event loop:
the app builds it in its lifespan, tests build one per test.

Every POST carries the idempotency key the caller derives from the payment and the step, so the
SDK's own retries (`max_network_retries`) and our retries after a crash replay instead of charging
twice. Params are the SDK's TypedDicts: mypy checks each call against Stripe's spec.

Every reader Stripe returns (and every reader Stripe calls offline) is reported to `reader_news`,
which keeps the reader picker's snapshot current without listing readers again
(kiosk/readers/snapshot.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote_plus

import msgspec
import stripe
from stripe.params import (
    ChargeListParams,
    PaymentIntentCancelParams,
    PaymentIntentCaptureParams,
    PaymentIntentCreateParams,
    PaymentIntentRetrieveParams,
    RefundCreateParams,
    RefundListParams,
)
from stripe.params.terminal import (
    ReaderCollectPaymentMethodParams,
    ReaderConfirmPaymentIntentParams,
    ReaderListParams,
    ReaderProcessPaymentIntentParams,
    ReaderRefundPaymentParams,
    ReaderSetReaderDisplayParams,
    ReaderSetReaderDisplayParamsCart,
    ReaderSetReaderDisplayParamsCartLineItem,
)

from kiosk.config import Settings
from kiosk.stripe_account import errors
from kiosk.stripe_account.customer_gateway import CustomerCalls, ReaderTaskCalls
from kiosk.stripe_account.day_objects import DayCharge, DayRefund, charge_from, day_refund_from
from kiosk.stripe_account.http_client import LeanHTTPXClient
from kiosk.stripe_account.objects import (
    EventInfo,
    IntentInfo,
    ReaderInfo,
    RefundInfo,
    event_from,
    intent_from,
    reader_from,
    refund_from,
)
from kiosk.stripe_account.sdk_logging import install as quiet_sdk_logging
from kiosk.stripe_account.signature import verify as signature_check

# The SDK formats its log lines only when they are wanted (kiosk/stripe_account/sdk_logging.py).
quiet_sdk_logging()

T = TypeVar("T")
# What a reader's screen shows between payments (set_reader_display), as the SDK types it.
Cart = ReaderSetReaderDisplayParamsCart
CartLine = ReaderSetReaderDisplayParamsCartLineItem

# Seconds before an HTTP call to Stripe gives up (the SDK then retries with the same key).
HTTP_TIMEOUT_SECONDS = 20.0
MAX_NETWORK_RETRIES = 2
# A signed event older than this is refused (replay protection), as Stripe's own helper does.
WEBHOOK_TOLERANCE_SECONDS = 300

_READER_CODES: dict[str, type[errors.PaymentError]] = {
    "terminal_reader_busy": errors.ReaderBusy,
    "terminal_reader_offline": errors.ReaderOffline,
    "terminal_reader_timeout": errors.ReaderTimeout,
    "intent_invalid_state": errors.IntentInvalidState,
    "payment_intent_unexpected_state": errors.IntentInvalidState,
}


class InvalidSignature(Exception):
    """A webhook whose Stripe-Signature does not match its raw body (or is too old)."""


class ReaderNews(Protocol):
    """Told what Stripe said about a reader, and when it was asked (kiosk/readers/snapshot.py)."""

    async def seen(self, reader: ReaderInfo, observed_at: datetime) -> None: ...

    async def offline(self, reader_id: str, observed_at: datetime) -> None: ...


def map_error(exc: stripe.StripeError) -> errors.PaymentError:
    """Stripe's error → the domain's, by `code` and class (never by message text)."""
    message = exc.user_message or str(exc)
    code = exc.code
    decline_code = getattr(exc.error, "decline_code", None) if exc.error else None
    if code in _READER_CODES:
        return _READER_CODES[code](message, code)
    if code and code.startswith("terminal_reader_"):
        return errors.ReaderError(message, code)
    if isinstance(exc, stripe.CardError):
        return errors.CardDeclined(message, code, decline_code)
    if isinstance(exc, stripe.RateLimitError):
        return errors.RateLimited(message, code)
    if isinstance(exc, stripe.APIConnectionError | stripe.APIError) or (exc.http_status or 0) >= 500:
        return errors.StripeUnavailable(message, code)
    return errors.StripeRejected(message, code)


class StripeGateway(CustomerCalls, ReaderTaskCalls):
    """Typed, idempotent Stripe calls returning the engine's own view of Stripe's objects."""

    def __init__(
        self,
        key: str,
        *,
        api_base: str | None = None,
        webhook_secret: str | None = None,
        max_network_retries: int = MAX_NETWORK_RETRIES,
        reader_news: ReaderNews | None = None,
    ) -> None:
        """`api_base` points at the simulator (or any Stripe-compatible API); None is Stripe itself."""
        self._http = LeanHTTPXClient(timeout=HTTP_TIMEOUT_SECONDS)
        self._client = stripe.StripeClient(
            key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=self._http,
        )
        self._webhook_secret = webhook_secret
        self._reader_news = reader_news

    @classmethod
    def from_settings(cls, settings: Settings, reader_news: ReaderNews | None) -> StripeGateway | None:
        """None when no secret key is configured (card payments then say what is missing). The
        payments pass the reader snapshot as `reader_news` (kiosk/readers/snapshot.py)."""
        if not settings.stripe_secret_key:
            return None
        return cls(
            settings.stripe_secret_key,
            api_base=settings.stripe_api_base,
            webhook_secret=settings.stripe_webhook_secret,
            reader_news=reader_news,
        )

    async def _call(self, request: Awaitable[T]) -> T:
        try:
            return await request
        except stripe.StripeError as exc:
            raise map_error(exc) from exc

    async def _post(self, path: str, params: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]:
        """A POST of a sale's own calls, answered as a plain dict: the SDK's request (its encoding,
        headers, retries with the key, errors), without building a StripeObject from the answer only
        to turn it back into a dict (`params` are typed by the caller with the SDK's own TypedDicts)."""
        answer = await self._call(
            self._client.raw_request_async("post", path, **params, idempotency_key=idempotency_key)
        )
        data: dict[str, Any] = answer.data
        return data

    async def _reader_call(self, reader_id: str, request: Awaitable[Any], *, report: bool = True) -> ReaderInfo:
        """A call answered with the reader: what it says (or that it is offline) goes to `reader_news`
        (without `report`, only that it is offline: the caller records the answer in its own transaction)."""
        asked = datetime.now(UTC)
        try:
            answer = await self._call(request)
            reader = reader_from(answer if isinstance(answer, dict) else answer.to_dict())
        except errors.ReaderOffline:
            if self._reader_news:
                await self._reader_news.offline(reader_id, asked)
            raise
        if self._reader_news and report:
            await self._reader_news.seen(reader, asked)
        return reader

    async def list_readers(self, location_id: str) -> list[ReaderInfo]:
        """Every reader of a location (the caller keeps the snapshot: kiosk/readers/snapshot.py).
        https://docs.stripe.com/api/terminal/readers/list"""
        readers: list[ReaderInfo] = []
        params: ReaderListParams = {"location": location_id, "limit": 100}
        while True:
            page = await self._call(self._client.v1.terminal.readers.list_async(params))
            readers.extend(reader_from(r.to_dict()) for r in page.data)
            if not page.has_more or not page.data:
                break
            params = {"location": location_id, "limit": 100, "starting_after": page.data[-1].id}
        return readers

    async def retrieve_reader(self, reader_id: str) -> ReaderInfo:
        """https://docs.stripe.com/api/terminal/readers/retrieve"""
        return await self._reader_call(reader_id, self._client.v1.terminal.readers.retrieve_async(reader_id))

    async def create_intent(
        self,
        *,
        amount: int,
        currency: str,
        capture_method: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
        customer: str | None = None,
        receipt_email: str | None = None,
        save_card: bool = False,
        saved_card: str | None = None,
    ) -> IntentInfo:
        """A card_present PaymentIntent, or with `saved_card` one charged off-session on a saved card
        and confirmed at once. `receipt_email`: Stripe emails its receipt; `save_card` (with
        `customer`): the card tapped is saved as the charge's `generated_card`.
        https://docs.stripe.com/api/payment_intents/create"""
        if saved_card:
            return await self._create_off_session(
                amount, currency, metadata, description, idempotency_key, customer, receipt_email, saved_card
            )
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": currency,
            # Interac cards are present-only in Canada; Stripe wants both types there. (API 2026-10-28
            # names this `allowed_payment_method_types`; older versions said `payment_method_types`.)
            "allowed_payment_method_types": ["card_present", "interac_present"]
            if currency == "cad"
            else ["card_present"],
            "capture_method": "manual" if capture_method == "manual" else "automatic",
            "metadata": metadata,
            "description": description,
        }
        if customer:
            params["customer"] = customer
        if receipt_email:
            params["receipt_email"] = receipt_email
        if save_card and customer:
            params["setup_future_usage"] = "off_session"
        return intent_from(await self._post("/v1/payment_intents", params, idempotency_key))

    async def _create_off_session(
        self,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
        customer: str | None,
        receipt_email: str | None,
        saved_card: str,
    ) -> IntentInfo:
        """https://docs.stripe.com/payments/save-and-reuse#charge-saved-payment-method"""
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": currency,
            "allowed_payment_method_types": ["card"],
            "payment_method": saved_card,
            "off_session": True,
            "confirm": True,
            "metadata": metadata,
            "description": description,
            "expand": ["latest_charge"],
        }
        if customer:
            params["customer"] = customer
        if receipt_email:
            params["receipt_email"] = receipt_email
        intents = self._client.v1.payment_intents
        intent = await self._call(intents.create_async(params, {"idempotency_key": idempotency_key}))
        return intent_from(intent.to_dict())

    async def retrieve_intent(self, intent_id: str) -> IntentInfo:
        """The intent with its latest charge (card details). https://docs.stripe.com/api/payment_intents/retrieve"""
        params: PaymentIntentRetrieveParams = {"expand": ["latest_charge"]}
        intent = (await self._call(self._client.v1.payment_intents.retrieve_async(intent_id, params))).to_dict()
        info = intent_from(intent)
        if info.card is None and info.charge_id and info.status in {"succeeded", "requires_capture"}:
            # A Stripe that ignores `expand` still answers the charge on its own endpoint.
            charge = await self._call(self._client.v1.charges.retrieve_async(info.charge_id))
            info = intent_from(intent, charge.to_dict())
        return info

    async def process_on_reader(
        self,
        reader_id: str,
        intent_id: str,
        *,
        customer_cancellation: bool,
        idempotency_key: str,
        tipping: bool = False,
        report: bool = True,
    ) -> ReaderInfo:
        """Hand the intent to the reader; a 200 only means the reader took the action. Without
        `tipping` the reader skips its tip screen (`skip_tipping`), whatever the location's
        configuration says. `report`: as `_reader_call`.
        https://docs.stripe.com/api/terminal/readers/process_payment_intent"""
        params: ReaderProcessPaymentIntentParams = {
            "payment_intent": intent_id,
            "process_config": {"enable_customer_cancellation": customer_cancellation, "skip_tipping": not tipping},
        }
        path = f"/v1/terminal/readers/{quote_plus(reader_id)}/process_payment_intent"
        return await self._reader_call(reader_id, self._post(path, params, idempotency_key), report=report)

    async def collect_on_reader(
        self,
        reader_id: str,
        intent_id: str,
        *,
        customer_cancellation: bool,
        idempotency_key: str,
        tipping: bool = False,
        report: bool = True,
    ) -> ReaderInfo:
        """Step one of two: the reader reads a card for the intent and charges nothing; the action
        ends with the card's PaymentMethod (brand, last4) and the intent `requires_confirmation`.
        Without `tipping` the reader skips its tip screen, as in one step. `report`: as `_reader_call`.
        https://docs.stripe.com/api/terminal/readers/collect_payment_method"""
        params: ReaderCollectPaymentMethodParams = {
            "payment_intent": intent_id,
            "collect_config": {"enable_customer_cancellation": customer_cancellation, "skip_tipping": not tipping},
        }
        path = f"/v1/terminal/readers/{quote_plus(reader_id)}/collect_payment_method"
        return await self._reader_call(reader_id, self._post(path, params, idempotency_key), report=report)

    async def confirm_on_reader(self, reader_id: str, intent_id: str, *, idempotency_key: str) -> ReaderInfo:
        """Step two: authorize the card the reader collected for the intent.
        https://docs.stripe.com/api/terminal/readers/confirm_payment_intent"""
        params: ReaderConfirmPaymentIntentParams = {"payment_intent": intent_id}
        readers = self._client.v1.terminal.readers
        options: stripe.RequestOptions = {"idempotency_key": idempotency_key}
        return await self._reader_call(reader_id, readers.confirm_payment_intent_async(reader_id, params, options))

    async def retrieve_collected(self, intent_id: str) -> IntentInfo:
        """The intent with the card collected for it (`payment_method` expanded: its brand).
        https://docs.stripe.com/api/payment_intents/retrieve"""
        params: PaymentIntentRetrieveParams = {"expand": ["payment_method"]}
        intent = await self._call(self._client.v1.payment_intents.retrieve_async(intent_id, params))
        return intent_from(intent.to_dict())

    async def set_reader_display(self, reader_id: str, cart: Cart, *, idempotency_key: str) -> ReaderInfo:
        """Show a cart on the reader's screen (display only: it charges nothing).
        https://docs.stripe.com/api/terminal/readers/set_reader_display"""
        params: ReaderSetReaderDisplayParams = {"type": "cart", "cart": cart}
        readers = self._client.v1.terminal.readers
        options: stripe.RequestOptions = {"idempotency_key": idempotency_key}
        return await self._reader_call(reader_id, readers.set_reader_display_async(reader_id, params, options))

    async def refund_on_reader(
        self, reader_id: str, intent_id: str, *, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> ReaderInfo:
        """An in-person refund (Interac): the customer taps the card that paid; the refund is made
        then, and the action's webhook says so. https://docs.stripe.com/api/terminal/readers/refund_payment"""
        params: ReaderRefundPaymentParams = {
            "payment_intent": intent_id,
            "amount": amount,
            "metadata": metadata,
            "refund_payment_config": {"enable_customer_cancellation": True},
        }
        readers = self._client.v1.terminal.readers
        options: stripe.RequestOptions = {"idempotency_key": idempotency_key}
        return await self._reader_call(reader_id, readers.refund_payment_async(reader_id, params, options))

    async def cancel_action(self, reader_id: str, *, idempotency_key: str) -> ReaderInfo:
        """https://docs.stripe.com/api/terminal/readers/cancel_action"""
        readers = self._client.v1.terminal.readers
        options: stripe.RequestOptions = {"idempotency_key": idempotency_key}
        return await self._reader_call(reader_id, readers.cancel_action_async(reader_id, None, options))

    async def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> IntentInfo:
        """https://docs.stripe.com/api/payment_intents/cancel"""
        params: PaymentIntentCancelParams = {"cancellation_reason": "abandoned"}
        intents = self._client.v1.payment_intents
        intent = await self._call(intents.cancel_async(intent_id, params, {"idempotency_key": idempotency_key}))
        return intent_from(intent.to_dict())

    async def capture_intent(self, intent_id: str, *, idempotency_key: str) -> IntentInfo:
        """https://docs.stripe.com/api/payment_intents/capture"""
        params: PaymentIntentCaptureParams = {"expand": ["latest_charge"]}
        intents = self._client.v1.payment_intents
        intent = await self._call(intents.capture_async(intent_id, params, {"idempotency_key": idempotency_key}))
        return intent_from(intent.to_dict())

    async def create_refund(
        self, intent_id: str, *, amount: int, reason: str, metadata: dict[str, str], idempotency_key: str
    ) -> RefundInfo:
        """Give back `amount` of a captured PaymentIntent. https://docs.stripe.com/api/refunds/create"""
        params: RefundCreateParams = {
            "payment_intent": intent_id,
            "amount": amount,
            "reason": reason,
            "metadata": metadata,
        }
        refund = await self._call(self._client.v1.refunds.create_async(params, {"idempotency_key": idempotency_key}))
        return refund_from(refund.to_dict())

    async def list_refunds(self, intent_id: str) -> list[RefundInfo]:
        """Every refund of a PaymentIntent, wherever it was made. https://docs.stripe.com/api/refunds/list"""
        refunds: list[RefundInfo] = []
        params: RefundListParams = {"payment_intent": intent_id, "limit": 100}
        while True:
            page = await self._call(self._client.v1.refunds.list_async(params))
            refunds.extend(refund_from(r.to_dict()) for r in page.data)
            if not page.has_more or not page.data:
                return refunds
            params = {"payment_intent": intent_id, "limit": 100, "starting_after": page.data[-1].id}

    async def charges_page(self, start: int, end: int, after: str | None = None) -> tuple[list[DayCharge], bool]:
        """One page (up to 100) of the charges created in [start, end) (unix seconds), after the charge
        `after`; and whether more follow. One call per page, so a caller's budget paces every page.
        https://docs.stripe.com/api/charges/list"""
        params: ChargeListParams = {"created": {"gte": start, "lt": end}, "limit": 100}
        if after:
            params["starting_after"] = after
        page = await self._call(self._client.v1.charges.list_async(params))
        return [charge_from(c.to_dict()) for c in page.data], bool(page.has_more and page.data)

    async def refunds_page(self, start: int, end: int, after: str | None = None) -> tuple[list[DayRefund], bool]:
        """One page of the refunds created in [start, end), wherever they were made (as `charges_page`).
        https://docs.stripe.com/api/refunds/list"""
        params: RefundListParams = {"created": {"gte": start, "lt": end}, "limit": 100}
        if after:
            params["starting_after"] = after
        page = await self._call(self._client.v1.refunds.list_async(params))
        return [day_refund_from(r.to_dict()) for r in page.data], bool(page.has_more and page.data)

    def parse_event(self, payload: bytes, signature: str | None) -> EventInfo:
        """Verify `Stripe-Signature` on the raw body, then parse. https://docs.stripe.com/webhooks#verify-events"""
        if not self._webhook_secret:
            raise InvalidSignature("no webhook secret is configured")
        try:
            signature_check(payload, signature, self._webhook_secret, WEBHOOK_TOLERANCE_SECONDS)
            data = msgspec.json.decode(payload)  # parsed once (a third of json.loads), into the kiosk's objects
            if not isinstance(data, dict):
                raise ValueError("the event is not a JSON object")
            return event_from(data)
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:  # msgspec.DecodeError is a ValueError
            raise InvalidSignature(str(exc)) from exc

    async def aclose(self) -> None:
        """Close the connection pools."""
        await self._http.close_async()
