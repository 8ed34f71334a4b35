"""/admin/currencies: the currencies warehouses may price in, and each one's smallest card charge
(Stripe's figure or higher; the till refuses card payments below it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from kiosk.forms import see_other
from kiosk.money import currencies
from kiosk.money.currencies import CurrencyError
from kiosk.people.auth import Login
from kiosk.people.guards import admin_area, settings_of
from kiosk.stripe_account import keys
from kiosk.stripe_account.keys import Account

Admin = NamedDependency[Login]
FLASH = {"enabled": "Currency enabled.", "disabled": "Currency disabled.", "minimum": "Minimum saved."}


@dataclass
class EnableForm:
    currency: str = ""


@dataclass
class MinimumForm:
    minimum: str = ""


async def _account(request: Request[Any, Any, Any]) -> Account | None:
    """The Stripe account as last verified on the Stripe page (its country decides Terminal's currency)."""
    return (await keys.load(settings_of(request))).account


async def _page(
    request: Request[Any, Any, Any],
    status: int = 200,
    done: str | None = None,
    q: str = "",
    kind: str = "all",
    code: str | None = None,
    **extra: Any,
) -> Template:
    rows = await currencies.overview()
    account = await _account(request)
    kind = kind if kind in currencies.KINDS else "all"
    others = [c for c in rows if not c.enabled]
    flash = FLASH.get(done or "")
    country_known = bool(account and account.country)
    notes = {c.code: currencies.terminal_note(c.code, account) for c in rows if c.enabled}
    if done == "enabled" and code in notes:
        flash = f"{code.upper()} enabled." + (f" {notes[code]}" if notes[code] else "")
    if not country_known:  # the rule is said once for the page, not on every row
        notes = {}
    context: dict[str, Any] = {
        "enabled": [c for c in rows if c.enabled],
        "others": others,
        "shown": [c for c in others if c.kind_of(kind) and c.matches(q)],
        "kinds": currencies.KINDS,
        "kind": kind,
        "q": q,
        "notes": notes,
        "account": account,
        "country_known": country_known,
        "settlement_minimum": currencies.settlement_minimum(account),
        "stripe_count": len(currencies.KNOWN),
        "errors": {},
        "row_errors": {},
        "typed": {},
        "flash": flash,
        "flash_code": code if done == "enabled" else None,
        **extra,
    }
    return Template("admin/currencies.html", context=context, status_code=status)


def _code(text: str) -> str:
    """The currency of a row's form: one of Stripe's, or refused (nothing is stored for it)."""
    return currencies.stripe_code(text)


class CurrenciesController(Controller):
    """Enabled currencies and card minimums (admins only)."""

    path = "/admin/currencies"
    guards = [admin_area]

    @get("/", include_in_schema=False)
    async def show(
        self,
        request: Request[Any, Any, Any],
        done: FromQuery[str | None] = None,
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "all",
        code: FromQuery[str | None] = None,
    ) -> Template:
        return await _page(request, done=done, q=q[:40], kind=kind, code=(code or "").lower()[:3] or None)

    @post("/", include_in_schema=False)
    async def enable(
        self, request: Request[Any, Any, Any], admin: Admin, data: URLEncodedBody[EnableForm]
    ) -> Response[Any]:
        try:
            code = await currencies.enable(data.currency, admin.user_id)
        except CurrencyError as exc:
            return await _page(request, 400, errors={"currency": str(exc)}, typed={"currency": data.currency})
        return see_other(f"/admin/currencies?done=enabled&code={code}")

    @post("/{code:str}/minimum", include_in_schema=False)
    async def minimum(
        self, request: Request[Any, Any, Any], admin: Admin, code: FromPath[str], data: URLEncodedBody[MinimumForm]
    ) -> Response[Any]:
        try:
            await currencies.set_minimum(_code(code), data.minimum, admin.user_id)
        except CurrencyError as exc:
            return await _page(request, 400, row_errors={code: str(exc)}, typed={code: data.minimum})
        return see_other("/admin/currencies?done=minimum")

    @post("/{code:str}/disable", include_in_schema=False)
    async def disable(self, request: Request[Any, Any, Any], admin: Admin, code: FromPath[str]) -> Response[Any]:
        try:
            await currencies.disable(_code(code), admin.user_id)
        except CurrencyError as exc:
            return await _page(request, 400, row_errors={code: str(exc)})
        return see_other("/admin/currencies?done=disabled")
