"""The registry that ties Stripe's routes to the simulator's handlers.

The HTTP layer (``app.py``) matches a request to one of the pinned SDK's routes (``params.py``),
validates its parameters against the SDK's TypedDict, and then calls the handler registered here
for the same method and path template. Handlers are plain functions of a ``Call`` returning the
JSON object to answer; they raise ``StripeError`` for Stripe's error answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stripe._api_version import _ApiVersion

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]


@dataclass
class Call:
    """One API request, already authenticated and validated."""

    sim: Simulator
    method: str  # "get" | "post" | "delete"
    template: str  # e.g. "/v1/terminal/readers/{reader}/process_payment_intent"
    path: dict[str, str]  # path parameters by the template's names, e.g. {"reader": "tmr_..."}
    params: JSON  # validated, typed parameters (ints are int, booleans are bool, nested dicts)
    api_key: str
    request_id: str
    idempotency_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    api_version: str = _ApiVersion.CURRENT  # the version the request is served in (``versions.served``)


Handler = Callable[[Call], JSON]

HANDLERS: dict[tuple[str, str], Handler] = {}


def endpoint(method: str, template: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the simulator's answer to ``method template`` (a route of the pinned SDK)."""

    def register(fn: Handler) -> Handler:
        key = (method.lower(), template)
        if key in HANDLERS:
            raise RuntimeError(f"two handlers for {method} {template}")
        HANDLERS[key] = fn
        return fn

    return register
