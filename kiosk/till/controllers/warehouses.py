"""/admin/warehouses: create, rename, set the currency, delete (refused while receipts are open).

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
from kiosk.money.amounts import exponent
from kiosk.people.auth import Login
from kiosk.till import warehouses as warehouse_admin

Admin = NamedDependency[Login]
AnyRequest = Request[Any, Any, Any]
DONE = {
    "created": "Warehouse created. Assign cashiers to it under Users, and pair it with a location.",
    "saved": "Saved.",
    "deleted": "Warehouse deleted.",
}


async def _currency_options(current: str = "") -> list[tuple[str, str]]:
    """The enabled currencies (and the warehouse's own, even if no longer enabled)."""
    codes = sorted(set(await currencies.enabled_codes()) | ({current} if current else set()))
    return [(code, f"{code.upper()} ({exponent(code)} decimals)") for code in codes]


async def _list_page(
    errors: dict[str, str] | None = None, typed: dict[str, str] | None = None, done: str = ""
) -> Template:
    context = {
        "sites": await warehouse_admin.sites(),
        "currency_options": await _currency_options(),
        "errors": errors or {},
        "typed": typed or {"name": "", "currency": "usd"},
        "flash": DONE.get(done, ""),
    }
    return Template("admin/warehouses.html", context=context, status_code=400 if errors else 200)


async def _site_page(warehouse_id: int, *, failed: str = "", errors: dict[str, str] | None = None,
                     typed: dict[str, str] | None = None, done: str = "") -> Template:  # fmt: skip
    try:
        site = await warehouse_admin.site(warehouse_id)
    except warehouse_admin.WarehouseNotFound as exc:
        raise NotFoundException() from exc
    context = {
        "site": site,
        "currency_options": await _currency_options(site.currency),
        "failed": failed,
        "errors": errors or {},
        "typed": typed or {"name": site.name, "currency": site.currency},
        "flash": DONE.get(done, ""),
    }
    return Template("admin/warehouse.html", context=context, status_code=400 if errors else 200)


async def _change(
    warehouse_id: int, action: Awaitable[None], *, failed: str, done: str, typed: dict[str, str] | None = None
) -> Response[Any]:
    try:
        await action
    except warehouse_admin.WarehouseNotFound as exc:
        raise NotFoundException() from exc
    except FormErrors as exc:
        return await _site_page(warehouse_id, failed=failed, errors=exc.errors, typed=typed)
    if done == "deleted":
        return see_other("/admin/warehouses?done=deleted")
    return see_other(f"/admin/warehouses/{warehouse_id}?done={done}")


class WarehousesController(Controller):
    """Shops and tills."""

    path = "/admin/warehouses"

    @get("/", include_in_schema=False)
    async def index(self, done: FromQuery[str] = "") -> Template:
        return await _list_page(done=done)

    @post("/", include_in_schema=False)
    async def create(self, request: AnyRequest, admin: Admin) -> Response[Any]:
        form = await request.form()
        typed = {"name": text(form, "name"), "currency": text(form, "currency")}
        try:
            warehouse_id = await warehouse_admin.create(admin.user_id, typed["name"], typed["currency"])
        except FormErrors as exc:
            return await _list_page(exc.errors, typed)
        return see_other(f"/admin/warehouses/{warehouse_id}?done=created")

    @get("/{warehouse_id:int}", include_in_schema=False)
    async def show(self, warehouse_id: FromPath[int], done: FromQuery[str] = "") -> Template:
        return await _site_page(warehouse_id, done=done)

    @post("/{warehouse_id:int}", include_in_schema=False)
    async def update(self, request: AnyRequest, admin: Admin, warehouse_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        typed = {"name": text(form, "name"), "currency": text(form, "currency")}
        action = warehouse_admin.update(admin.user_id, warehouse_id, typed["name"], typed["currency"])
        return await _change(warehouse_id, action, failed="update", done="saved", typed=typed)

    @post("/{warehouse_id:int}/delete", include_in_schema=False)
    async def delete(self, request: AnyRequest, admin: Admin, warehouse_id: FromPath[int]) -> Response[Any]:
        confirmed = text(await request.form(), "confirm") == "yes"
        action = warehouse_admin.delete(admin.user_id, warehouse_id, confirmed)
        return await _change(warehouse_id, action, failed="delete", done="deleted")
