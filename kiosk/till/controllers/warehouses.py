"""/admin/warehouses: create, rename, set the currency, the printed receipt's header (the shop's
name, address and phone), delete (refused while receipts are open). Paired Stripe locations are
named as Stripe calls them (one listing per page; their ids when Stripe cannot be asked).

A refused form comes back with status 400, the message next to the field and what was typed still
there; nothing is saved. Done -> a page saying so.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from kiosk.forms import FormErrors, see_other, text
from kiosk.money import currencies
from kiosk.money.amounts import DEFAULT_LOCALE, LOCALE_CHOICES, exponent, format_money, locale_name
from kiosk.people.auth import Login
from kiosk.readers.locations import NotConfigured, admin_client
from kiosk.shop.timezones import timezone_names
from kiosk.stripe_account.admin_gateway import AdminStripeError
from kiosk.stripe_account.keys import keys_in_force
from kiosk.till import tipping as tips
from kiosk.till import warehouses as warehouse_admin

Admin = NamedDependency[Login]
AnyRequest = Request[Any, Any, Any]
DONE = {
    "created": "Warehouse created. Assign cashiers to it under Users, and pair it with a location.",
    "saved": "Saved.",
    "header": "Saved. Printed receipts now carry it.",
    "timezone": "Saved. Its X and Z reports now cover midnight to midnight in this time zone.",
    "deleted": "Warehouse deleted.",
    "tipping": "Saved. Payments started from now on follow the new tips setting.",
}


async def _currency_options(current: str = "") -> list[tuple[str, str]]:
    """The enabled currencies (and the warehouse's own, even if no longer enabled)."""
    codes = sorted(set(await currencies.enabled_codes()) | ({current} if current else set()))
    return [(code, f"{code.upper()} ({exponent(code)} decimals)") for code in codes]


def _locale_options(current: str = "") -> list[tuple[str, str]]:
    """The locales offered (and the warehouse's own, if it is another), by name."""
    codes = set(LOCALE_CHOICES) | ({current} if current else set())
    return sorted(((code, f"{locale_name(code)} · {format_money(123450, 'eur', code)}") for code in codes),
                  key=lambda option: option[1])  # fmt: skip


async def _location_names(request: AnyRequest) -> dict[str, str]:
    """Stripe location id -> its display name; empty when Stripe cannot be asked (no key, down):
    the page then shows the ids, saying why."""
    try:
        async with admin_client(keys_in_force(request.app)) as stripe:
            return {location.id: location.display_name for location in await stripe.list_locations()}
    except (NotConfigured, AdminStripeError):
        return {}


def _header_typed(form: Any) -> dict[str, str]:
    return {name: text(form, name) for name in ("receipt_name", "address", "phone")}


async def _list_page(
    request: AnyRequest, errors: dict[str, str] | None = None, typed: dict[str, str] | None = None, done: str = ""
) -> Template:
    sites = await warehouse_admin.sites()
    context = {
        "sites": sites,
        "location_names": await _location_names(request) if any(s.location for s in sites) else {},
        "currency_options": await _currency_options(),
        "locale_options": _locale_options(),
        "errors": errors or {},
        "typed": typed or {"name": "", "currency": "usd", "locale": DEFAULT_LOCALE},
        "flash": DONE.get(done, ""),
    }
    return Template("admin/warehouses.html", context=context, status_code=400 if errors else 200)


async def _site_page(request: AnyRequest, warehouse_id: int, *, failed: str = "",
                     errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                     done: str = "") -> Template:  # fmt: skip
    try:
        site = await warehouse_admin.site(warehouse_id)
    except warehouse_admin.WarehouseNotFound as exc:
        raise NotFoundException() from exc
    header = {"receipt_name": site.receipt_name, "address": site.address, "phone": site.phone}
    tipping = await tips.tipping_of(warehouse_id)
    tipping_typed = {"mode": tipping.mode, "choices": tipping.typed()}
    if failed == "tipping" and typed:
        tipping_typed = {"mode": typed.get("tipping", ""), "choices": typed.get("tip_choices", "")}
    context = {
        "site": site,
        "location_names": await _location_names(request) if site.location else {},
        "header": typed if failed == "header" and typed else header,
        "currency_options": await _currency_options(site.currency),
        "locale_options": _locale_options(site.locale),
        "failed": failed,
        "errors": errors or {},
        "typed": typed
        if failed == "update" and typed
        else {"name": site.name, "currency": site.currency, "locale": site.locale},
        "flash": DONE.get(done, ""),
        "timezone": typed.get("timezone", site.timezone) if failed == "timezone" and typed else site.timezone,
        "timezone_names": timezone_names(),
        "tipping": tipping,
        "tipping_typed": tipping_typed,
        "tipping_modes": list(tips.MODES.items()),
        "tip_currencies": tips.currencies_with_tips(),
    }
    return Template("admin/warehouse.html", context=context, status_code=400 if errors else 200)


async def _change(
    request: AnyRequest,
    warehouse_id: int,
    action: Awaitable[None],
    *,
    failed: str,
    done: str,
    typed: dict[str, str] | None = None,
) -> Response[Any]:
    try:
        await action
    except warehouse_admin.WarehouseNotFound as exc:
        raise NotFoundException() from exc
    except FormErrors as exc:
        return await _site_page(request, warehouse_id, failed=failed, errors=exc.errors, typed=typed)
    if done == "deleted":
        return see_other("/admin/warehouses?done=deleted")
    return see_other(f"/admin/warehouses/{warehouse_id}?done={done}")


async def _done(action: Awaitable[Any]) -> None:
    await action


class WarehousesController(Controller):
    """Shops and tills."""

    path = "/admin/warehouses"

    @get("/", include_in_schema=False)
    async def index(self, request: AnyRequest, done: FromQuery[str] = "") -> Template:
        return await _list_page(request, done=done)

    @post("/", include_in_schema=False)
    async def create(self, request: AnyRequest, admin: Admin) -> Response[Any]:
        form = await request.form()
        typed = {"name": text(form, "name"), "currency": text(form, "currency"), "locale": text(form, "locale")}
        try:
            warehouse_id = await warehouse_admin.create(
                admin.user_id, typed["name"], typed["currency"], typed["locale"] or DEFAULT_LOCALE
            )
        except FormErrors as exc:
            return await _list_page(request, exc.errors, typed)
        return see_other(f"/admin/warehouses/{warehouse_id}?done=created")

    @get("/{warehouse_id:int}", include_in_schema=False)
    async def show(self, request: AnyRequest, warehouse_id: FromPath[int], done: FromQuery[str] = "") -> Template:
        return await _site_page(request, warehouse_id, done=done)

    @post("/{warehouse_id:int}", include_in_schema=False)
    async def update(self, request: AnyRequest, admin: Admin, warehouse_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        typed = {"name": text(form, "name"), "currency": text(form, "currency"), "locale": text(form, "locale")}
        action = warehouse_admin.update(
            admin.user_id, warehouse_id, typed["name"], typed["currency"], typed["locale"] or None
        )
        return await _change(request, warehouse_id, action, failed="update", done="saved", typed=typed)

    @post("/{warehouse_id:int}/receipt-header", include_in_schema=False)
    async def receipt_header(self, request: AnyRequest, admin: Admin, warehouse_id: FromPath[int]) -> Response[Any]:
        """The shop's name, address and phone as the printed receipt heads them."""
        typed = _header_typed(await request.form())
        action = warehouse_admin.set_receipt_header(admin.user_id, warehouse_id, **typed)
        return await _change(request, warehouse_id, action, failed="header", done="header", typed=typed)

    @post("/{warehouse_id:int}/timezone", include_in_schema=False)
    async def timezone(self, request: AnyRequest, admin: Admin, warehouse_id: FromPath[int]) -> Response[Any]:
        """The time zone the warehouse's days (and its day's close) run in."""
        typed = {"timezone": text(await request.form(), "timezone")}
        action = warehouse_admin.set_timezone(admin.user_id, warehouse_id, typed["timezone"])
        return await _change(request, warehouse_id, action, failed="timezone", done="timezone", typed=typed)

    @post("/{warehouse_id:int}/tipping", include_in_schema=False)
    async def tipping(self, request: AnyRequest, admin: Admin, warehouse_id: FromPath[int]) -> Response[Any]:
        """No tips, or tips on the reader (kept in a Stripe Terminal configuration of the location)."""
        form = await request.form()
        typed = {"tipping": text(form, "tipping"), "tip_choices": text(form, "tip_choices")}
        try:
            async with admin_client(keys_in_force(request.app)) as stripe:
                action = tips.set_tipping(admin.user_id, warehouse_id, typed["tipping"], typed["tip_choices"], stripe)
                return await _change(
                    request, warehouse_id, _done(action), failed="tipping", done="tipping", typed=typed
                )
        except NotConfigured:
            action = tips.set_tipping(admin.user_id, warehouse_id, typed["tipping"], typed["tip_choices"], None)
            return await _change(request, warehouse_id, _done(action), failed="tipping", done="tipping", typed=typed)
        except tips.WarehouseMissing as exc:
            raise NotFoundException() from exc

    @post("/{warehouse_id:int}/delete", include_in_schema=False)
    async def delete(self, request: AnyRequest, admin: Admin, warehouse_id: FromPath[int]) -> Response[Any]:
        confirmed = text(await request.form(), "confirm") == "yes"
        action = warehouse_admin.delete(admin.user_id, warehouse_id, confirmed)
        return await _change(request, warehouse_id, action, failed="delete", done="deleted")
