"""The gateway's calls about customers and their saved cards (a part of `StripeGateway`).

Kept apart from the payment calls for readability; `StripeGateway` inherits them, so callers still
hold one gateway. Params are the SDK's TypedDicts; every POST carries the caller's idempotency key.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import stripe
from stripe.params import CustomerCreateParams, CustomerUpdateParams, PaymentMethodDetachParams

from kiosk.stripe_account import errors

T = TypeVar("T")


@dataclass(frozen=True)
class CustomerInfo:
    id: str
    email: str | None
    name: str | None


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


def is_not_attached(exc: errors.PaymentError) -> bool:
    """Stripe's answer to detaching a card no longer attached (removed at Stripe already)."""
    return isinstance(exc, errors.StripeRejected) and exc.code == "payment_method_unexpected_state"
