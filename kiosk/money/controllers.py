"""/admin/currencies: the currencies warehouses may price in, and each one's smallest card charge
(Stripe's figure or higher; the till refuses card payments below it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from kiosk.forms import see_other
from kiosk.money import currencies
from kiosk.money.amounts import MoneyError, normalize_currency
from kiosk.money.currencies import CurrencyError
from kiosk.people.auth import Login
from kiosk.people.guards import admin_area

Admin = NamedDependency[Login]
FLASH = {"enabled": "Currency enabled.", "disabled": "Currency disabled.", "minimum": "Minimum saved."}


@dataclass
class EnableForm:
    currency: str = ""


@dataclass
class MinimumForm:
    minimum: str = ""


async def _page(status: int = 200, done: str | None = None, **extra: Any) -> Template:
    rows = await currencies.overview()
    context: dict[str, Any] = {
        "enabled": [c for c in rows if c.enabled],
        "others": [c for c in rows if not c.enabled],
        "errors": {},
        "row_errors": {},
        "typed": {},
        "flash": FLASH.get(done or ""),
        **extra,
    }
    return Template("admin/currencies.html", context=context, status_code=status)


def _code(text: str) -> str:
    try:
        return normalize_currency(text)
    except MoneyError as exc:
        raise CurrencyError(str(exc)) from exc


class CurrenciesController(Controller):
    """Enabled currencies and card minimums (admins only)."""

    path = "/admin/currencies"
    guards = [admin_area]

    @get("/", include_in_schema=False)
    async def show(self, done: FromQuery[str | None] = None) -> Template:
        return await _page(done=done)

    @post("/", include_in_schema=False)
    async def enable(self, admin: Admin, data: URLEncodedBody[EnableForm]) -> Response[Any]:
        try:
            await currencies.enable(data.currency, admin.user_id)
        except CurrencyError as exc:
            return await _page(400, errors={"currency": str(exc)}, typed={"currency": data.currency})
        return see_other("/admin/currencies?done=enabled")

    @post("/{code:str}/minimum", include_in_schema=False)
    async def minimum(self, admin: Admin, code: FromPath[str], data: URLEncodedBody[MinimumForm]) -> Response[Any]:
        try:
            await currencies.set_minimum(_code(code), data.minimum, admin.user_id)
        except CurrencyError as exc:
            return await _page(400, row_errors={code: str(exc)}, typed={code: data.minimum})
        return see_other("/admin/currencies?done=minimum")

    @post("/{code:str}/disable", include_in_schema=False)
    async def disable(self, admin: Admin, code: FromPath[str]) -> Response[Any]:
        try:
            await currencies.disable(_code(code), admin.user_id)
        except CurrencyError as exc:
            return await _page(400, row_errors={code: str(exc)})
        return see_other("/admin/currencies?done=disabled")
