"""Restricted keys with limited permissions: https://docs.stripe.com/keys#limit-access.

A Stripe account can give a restricted key (``rk_...``) None, Read or Write per resource; a call the
key may not make answers 403, which the SDK raises as ``PermissionError``. ``restrict_key(sim, key,
{"payment_intent": "write", ...})`` records such a key (in an object table, so it is persisted and
reset like everything else); resources it does not name are closed to it. An ``rk_`` key never made
this way is unknown to the account, and refused with Stripe's 401 like any other unknown key.

This module adds no endpoint: it wraps every registered handler with the permission check. The
handlers package imports each of its modules; this one first imports its siblings so that the wrap
covers them all whatever the import order. The check runs after parameter validation (Stripe checks
permissions first); callers that probe a permission therefore send valid parameters.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from kiosk.simulator.api import HANDLERS, Call, Handler
from kiosk.simulator.core import RESTRICTED_KEYS, Simulator
from kiosk.simulator.errors import StripeError

JSON = dict[str, Any]
KIND = RESTRICTED_KEYS
LEVELS = {"none": 0, "read": 1, "write": 2}
# Path prefix -> Stripe's permission resource (longest prefix wins).
RESOURCES = {
    "/v1/account": "account",
    "/v1/balance": "balance",
    "/v1/charges": "charge",
    "/v1/customers": "customer",
    "/v1/events": "event",
    "/v1/payment_intents": "payment_intent",
    "/v1/refunds": "refund",
    "/v1/terminal/locations": "terminal_location",
    "/v1/terminal/readers": "terminal_reader",
    "/v1/test_helpers/terminal/readers": "terminal_reader",
    "/v1/webhook_endpoints": "webhook_endpoint",
}


def restrict_key(sim: Simulator, key: str, permissions: dict[str, str]) -> None:
    """Make ``key`` a restricted key holding only ``permissions`` (resource -> none|read|write)."""
    if not key.startswith("rk_"):
        raise ValueError("only restricted keys (rk_...) carry permissions")
    unknown = {r for r in permissions if r not in RESOURCES.values()} | {
        v for v in permissions.values() if v not in LEVELS
    }
    if unknown:
        raise ValueError(f"unknown resources or levels: {sorted(unknown)}")
    sim.table(KIND)[key] = {"id": key, "permissions": dict(permissions)}


def resource_of(template: str) -> str:
    matches = [prefix for prefix in RESOURCES if template == prefix or template.startswith(prefix + "/")]
    return RESOURCES[max(matches, key=len)] if matches else template.removeprefix("/v1/").split("/")[0]


def _masked(key: str) -> str:
    return key[:8] + "*" * max(len(key) - 12, 0) + key[-4:]


def check_permission(call: Call) -> None:
    """403 when the call's restricted key lacks the permission the endpoint needs."""
    record = call.sim.table(KIND).get(call.api_key)
    if record is None:
        return
    resource = resource_of(call.template)
    needed = "read" if call.method == "get" else "write"
    held = record["permissions"].get(resource, "none")
    if LEVELS[held] >= LEVELS[needed]:
        return
    raise StripeError(
        status=403,
        message=(
            f"The provided key '{_masked(call.api_key)}' does not have the required permissions for this "
            f"endpoint on account '{call.sim.account_id}'. Having the 'rak_{resource}_{needed}' permission "
            "would allow this request to continue."
        ),
    )


class _Guarded:
    """A handler behind the permission check."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def __call__(self, call: Call) -> JSON:
        check_permission(call)
        return self.handler(call)


def _import_siblings() -> None:
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name != Path(__file__).stem:
            importlib.import_module(f"{__package__}.{info.name}")


def install() -> None:
    """Put every registered handler behind the check (idempotent)."""
    _import_siblings()
    for key, handler in HANDLERS.items():
        if not isinstance(handler, _Guarded):
            HANDLERS[key] = _Guarded(handler)


install()
