"""The admin pages' Stripe calls: verify a key, Terminal locations and readers, webhook endpoints.

Besides kiosk/stripe_account/gateway.py (the payments engine's calls) this is the only module that talks to
Stripe. It is used per admin request (`async with StripeAdmin(key, api_base) as stripe: ...`), with
whatever key the admin is checking, so it holds no state between requests. Stripe's errors become
`AdminStripeError` with a message an admin can act on; the key itself never appears in one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Literal, TypeVar, cast, get_args, get_type_hints

import stripe
from stripe._api_version import _ApiVersion
from stripe.params import WebhookEndpointCreateParams, WebhookEndpointUpdateParams
from stripe.params.terminal import (
    ConfigurationCreateParams,
    ConfigurationCreateParamsTipping,
    ConfigurationCreateParamsTippingUsd,
    ConfigurationUpdateParams,
    ConfigurationUpdateParamsTipping,
    LocationCreateParamsAddress,
    LocationUpdateParams,
    ReaderCreateParams,
)

from kiosk.stripe_account.admin_objects import (
    OPTIONAL,
    REQUIRED,
    Location,
    Reader,
    Verification,
    location_from,
    reader_from,
)
from kiosk.stripe_account.call_metrics import CountingHTTPXClient
from kiosk.stripe_account.keys import Account, classify

# A location's address as Stripe takes it (the SDK's own TypedDict), for the rooms above.
LocationAddress = LocationCreateParamsAddress
T = TypeVar("T")
HTTP_TIMEOUT_SECONDS = 20.0
# On-reader tipping (https://docs.stripe.com/terminal/features/collecting-tips/on-reader): the
# currencies a Terminal Configuration can carry tipping for (the pinned SDK's own list), and the
# readers with a tip screen (BBPOS WisePOS E, Stripe Reader S700/S710, BBPOS WisePad 3; simulated too).
TIPPING_CURRENCIES = frozenset(get_type_hints(ConfigurationCreateParamsTipping))
TIPPING_DEVICES = frozenset(
    {"bbpos_wisepos_e", "simulated_wisepos_e", "stripe_s700", "simulated_stripe_s700", "stripe_s710", "bbpos_wisepad3"}
)
# One currency's suggestions (percentages or fixed_amounts, up to three), as the SDK types them.
TipSuggestions = ConfigurationCreateParamsTippingUsd
# The events the kiosk's webhook route acts on (payments), the card a payment was made with
# (charge.succeeded: brand, last4 and the receipt's EMV fields without reading the intent) and
# the refunds shown on receipts.
WebhookEvent = Literal[
    "terminal.reader.action_succeeded",
    "terminal.reader.action_failed",
    "payment_intent.succeeded",
    "payment_intent.amount_capturable_updated",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.succeeded",
    "charge.refunded",
]
WEBHOOK_EVENTS: tuple[WebhookEvent, ...] = get_args(WebhookEvent)
# Ids that cannot exist: updating them answers 404 with the permission and 403 without, changing nothing.
PROBE_ID = "kiosk_permission_check"
# The API version the stripe SDK is pinned to (it sends it on every request).
PINNED_API_VERSION = _ApiVersion.CURRENT


class AdminStripeError(Exception):
    """Stripe refused or could not be reached; `message` is for the admin, `param` names the field."""

    def __init__(self, message: str, kind: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message, self.kind, self.param = message, kind, param


def _admin_error(exc: stripe.StripeError) -> AdminStripeError:
    said = exc.user_message or "no details"
    if isinstance(exc, stripe.AuthenticationError):
        return AdminStripeError(f"Stripe refused the key (revoked, rolled or mistyped): {said}", "auth")
    if isinstance(exc, stripe.PermissionError):
        return AdminStripeError(f"The key lacks a permission for this: {said}", "permission")
    if isinstance(exc, stripe.APIConnectionError):
        return AdminStripeError("Stripe could not be reached. Check the network and try again.", "unreachable")
    if isinstance(exc, stripe.RateLimitError) or (exc.http_status or 0) >= 500:
        return AdminStripeError(f"Stripe could not answer just now; try again in a moment ({said}).", "unavailable")
    param = getattr(exc, "param", None)
    return AdminStripeError(said, "invalid", param if isinstance(param, str) else None)


class StripeAdmin:
    """Typed admin calls with one key; close it (or use `async with`) when done."""

    def __init__(self, key: str, api_base: str | None = None) -> None:
        self._http = CountingHTTPXClient(timeout=HTTP_TIMEOUT_SECONDS)
        self._client = stripe.StripeClient(
            key, base_addresses={"api": api_base} if api_base else None, max_network_retries=1, http_client=self._http
        )
        self._key = key

    async def __aenter__(self) -> StripeAdmin:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def _call(self, request: Awaitable[T]) -> T:
        try:
            return await request
        except stripe.StripeError as exc:
            raise _admin_error(exc) from exc

    async def _allowed(self, request: Awaitable[Any]) -> bool:
        """Whether Stripe let the call through its permission check (a 404 after it still counts)."""
        try:
            await request
        except stripe.PermissionError:
            return False
        except stripe.InvalidRequestError as exc:
            if exc.http_status in (400, 404):
                return True
            raise _admin_error(exc) from exc
        except stripe.StripeError as exc:
            raise _admin_error(exc) from exc
        return True

    async def verify(self) -> Verification:
        """The account and mode of the key, and which needed permissions a restricted key lacks.
        https://docs.stripe.com/api/accounts/retrieve, https://docs.stripe.com/keys#limit-access"""
        info = classify(self._key)
        livemode = bool(info and info.mode == "live")
        account = await self._account()
        v1 = self._client.v1
        probes: list[Callable[[], Awaitable[Any]]] = [
            lambda: v1.payment_intents.update_async(PROBE_ID, {"description": "permission check"}),
            lambda: v1.terminal.readers.update_async(PROBE_ID, {"label": "permission check"}),
            lambda: v1.terminal.locations.list_async({"limit": 1}),
            lambda: v1.terminal.locations.update_async(PROBE_ID, {"display_name": "permission check"}),
            lambda: v1.webhook_endpoints.update_async(PROBE_ID, {"description": "permission check"}),
        ]
        allowed = [await self._allowed(probe()) for probe in probes]
        missing = tuple(p for p, ok in zip(REQUIRED, allowed[:3], strict=True) if not ok)
        optional = tuple(p for p, ok in zip(OPTIONAL, allowed[3:], strict=True) if not ok)
        kind = info.kind if info else "secret"
        return Verification(account, kind, livemode, missing, optional)

    async def _account(self) -> Account | None:
        try:
            data = (await self._client.v1.accounts.retrieve_current_async()).to_dict()
        except stripe.PermissionError:
            return None
        except stripe.StripeError as exc:
            raise _admin_error(exc) from exc
        settings = data.get("settings") or {}
        profile = data.get("business_profile") or {}
        name = (settings.get("dashboard") or {}).get("display_name") or profile.get("name") or ""
        info = classify(self._key)
        country, currency = str(data.get("country") or ""), str(data.get("default_currency") or "")
        return Account(str(data["id"]), str(name), bool(info and info.mode == "live"), country, currency)

    async def list_locations(self) -> list[Location]:
        """https://docs.stripe.com/api/terminal/locations/list"""
        pages = self._client.v1.terminal.locations.list_async({"limit": 100})
        first = await self._call(pages)
        return [location_from(item.to_dict()) async for item in first.auto_paging_iter()]

    async def create_location(self, display_name: str, address: LocationCreateParamsAddress) -> Location:
        """https://docs.stripe.com/api/terminal/locations/create"""
        created = await self._call(
            self._client.v1.terminal.locations.create_async({"display_name": display_name, "address": address})
        )
        return location_from(created.to_dict())

    async def list_readers(self) -> list[Reader]:
        """Every reader of the account. https://docs.stripe.com/api/terminal/readers/list"""
        first = await self._call(self._client.v1.terminal.readers.list_async({"limit": 100}))
        return [reader_from(item.to_dict()) async for item in first.auto_paging_iter()]

    async def register_reader(self, code: str, label: str, location: str) -> Reader:
        """https://docs.stripe.com/api/terminal/readers/create"""
        params: ReaderCreateParams = {"registration_code": code, "label": label, "location": location}
        return reader_from((await self._call(self._client.v1.terminal.readers.create_async(params))).to_dict())

    async def rename_reader(self, reader_id: str, label: str) -> Reader:
        """https://docs.stripe.com/api/terminal/readers/update"""
        readers = self._client.v1.terminal.readers
        return reader_from((await self._call(readers.update_async(reader_id, {"label": label}))).to_dict())

    async def remove_reader(self, reader_id: str) -> None:
        """https://docs.stripe.com/api/terminal/readers/delete"""
        await self._call(self._client.v1.terminal.readers.delete_async(reader_id))

    async def save_tipping(
        self,
        configuration_id: str | None,
        *,
        name: str,
        currency: str,
        tips: TipSuggestions | None,
        idempotency_key: str,
    ) -> str:
        """Create (no id yet) or update the Terminal Configuration carrying a warehouse's tips for
        its currency (`tips` None: no tipping). Returns its id. A create carries the warehouse's
        key, so a double press makes one configuration; an update sets the same values when
        repeated. https://docs.stripe.com/api/terminal/configuration/create"""
        configurations = self._client.v1.terminal.configurations
        if configuration_id is None:
            created: ConfigurationCreateParams = {"name": name}
            if tips is not None:
                created["tipping"] = cast(ConfigurationCreateParamsTipping, {currency: tips})
            options: stripe.RequestOptions = {"idempotency_key": idempotency_key}
            return str((await self._call(configurations.create_async(created, options))).id)
        updated: ConfigurationUpdateParams = {
            "name": name,
            "tipping": cast(ConfigurationUpdateParamsTipping, {currency: tips}) if tips is not None else "",
        }
        return str((await self._call(configurations.update_async(configuration_id, updated))).id)

    async def tipping_of(self, configuration_id: str) -> dict[str, Any] | None:
        """A configuration's tipping, by currency (None: none, or the configuration is gone).
        https://docs.stripe.com/api/terminal/configuration/retrieve"""
        try:
            found = await self._client.v1.terminal.configurations.retrieve_async(configuration_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return None
            raise _admin_error(exc) from exc
        except stripe.StripeError as exc:
            raise _admin_error(exc) from exc
        tipping = found.to_dict().get("tipping")
        return dict(tipping) if tipping else None

    async def set_location_configuration(self, location_id: str, configuration_id: str) -> None:
        """The location's readers use this configuration (`configuration_overrides`).
        https://docs.stripe.com/api/terminal/locations/update"""
        params: LocationUpdateParams = {"configuration_overrides": configuration_id}
        await self._call(self._client.v1.terminal.locations.update_async(location_id, params))

    async def create_webhook_endpoint(self, url: str) -> tuple[str, str]:
        """The new endpoint's id and its signing secret (returned this once only).
        https://docs.stripe.com/api/webhook_endpoints/create"""
        params: WebhookEndpointCreateParams = {
            "url": url,
            "enabled_events": [*WEBHOOK_EVENTS],
            "description": "Kiosk point of sale",
            # Events in the version the kiosk's SDK reads, whatever the account's default version.
            "api_version": cast(Any, PINNED_API_VERSION),
        }
        endpoint = await self._call(self._client.v1.webhook_endpoints.create_async(params))
        if not endpoint.secret:
            raise AdminStripeError("Stripe created the endpoint but returned no signing secret.", "invalid")
        return endpoint.id, endpoint.secret

    async def add_missing_webhook_events(self, endpoint_id: str) -> bool:
        """An endpoint registered by an older kiosk gets the events this one needs (the events an
        admin added stay); True when it changed. Another account's endpoint or one deleted in the
        Dashboard (404) is left alone. https://docs.stripe.com/api/webhook_endpoints/update"""
        endpoints = self._client.v1.webhook_endpoints
        try:
            enabled = list((await endpoints.retrieve_async(endpoint_id)).enabled_events or [])
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return False
            raise _admin_error(exc) from exc
        except stripe.StripeError as exc:
            raise _admin_error(exc) from exc
        missing = [event for event in WEBHOOK_EVENTS if event not in enabled]
        if "*" in enabled or not missing:
            return False
        # Stripe's own event names, read back from the endpoint: the params' Literal lists them all.
        params = cast(WebhookEndpointUpdateParams, {"enabled_events": [*enabled, *missing]})
        await self._call(endpoints.update_async(endpoint_id, params))
        return True

    async def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        """An endpoint already gone is fine. https://docs.stripe.com/api/webhook_endpoints/delete"""
        try:
            await self._client.v1.webhook_endpoints.delete_async(endpoint_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise _admin_error(exc) from exc
        except stripe.StripeError as exc:
            raise _admin_error(exc) from exc
