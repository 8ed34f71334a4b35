"""/admin/readers: every reader of the account with its status and last contact; register one by
its registration code (label + location), rename, remove (asked first: "Remove Till 1?")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from kiosk.forms import FormErrors, see_other
from kiosk.people.auth import Login
from kiosk.people.guards import admin_area
from kiosk.readers import admin as reader_admin
from kiosk.readers.admin import device_name
from kiosk.readers.locations import NotConfigured, admin_client
from kiosk.stripe_account.admin_gateway import AdminStripeError, StripeAdmin
from kiosk.stripe_account.keys import keys_in_force

Admin = NamedDependency[Login]
FLASH = {"registered": "Reader registered.", "renamed": "Reader renamed.", "removed": "Reader removed."}


@dataclass
class RegisterForm:
    registration_code: str = ""
    label: str = ""
    location: str = ""


@dataclass
class LabelForm:
    label: str = ""


@dataclass
class RemoveForm:
    # "yes" only from the confirmation in the reader's row: a bare press only asks.
    confirm: str = ""


def _client(request: Request[Any, Any, Any]) -> StripeAdmin:
    return admin_client(keys_in_force(request.app))


async def _page(
    request: Request[Any, Any, Any], *, status: int = 200, done: str | None = None, **extra: Any
) -> Template:
    context: dict[str, Any] = {
        "readers": None,
        "locations": [],
        "problem": "",
        "errors": {},
        "typed": {},
        "rename_errors": {},
        # The reader whose removal is being asked about (its row shows the question).
        "confirm_remove": "",
        "flash": FLASH.get(done or ""),
        "device_name": device_name,
        **extra,
    }
    try:
        async with _client(request) as stripe:
            context["locations"] = await stripe.list_locations()
            context["readers"] = await stripe.list_readers()
    except (NotConfigured, AdminStripeError) as exc:
        context["problem"] = str(exc)
        status = status if status != 200 else 503
    context["location_names"] = {location.id: location.display_name for location in context["locations"]}
    return Template("admin/readers.html", context=context, status_code=status)


class ReadersController(Controller):
    """Card readers of the account (admins only)."""

    path = "/admin/readers"
    guards = [admin_area]

    @get("/", include_in_schema=False)
    async def show(
        self, request: Request[Any, Any, Any], done: FromQuery[str | None] = None, remove: FromQuery[str] = ""
    ) -> Template:
        return await _page(request, done=done, confirm_remove=remove)

    @post("/", include_in_schema=False)
    async def register(
        self, request: Request[Any, Any, Any], admin: Admin, data: URLEncodedBody[RegisterForm]
    ) -> Response[Any]:
        typed = vars(data)
        try:
            async with _client(request) as stripe:
                known = {location.id for location in await stripe.list_locations()}
                registration = reader_admin.registration_form(typed, known)
                await reader_admin.register(stripe, registration, admin.user_id)
        except FormErrors as exc:
            return await _page(request, status=400, errors=exc.errors, typed=typed)
        except (NotConfigured, AdminStripeError) as exc:
            return await _page(request, status=400, errors={"_form": str(exc)}, typed=typed)
        return see_other("/admin/readers?done=registered")

    @post("/{reader_id:str}/rename", include_in_schema=False)
    async def rename(
        self, request: Request[Any, Any, Any], admin: Admin, reader_id: FromPath[str], data: URLEncodedBody[LabelForm]
    ) -> Response[Any]:
        try:
            label = reader_admin.checked_label(data.label)
            async with _client(request) as stripe:
                await reader_admin.rename(stripe, reader_id, label, admin.user_id)
        except FormErrors as exc:
            return await _page(request, status=400, rename_errors={reader_id: next(iter(exc.errors.values()))})
        except (NotConfigured, AdminStripeError) as exc:
            return await _page(request, status=400, rename_errors={reader_id: str(exc)})
        return see_other("/admin/readers?done=renamed")

    @post("/{reader_id:str}/remove", include_in_schema=False)
    async def remove(
        self, request: Request[Any, Any, Any], admin: Admin, reader_id: FromPath[str], data: URLEncodedBody[RemoveForm]
    ) -> Response[Any]:
        if data.confirm != "yes":  # not from the confirmation: ask first
            return await _page(request, confirm_remove=reader_id)
        try:
            async with _client(request) as stripe:
                await reader_admin.remove(stripe, reader_id, admin.user_id)
        except FormErrors as exc:
            return await _page(request, status=400, rename_errors={reader_id: next(iter(exc.errors.values()))})
        except (NotConfigured, AdminStripeError) as exc:
            return await _page(request, status=400, rename_errors={reader_id: str(exc)})
        return see_other("/admin/readers?done=removed")
