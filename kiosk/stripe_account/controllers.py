"""/admin/stripe: the Stripe keys (masked after saving, never rendered back), Verify, and the
webhook endpoint registration. Saving verifies with Stripe first: a key Stripe refuses is not saved.
Keys never reach a log: nothing here logs, and Stripe's own messages name keys only masked."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Template

from kiosk.forms import see_other
from kiosk.people.auth import Login
from kiosk.people.guards import admin_area
from kiosk.stripe_account import keys as stripe_settings
from kiosk.stripe_account.admin_gateway import AdminStripeError, StripeAdmin
from kiosk.stripe_account.admin_objects import Verification
from kiosk.stripe_account.keys import KeyEntry, KeysInForce, StripeConfig, keys_in_force, masked

Admin = NamedDependency[Login]
FLASH = {
    "saved": "Keys verified with Stripe and saved. Card payments now use them.",
    "webhook": "Webhook endpoint registered; its signing secret is saved.",
    "webhook_old_kept": (
        "Webhook endpoint registered and its signing secret saved. The endpoint registered before could "
        "not be deleted: remove it in the Stripe Dashboard (Developers → Webhooks)."
    ),
}


@dataclass
class KeysForm:
    publishable_key: str = ""
    secret_key: str = ""
    webhook_secret: str = ""


@dataclass
class WebhookForm:
    url: str = ""


def _missing_message(verification: Verification) -> str:
    needed = "; ".join(str(p) for p in verification.missing)
    return (
        f"This restricted key lacks permissions the kiosk needs: {needed}. Edit the key in the Stripe "
        "Dashboard (Developers → API keys) and verify again."
    )


async def _verify(runtime: KeysInForce, entry: KeyEntry) -> tuple[Verification | None, dict[str, str]]:
    """Local checks, then Stripe's answer for the key; problems come back by form field."""
    config, errors = stripe_settings.check(entry, await stripe_settings.load(runtime.base))
    if errors or not config.secret_key:
        return None, errors
    try:
        async with StripeAdmin(config.secret_key, runtime.base.stripe_api_base) as stripe:
            verification = await stripe.verify()
            if verification.ok and config.webhook_endpoint_id:
                # An endpoint registered by an older kiosk gets the events added since; without the
                # permission it keeps working as it is (payments then read card details from Stripe).
                with suppress(AdminStripeError):
                    await stripe.add_missing_webhook_events(config.webhook_endpoint_id)
    except AdminStripeError as exc:
        field = "secret_key" if exc.kind in ("auth", "permission") else "_form"
        return None, {field: exc.message}
    if not verification.ok:
        return verification, {"secret_key": _missing_message(verification)}
    return verification, {}


def _webhook_url_problem(url: str, config: StripeConfig) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Enter the full address Stripe will call, like https://kiosk.example.com/webhooks/stripe."
    if config.mode == "live" and parts.scheme != "https":
        return "Stripe sends live-mode events only to https:// addresses."
    return None


async def _page(
    request: Request[Any, Any, Any], *, status: int = 200, done: str | None = None, **extra: Any
) -> Template:
    runtime = keys_in_force(request.app)
    config = await stripe_settings.load(runtime.base)
    context = {
        "config": config,
        "secret_masked": masked(config.secret_key),
        "webhook_masked": masked(config.webhook_secret),
        "webhook_url": config.webhook_url or f"{str(request.base_url).rstrip('/')}/webhooks/stripe",
        "flash": FLASH.get(done or ""),
        "errors": {},
        "webhook_errors": {},
        "typed_url": "",
        "typed": {"publishable_key": config.publishable_key or ""},
        "verification": None,
        **extra,
    }
    return Template("admin/stripe.html", context=context, status_code=status)


class StripeSettingsController(Controller):
    """The Stripe section of the admin pages (admins only: the app-wide guard covers /admin)."""

    path = "/admin/stripe"
    guards = [admin_area]

    @get("/", include_in_schema=False)
    async def show(self, request: Request[Any, Any, Any], done: FromQuery[str | None] = None) -> Template:
        return await _page(request, done=done)

    @post("/verify", include_in_schema=False)
    async def verify(self, request: Request[Any, Any, Any], data: URLEncodedBody[KeysForm]) -> Template:
        """Check the typed keys (blank secrets: the saved ones) with Stripe; saves nothing."""
        verification, errors = await _verify(keys_in_force(request.app), KeyEntry(**vars(data)))
        typed = {"publishable_key": data.publishable_key}
        status = 400 if errors else 200
        return await _page(request, status=status, errors=errors, verification=verification, typed=typed)

    @post("/", include_in_schema=False)
    async def save(
        self, request: Request[Any, Any, Any], admin: Admin, data: URLEncodedBody[KeysForm]
    ) -> Response[Any]:
        """Verify, then store (secrets encrypted) and restart card payments with the new keys."""
        runtime = keys_in_force(request.app)
        entry = KeyEntry(**vars(data))
        verification, errors = await _verify(runtime, entry)
        if errors or verification is None:
            typed = {"publishable_key": data.publishable_key}
            return await _page(request, status=400, errors=errors, verification=verification, typed=typed)
        await stripe_settings.save_keys(runtime.base, entry, verification.account, admin.user_id)
        await runtime.reload()
        return see_other("/admin/stripe?done=saved")

    @post("/webhook", include_in_schema=False)
    async def register_webhook(
        self, request: Request[Any, Any, Any], admin: Admin, data: URLEncodedBody[WebhookForm]
    ) -> Response[Any]:
        """Create the endpoint for the kiosk's events; Stripe shows its signing secret once: store it.
        https://docs.stripe.com/api/webhook_endpoints/create"""
        runtime = keys_in_force(request.app)
        config, url = await stripe_settings.load(runtime.base), data.url.strip()
        problem = _webhook_url_problem(url, config) if config.secret_key else "Save the Stripe secret key first."
        if problem or not config.secret_key:
            field = "url" if config.secret_key else "_form"
            return await _page(request, status=400, webhook_errors={field: problem}, typed_url=url)
        try:
            async with StripeAdmin(config.secret_key, runtime.base.stripe_api_base) as stripe:
                endpoint_id, secret = await stripe.create_webhook_endpoint(url)
        except AdminStripeError as exc:
            field = "url" if exc.param == "url" else "_form"
            return await _page(request, status=400, webhook_errors={field: exc.message}, typed_url=url)
        await stripe_settings.save_webhook(runtime.base, endpoint_id, url, secret, admin.user_id)
        await runtime.reload()
        done = "webhook"
        if config.webhook_endpoint_id and config.webhook_endpoint_id != endpoint_id:
            done = await _retire_endpoint(config.secret_key, runtime.base.stripe_api_base, config.webhook_endpoint_id)
        return see_other(f"/admin/stripe?done={done}")


async def _retire_endpoint(key: str, api_base: str | None, endpoint_id: str) -> str:
    """Delete the endpoint registered before, so Stripe stops sending to it twice over."""
    try:
        async with StripeAdmin(key, api_base) as stripe:
            await stripe.delete_webhook_endpoint(endpoint_id)
    except AdminStripeError:
        return "webhook_old_kept"
    return "webhook"
