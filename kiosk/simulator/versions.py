"""Stripe API versions: which one a request is served in, and what changed between them.

Every request is served in one version: its ``Stripe-Version`` header, or the account's default
version (``Simulator.default_api_version``, the pinned SDK's version unless set otherwise) when it
sends none. The known versions are the ones the pinned SDK itself lists for a webhook endpoint's
``api_version`` (generated from Stripe's OpenAPI spec); anything else is Stripe's 400
"Invalid Stripe API version: …". Versions older than ``OLDEST_SERVED`` are real but not modelled,
and refused as such rather than served in a shape they never had.

The handlers build objects and read parameters as the newest version has them. ``CHANGES`` is the
table of Stripe's changelog entries that touch what the simulator implements (PaymentIntents,
Charges, Refunds, Terminal readers and locations, events) between ``OLDEST_SERVED`` and the pinned
version; each row says what it adds, removes or renames and where the changelog says so, and carries
the small function that turns the newer shape back into the older one for older clients:

- ``older_object``: a response object (also inside lists, expansions, errors and events);
- ``older_request``: the typed parameters of an older client's request (older defaults);
- removed request parameters: ``REMOVED_PARAMETERS`` (refused on the versions that removed them,
  accepted with their old meaning before, see ``adapt_request``).

Only breaking changes are versioned: Stripe adds fields and optional parameters to every version
("backwards-compatible changes"), so additive entries of the changelog (a reader's ``last_seen_at``,
an action's ``api_error``, a PaymentIntent's ``payment_record``, ``allowed_payment_method_types``
of 2026-07-29.dahlia) are not rows here. The changelog has no breaking change of Terminal readers
or locations in this span; those objects are the same in every served version. Breaking entries
looked at and left out because nothing the simulator answers shows them: the decline codes of
2022-11-15 (``adds-decline-codes-paymentintent-paymentmethod``: non-card payment methods) and of
2025-09-30.clover (``lpm-descriptive-decline-codes``); a card_present decline is the same in all.

Events are rendered when they happen, in the account's default version (``event.api_version``,
what ``/v1/events`` shows) and in the version of each webhook endpoint they go to (an endpoint
created without ``api_version`` gets the account's default).
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stripe._api_version import _ApiVersion
from stripe.params._webhook_endpoint_create_params import WebhookEndpointCreateParams

from kiosk.simulator.errors import StripeError, invalid
from kiosk.simulator.params import Sequence, Text
from kiosk.simulator.routes import Route

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]

CURRENT: str = _ApiVersion.CURRENT
# Stripe's server-driven Terminal sample pins this one; the table reaches back to it.
OLDEST_SERVED = "2020-08-27"
# The table of rendered events per version, kept beside the events (``EventBus.emit``).
EVENT_RENDERINGS = "simulator.event_rendering"


def _sdk_versions() -> frozenset[str]:
    """Every API version the pinned SDK knows: the ``api_version`` choices of a webhook endpoint."""
    hint: Any = WebhookEndpointCreateParams.__annotations__["api_version"]  # NotRequired[Literal[...]]
    while typing.get_args(hint) and not isinstance(typing.get_args(hint)[0], str):
        hint = typing.get_args(hint)[0]
    return frozenset(str(v) for v in typing.get_args(hint)) | {CURRENT}


KNOWN_VERSIONS = _sdk_versions()


def date_of(version: str) -> str:
    """The release date a version is ordered by: ``2026-10-28.endive`` → ``2026-10-28``."""
    return version[:10]


def is_before(version: str, change_version: str) -> bool:
    """Whether ``version`` predates the release ``change_version``."""
    return date_of(version) < date_of(change_version)


def invalid_version(version: str, param: str | None = None) -> StripeError:
    return invalid(f"Invalid Stripe API version: {version}", param=param)


def check(version: str, param: str | None = None) -> str:
    """``version`` if the simulator serves it, else the 400 saying why not."""
    if version not in KNOWN_VERSIONS:
        raise invalid_version(version, param)
    if is_before(version, OLDEST_SERVED):
        raise invalid(
            f"The Stripe simulator serves API versions from {OLDEST_SERVED} to {CURRENT}; {version} is a "
            "Stripe API version it does not model. Send a newer Stripe-Version.",
            param=param,
        )
    return version


def served(sim: Simulator, header: str | None) -> str:
    """The version a request is served in: its ``Stripe-Version``, else the account's default.

    Beta flags after the version (``2020-08-27; terminal_beta=v1``) are accepted and not modelled.
    """
    version = (header or "").split(";")[0].strip()
    return check(version) if version else sim.default_api_version


# -- the table --------------------------------------------------------------------------------------
Reshape = Callable[["Simulator", JSON, str], None]  # (sim, object, version being rendered) in place
Adapt = Callable[[str, JSON], None]  # (route key, typed params) in place


@dataclass(frozen=True)
class Change:
    """One changelog entry: what a version changed on the objects or parameters the simulator serves."""

    version: str  # the first version with the change
    title: str  # the changelog entry's title
    changelog: str  # where it is written down
    touches: tuple[str, ...]  # objects ("payment_intent") and routes ("POST /v1/payment_intents")
    adds: tuple[str, ...] = ()
    removes: tuple[str, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()  # (older name, newer name)
    older_object: dict[str, Reshape] = field(default_factory=dict)  # by object name
    older_request: Adapt | None = None


def _charges_list(sim: Simulator, intent: JSON, version: str) -> None:
    """Before 2022-11-15 a PaymentIntent carries its charges, newest first, as a list."""
    found = [c for c in sim.table("charge").values() if c.get("payment_intent") == intent["id"]][::-1]
    found.sort(key=lambda c: c["created"], reverse=True)  # stable: within a second, newest stays first
    data = [present(sim, copy.deepcopy(c), version) for c in found]
    intent["charges"] = {
        "object": "list",
        "data": data,
        "has_more": False,
        "total_count": len(data),
        "url": f"/v1/charges?payment_intent={intent['id']}",
    }


def refunds_list(sim: Simulator, charge: JSON, version: str = CURRENT) -> None:
    """Before 2022-11-15 a Charge carries its refunds, newest first, as a list (later: on ``expand``)."""
    found = [r for r in sim.table("refund").values() if r.get("charge") == charge["id"]]
    data = [copy.deepcopy(r) for r in reversed(found)]
    charge["refunds"] = {
        "object": "list",
        "data": data,
        "has_more": False,
        "total_count": len(data),
        "url": f"/v1/charges/{charge['id']}/refunds",
    }


def _invoice_field(sim: Simulator, obj: JSON, version: str) -> None:
    """Before basil, Charges and PaymentIntents name their invoice (none for a till's payment)."""
    obj.setdefault("invoice", None)


_PI_CREATE = "POST /v1/payment_intents"


def _capture_automatic(route: str, typed: JSON) -> None:
    """Before 2024-04-10 a PaymentIntent created without ``capture_method`` captured ``automatic``."""
    if route == _PI_CREATE and "capture_method" not in typed:
        typed["capture_method"] = "automatic"


def _cards_by_default(route: str, typed: JSON) -> None:
    """Before 2023-08-16 a PaymentIntent created without payment method types took cards only."""
    choices = ("payment_method_types", "allowed_payment_method_types", "automatic_payment_methods")
    if route == _PI_CREATE and not any(name in typed for name in choices):
        typed["payment_method_types"] = ["card"]


_PI_WRITES = frozenset(
    {
        "POST /v1/payment_intents",
        "POST /v1/payment_intents/{intent}",
        "POST /v1/payment_intents/{intent}/confirm",
        "POST /v1/setup_intents",
        "POST /v1/setup_intents/{intent}",
    }
)

CHANGES: tuple[Change, ...] = (
    Change(
        version="2026-09-30.endive",
        title="Removes the payment method types parameter from Payment Intents and Setup Intents",
        changelog=(
            "https://docs.stripe.com/changelog/endive/2026-09-30/"
            "removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents"
        ),
        touches=tuple(sorted(_PI_WRITES)),
        removes=("payment_method_types (request parameter; answers payment_method_types_no_longer_supported)",),
        renames=(("payment_method_types", "allowed_payment_method_types"),),
    ),
    Change(
        version="2025-03-31.basil",
        title="Adds support for multiple (partial) payments on invoices",
        changelog=(
            "https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices"
        ),
        touches=("charge", "payment_intent"),
        removes=("Charge.invoice", "PaymentIntent.invoice"),
        older_object={"charge": _invoice_field, "payment_intent": _invoice_field},
    ),
    Change(
        version="2024-04-10",
        title="Makes automatic sync the default capture method for PaymentIntents when not specified",
        changelog="https://docs.stripe.com/changelog/2024-04-10/automatic-sync-default-paymentintents",
        touches=(_PI_CREATE,),
        adds=("capture_method defaults to automatic_async (was automatic)",),
        older_request=_capture_automatic,
    ),
    Change(
        version="2023-08-16",
        title="Enables automatic payment methods by default for PaymentIntents and SetupIntents",
        changelog="https://docs.stripe.com/changelog/2023-08-16/automatic-payment-methods",
        touches=(_PI_CREATE,),
        adds=("automatic_payment_methods enabled when no payment method types are given (was: card only)",),
        older_request=_cards_by_default,
    ),
    Change(
        version="2022-11-15",
        title="Removes the charges attribute from the PaymentIntent object",
        changelog="https://docs.stripe.com/changelog/2022-11-15/removes-charges-attribute-paymentintent",
        touches=("payment_intent",),
        removes=("PaymentIntent.charges (use latest_charge)",),
        older_object={"payment_intent": _charges_list},
    ),
    Change(
        version="2022-11-15",
        title="The Charges object no longer auto-expands refunds by default",
        changelog="https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand",
        touches=("charge", "refund"),
        removes=("Charge.refunds (list the refunds with GET /v1/refunds?charge=…)",),
        older_object={"charge": refunds_list},
    ),
)

# The last version any row reaches: requests in it or later need no reshaping at all.
_NEWEST_CHANGE = max(date_of(c.version) for c in CHANGES)


def changes_for(version: str) -> list[Change]:
    """The rows that apply to a client of ``version`` (those made after it), newest first."""
    return [c for c in CHANGES if is_before(version, c.version)]


def reshapes(version: str) -> bool:
    """Whether anything in ``version`` differs from the newest shape."""
    return date_of(version) < _NEWEST_CHANGE


# -- requests ---------------------------------------------------------------------------------------
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
        routes=_PI_WRITES,
        code="payment_method_types_no_longer_supported",
        message=(
            "The `payment_method_types` parameter is no longer supported on this API version. Use "
            "`allowed_payment_method_types` to choose among the payment methods compatible with this payment, "
            "or `excluded_payment_method_types` to leave some out."
        ),
        changelog=CHANGES[0].changelog,
    ),
)
_OLD_PARAMETER_TYPE = {"payment_method_types": Sequence(Text())}


def refuse_removed(route: Route, raw: JSON, version: str = CURRENT) -> None:
    """Stripe's 400 naming the removal when ``raw`` sends a parameter ``version`` no longer has."""
    for removed in REMOVED_PARAMETERS:
        if removed.name in raw and route.key in removed.routes and not is_before(version, removed.version):
            raise invalid(removed.message, code=removed.code, param=removed.name)


def adapt_request(route: Route, raw: JSON, version: str) -> JSON:
    """Take out of ``raw`` the parameters only older versions have, typed; refuse removed ones.

    The rest of ``raw`` is checked against the pinned SDK's types (which lack the removed ones);
    the answer is added to the typed parameters afterwards.
    """
    refuse_removed(route, raw, version)
    older: JSON = {}
    for removed in REMOVED_PARAMETERS:
        if removed.name in raw and route.key in removed.routes:
            older[removed.name] = _OLD_PARAMETER_TYPE[removed.name].coerce(raw.pop(removed.name), removed.name)
    return older


def older_defaults(route: Route, typed: JSON, version: str) -> None:
    """Fill in what a request of ``version`` meant by leaving parameters out."""
    for change in changes_for(version):
        if change.older_request is not None:
            change.older_request(route.key, typed)


# -- responses --------------------------------------------------------------------------------------
def present(sim: Simulator, body: Any, version: str) -> Any:
    """``body`` (already a copy the caller owns) as a client of ``version`` sees it, changed in place.

    Objects nested in lists, expansions and errors are reshaped too; an event keeps the version it
    was rendered in (its ``api_version``), whatever the version of the request that reads it.
    """
    if isinstance(body, list):
        for item in body:
            present(sim, item, version)
        return body
    if not isinstance(body, dict):
        return body
    if body.get("object") == "event":
        _event_in_own_version(sim, body)
        return body
    for value in body.values():
        if isinstance(value, dict | list):
            present(sim, value, version)
    kind = body.get("object")
    if isinstance(kind, str):
        for change in changes_for(version):
            reshape = change.older_object.get(kind)
            if reshape is not None:
                reshape(sim, body, version)
    return body


def rendering(sim: Simulator, event: JSON, version: str) -> JSON:
    """``event.data.object`` in ``version``: as rendered when the event happened, if it was."""
    kept = sim.table(EVENT_RENDERINGS).get(event["id"], {})
    if version in kept:
        return copy.deepcopy(kept[version])
    obj: JSON = copy.deepcopy(event["data"]["object"])
    if reshapes(version):
        present(sim, obj, version)
    return obj


def _event_in_own_version(sim: Simulator, event: JSON) -> None:
    version = event.get("api_version") or CURRENT
    if reshapes(version):
        event["data"]["object"] = rendering(sim, event, version)


def keep_renderings(sim: Simulator, event: JSON, wanted: Iterable[str]) -> None:
    """Render a new event's object in each older version it will be read in, as it is now."""
    older = {v: present(sim, copy.deepcopy(event["data"]["object"]), v) for v in set(wanted) if reshapes(v)}
    if older:
        sim.table(EVENT_RENDERINGS)[event["id"]] = {"id": event["id"], **older}


def event_in(sim: Simulator, event: JSON, version: str) -> JSON:
    """The event as a webhook endpoint of ``version`` receives it."""
    shown = copy.deepcopy(event)
    shown["api_version"] = version
    shown["data"]["object"] = rendering(sim, event, version)
    return shown
