"""What changed between Stripe API versions, for the parameters and objects the simulator serves.

The simulator serves the pinned SDK's version (``stripe._api_version``); its parameter checks come
from that SDK's own TypedDicts. A parameter a later version *removed* is absent from those types, but
Stripe does not answer it with ``parameter_unknown``: it names the removal. Each entry here is one
removal, with the version that made it and the changelog entry that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.simulator.errors import StripeError, invalid
from kiosk.simulator.routes import Route

JSON = dict[str, Any]


@dataclass(frozen=True)
class RemovedParameter:
    """A request parameter a version removed, on the routes it was removed from."""

    version: str  # the first version without it
    name: str
    routes: frozenset[str]  # "POST /v1/payment_intents", as ``Route.key``
    code: str
    message: str
    changelog: str


REMOVED_PARAMETERS: tuple[RemovedParameter, ...] = (
    RemovedParameter(
        version="2026-09-30.endive",
        name="payment_method_types",
        routes=frozenset(
            {
                "POST /v1/payment_intents",
                "POST /v1/payment_intents/{intent}",
                "POST /v1/payment_intents/{intent}/confirm",
                "POST /v1/setup_intents",
                "POST /v1/setup_intents/{intent}",
            }
        ),
        code="payment_method_types_no_longer_supported",
        message=(
            "The `payment_method_types` parameter is no longer supported on this API version. Use "
            "`allowed_payment_method_types` to choose among the payment methods compatible with this payment, "
            "or `excluded_payment_method_types` to leave some out."
        ),
        changelog=(
            "https://docs.stripe.com/changelog/endive/2026-09-30/"
            "removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents"
        ),
    ),
)


def refuse_removed(route: Route, raw: JSON) -> None:
    """Stripe's 400 naming the removal when ``raw`` sends a parameter the served version removed."""
    for removed in REMOVED_PARAMETERS:
        if removed.name in raw and route.key in removed.routes:
            raise _removed(removed)


def _removed(removed: RemovedParameter) -> StripeError:
    return invalid(removed.message, code=removed.code, param=removed.name)
