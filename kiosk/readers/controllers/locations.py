"""/admin/locations: the account's Terminal locations with their readers, creating one (address
form), and an edit mode pairing each location with one warehouse. Readers no till can use (no
location, or one Stripe no longer lists) are flagged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Template

from kiosk.audit import trail as audit
from kiosk.forms import FormErrors, see_other
from kiosk.people.auth import Login
from kiosk.people.guards import admin_area
from kiosk.readers import locations as terminal_admin
from kiosk.readers.admin import device_name
from kiosk.readers.locations import NotConfigured
from kiosk.stripe_account.admin_gateway import AdminStripeError
from kiosk.stripe_account.keys import keys_in_force

Admin = NamedDependency[Login]
FLASH = {"created": "Location created.", "paired": "Pairings saved.", "unchanged": "Nothing changed."}


@dataclass
class LocationForm:
    display_name: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


def _field_of(exc: Exception) -> str:
    """The form field a Stripe error names (`address[city]` -> city), else the whole form."""
    param = exc.param if isinstance(exc, AdminStripeError) else None
    if not param:
        return "_form"
    return param.removeprefix("address[").removesuffix("]")


async def _page(
    request: Request[Any, Any, Any], *, edit: bool = False, status: int = 200, done: str | None = None, **extra: Any
) -> Template:
    """The page; when Stripe cannot be read it says why instead of listing."""
    context: dict[str, Any] = {
        "overview": None,
        "problem": "",
        "edit": edit,
        "errors": {},
        "pair_errors": {},
        "typed": {},
        "pair_typed": {},
        "flash": FLASH.get(done or ""),
        "device_name": device_name,
        **extra,
    }
    try:
        async with terminal_admin.admin_client(keys_in_force(request.app)) as stripe:
            context["overview"] = await terminal_admin.overview(stripe)
    except (NotConfigured, AdminStripeError) as exc:
        context["problem"] = str(exc)
        status = status if status != 200 else 503
    return Template("admin/locations.html", context=context, status_code=status)


class LocationsController(Controller):
    """Terminal locations and their warehouses (admins only)."""

    path = "/admin/locations"
    guards = [admin_area]

    @get("/", include_in_schema=False)
    async def show(
        self, request: Request[Any, Any, Any], edit: FromQuery[bool] = False, done: FromQuery[str | None] = None
    ) -> Template:
        return await _page(request, edit=edit, done=done)

    @post("/", include_in_schema=False)
    async def create(
        self, request: Request[Any, Any, Any], admin: Admin, data: URLEncodedBody[LocationForm]
    ) -> Response[Any]:
        """https://docs.stripe.com/api/terminal/locations/create"""
        typed = vars(data)
        try:
            name, address = terminal_admin.location_form(typed)
            async with terminal_admin.admin_client(keys_in_force(request.app)) as stripe:
                location = await stripe.create_location(name, address)
        except FormErrors as exc:
            return await _page(request, status=400, errors=exc.errors, typed=typed)
        except (NotConfigured, AdminStripeError) as exc:
            return await _page(request, status=400, errors={_field_of(exc): str(exc)}, typed=typed)
        await audit.record(admin.user_id, "location.create", f"location {location.display_name}", {"id": location.id})
        return see_other("/admin/locations?done=created")

    @post("/pairing", include_in_schema=False)
    async def pair(
        self, request: Request[Any, Any, Any], admin: Admin, data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        """Save the edit mode's choices: one warehouse per location, each warehouse at most once."""
        try:
            async with terminal_admin.admin_client(keys_in_force(request.app)) as stripe:
                known = {location.id for location in await stripe.list_locations()}
        except (NotConfigured, AdminStripeError) as exc:
            return await _page(request, edit=True, status=400, pair_errors={"_form": str(exc)}, pair_typed=data)
        names = {w.id: w.name for w in await terminal_admin.warehouses()}
        try:
            choices = terminal_admin.parse_pairings(data, known, names)
        except FormErrors as exc:
            return await _page(request, edit=True, status=400, pair_errors=exc.errors, pair_typed=data)
        changed = await terminal_admin.save_pairings(choices, names, admin.user_id)
        return see_other(f"/admin/locations?done={'paired' if changed else 'unchanged'}")
