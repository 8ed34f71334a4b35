"""The gateway's calls about customers and their saved cards (a part of `StripeGateway`).

Kept apart from the payment calls for readability; `StripeGateway` inherits them, so callers still
hold one gateway. Params are the SDK's TypedDicts; every POST carries the caller's idempotency key.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import stripe
from stripe.params import (
    CustomerCreateParams,
    CustomerUpdateParams,
    PaymentMethodDetachParams,
    PaymentMethodRetrieveParams,
    SetupIntentCancelParams,
    SetupIntentCreateParams,
    SetupIntentRetrieveParams,
)
from stripe.params.terminal import ReaderCollectInputsParams, ReaderProcessSetupIntentParams

from kiosk.stripe_account import errors

T = TypeVar("T")


@dataclass(frozen=True)
class CustomerInfo:
    id: str
    email: str | None
    name: str | None


@dataclass(frozen=True)
class SavedCardInfo:
    """A reusable card PaymentMethod: what a saved card shows (never the number)."""

    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class SetupInfo:
    """A SetupIntent: its status, the card it generated (with a customer), why it failed."""

    id: str
    status: str
    generated_card: str | None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class ReaderTaskAction:
    """The reader's current or last action, as a non-payment task reads it (save a card, ask)."""

    type: str
    status: str  # in_progress | succeeded | failed
    setup_intent_id: str | None
    failure_code: str | None
    failure_message: str | None
    # collect_inputs: the first email input's value, or whether the customer skipped it.
    email: str | None = None
    skipped: bool = False
    metadata: dict[str, str] | None = None


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value["id"])
    return str(value) if value else None


def setup_from(data: dict[str, Any]) -> SetupInfo:
    attempt = data.get("latest_attempt") if isinstance(data.get("latest_attempt"), dict) else {}
    details = ((attempt or {}).get("payment_method_details") or {}).get("card_present") or {}
    error = data.get("last_setup_error") or {}
    return SetupInfo(
        id=str(data["id"]),
        status=str(data["status"]),
        generated_card=_id(details.get("generated_card")),
        error_code=error.get("code"),
        error_message=error.get("message"),
    )


def task_action_from(data: dict[str, Any]) -> ReaderTaskAction | None:
    action = data.get("action")
    if not action:
        return None
    kind = str(action.get("type", ""))
    details = action.get(kind) or {}
    email, skipped = None, False
    for given in details.get("inputs") or []:
        if given.get("type") == "email":
            email = (given.get("email") or {}).get("value")
            skipped = bool(given.get("skipped"))
            break
    return ReaderTaskAction(
        type=kind,
        status=str(action.get("status", "")),
        setup_intent_id=_id(details.get("setup_intent")),
        failure_code=action.get("failure_code"),
        failure_message=action.get("failure_message"),
        email=email,
        skipped=skipped,
        metadata=dict(details.get("metadata") or {}),
    )


def customer_from(data: dict[str, Any]) -> CustomerInfo:
    return CustomerInfo(id=str(data["id"]), email=data.get("email"), name=data.get("name"))


class CustomerCalls:
    """Stripe Customers and their PaymentMethods (mixed into `StripeGateway`)."""

    _client: stripe.StripeClient

    async def _call(self, request: Awaitable[T]) -> T:  # pragma: no cover - StripeGateway's
        raise NotImplementedError

    async def create_customer(
        self, *, name: str, email: str, phone: str, kiosk_customer: int, idempotency_key: str
    ) -> CustomerInfo:
        """https://docs.stripe.com/api/customers/create"""
        params: CustomerCreateParams = {"name": name, "metadata": {"kiosk_customer": str(kiosk_customer)}}
        if email:
            params["email"] = email
        if phone:
            params["phone"] = phone
        customers = self._client.v1.customers
        return customer_from(
            (await self._call(customers.create_async(params, {"idempotency_key": idempotency_key}))).to_dict()
        )

    async def update_customer(
        self, customer_id: str, *, name: str, email: str, phone: str, idempotency_key: str
    ) -> CustomerInfo:
        """Name, email and phone as the kiosk has them. The SDK's types take no "" for these, so a
        field emptied in the kiosk keeps its last value at Stripe. https://docs.stripe.com/api/customers/update"""
        params: CustomerUpdateParams = {"name": name}
        if email:
            params["email"] = email
        if phone:
            params["phone"] = phone
        customers = self._client.v1.customers
        answer = await self._call(customers.update_async(customer_id, params, {"idempotency_key": idempotency_key}))
        return customer_from(answer.to_dict())

    async def detach_payment_method(self, payment_method_id: str, *, idempotency_key: str) -> None:
        """Forget a saved card at Stripe: it can never be charged again.
        https://docs.stripe.com/api/payment_methods/detach"""
        params: PaymentMethodDetachParams = {}
        methods = self._client.v1.payment_methods
        await self._call(methods.detach_async(payment_method_id, params, {"idempotency_key": idempotency_key}))


class ReaderTaskCalls:
    """Reader actions that are not payments: save a card without paying, ask for an email (mixed
    into `StripeGateway`)."""

    _client: stripe.StripeClient

    async def _call(self, request: Awaitable[T]) -> T:  # pragma: no cover - StripeGateway's
        raise NotImplementedError

    async def create_setup_intent(self, customer: str, *, kiosk_task: int, idempotency_key: str) -> SetupInfo:
        """A SetupIntent to save a card read on a reader for later off-session charges.
        https://docs.stripe.com/terminal/features/saving-payment-details/save-directly"""
        params: SetupIntentCreateParams = {
            "customer": customer,
            "usage": "off_session",
            "allowed_payment_method_types": ["card_present"],
            "metadata": {"kiosk_task": str(kiosk_task)},
        }
        intents = self._client.v1.setup_intents
        answer = await self._call(intents.create_async(params, {"idempotency_key": idempotency_key}))
        return setup_from(answer.to_dict())

    async def retrieve_setup_intent(self, setup_intent_id: str) -> SetupInfo:
        """https://docs.stripe.com/api/setup_intents/retrieve (with its latest attempt's generated card)"""
        params: SetupIntentRetrieveParams = {"expand": ["latest_attempt"]}
        answer = await self._call(self._client.v1.setup_intents.retrieve_async(setup_intent_id, params))
        return setup_from(answer.to_dict())

    async def cancel_setup_intent(self, setup_intent_id: str, *, idempotency_key: str) -> SetupInfo:
        """https://docs.stripe.com/api/setup_intents/cancel"""
        params: SetupIntentCancelParams = {"cancellation_reason": "abandoned"}
        intents = self._client.v1.setup_intents
        answer = await self._call(intents.cancel_async(setup_intent_id, params, {"idempotency_key": idempotency_key}))
        return setup_from(answer.to_dict())

    async def process_setup_on_reader(self, reader_id: str, setup_intent_id: str, *, idempotency_key: str) -> None:
        """Hand the SetupIntent to the reader; the customer taps to save the card.
        https://docs.stripe.com/api/terminal/readers/process_setup_intent"""
        params: ReaderProcessSetupIntentParams = {
            "setup_intent": setup_intent_id,
            "allow_redisplay": "always",
            "process_config": {"enable_customer_cancellation": True},
        }
        readers = self._client.v1.terminal.readers
        await self._call(readers.process_setup_intent_async(reader_id, params, {"idempotency_key": idempotency_key}))

    async def ask_email_on_reader(self, reader_id: str, *, kiosk_task: int, idempotency_key: str) -> None:
        """Ask the customer to type their email on the reader.
        https://docs.stripe.com/api/terminal/readers/collect_inputs"""
        params: ReaderCollectInputsParams = {
            "inputs": [
                {
                    "type": "email",
                    "required": True,
                    "custom_text": {
                        "title": "Your email",
                        "description": "For your receipts and saved card",
                        "submit_button": "Send",
                    },
                }
            ],
            "metadata": {"kiosk_task": str(kiosk_task)},
        }
        readers = self._client.v1.terminal.readers
        await self._call(readers.collect_inputs_async(reader_id, params, {"idempotency_key": idempotency_key}))

    async def reader_task_action(self, reader_id: str) -> ReaderTaskAction | None:
        """The reader's current or last action, with what a task needs of it."""
        answer = await self._call(self._client.v1.terminal.readers.retrieve_async(reader_id))
        return task_action_from(answer.to_dict())

    async def retrieve_saved_card(self, payment_method_id: str) -> SavedCardInfo:
        """https://docs.stripe.com/api/payment_methods/retrieve"""
        params: PaymentMethodRetrieveParams = {}
        answer = (await self._call(self._client.v1.payment_methods.retrieve_async(payment_method_id, params))).to_dict()
        card = answer.get("card") or {}
        return SavedCardInfo(
            id=str(answer["id"]),
            brand=str(card.get("brand") or ""),
            last4=str(card.get("last4") or ""),
            exp_month=int(card.get("exp_month") or 0),
            exp_year=int(card.get("exp_year") or 0),
        )


def is_not_attached(exc: errors.PaymentError) -> bool:
    """Stripe's answer to detaching a card no longer attached (removed at Stripe already)."""
    return isinstance(exc, errors.StripeRejected) and exc.code == "payment_method_unexpected_state"
