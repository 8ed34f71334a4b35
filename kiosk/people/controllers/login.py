"""Login, logout, choosing a warehouse, and the front door `/`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from kiosk.forms import see_other
from kiosk.people import login_limit
from kiosk.people.auth import Login, authenticate, choose_warehouse, end_session, load_login, start_session, till_for
from kiosk.people.auth import warehouses_for as allowed_warehouses
from kiosk.people.guards import SESSION_COOKIE, client_address, expired_session_cookie, session_cookie


@dataclass
class LoginForm:
    username: str = ""
    password: str = ""


@dataclass
class WarehouseForm:
    warehouse_id: str = ""


async def _current(request: Request[Any, Any, Any]) -> Login | None:
    token = request.cookies.get(SESSION_COOKIE)
    return await load_login(token) if token else None


class AuthController(Controller):
    """The way in and out of the till."""

    @get("/", include_in_schema=False)
    async def home(self, request: Request[Any, Any, Any]) -> Redirect:
        """Logged in -> today's receipts (or the warehouse picker); otherwise the login page."""
        login = await _current(request)
        if login is None:
            return see_other("/login")
        return see_other("/receipts" if await till_for(login) else "/warehouses")

    @get("/login", include_in_schema=False)
    async def login_page(self, request: Request[Any, Any, Any]) -> Response[Any]:
        if await _current(request):
            return see_other("/")
        return Template("pages/login.html", context={"username": "", "error": None})

    @post("/login", include_in_schema=False)
    async def login(self, request: Request[Any, Any, Any], data: URLEncodedBody[LoginForm]) -> Response[Any]:
        client = client_address(request)
        refused = await login_limit.refusal(data.username, client)
        if refused is not None:  # rate limited: the password is not even checked
            context = {"username": data.username, "error": refused.message}
            headers = {"Retry-After": str(refused.retry_after_seconds)}
            return Template("pages/login.html", context=context, status_code=429, headers=headers)
        user_id = await authenticate(data.username, data.password)
        if user_id is None:
            await login_limit.note_failure(data.username, client)
            context = {"username": data.username, "error": "Wrong username or password."}
            return Template("pages/login.html", context=context, status_code=401)
        await login_limit.note_success(data.username)
        token = await start_session(user_id, replaced_token=request.cookies.get(SESSION_COOKIE))
        response = see_other("/")
        response.set_cookie(session_cookie(request, token))
        return response

    @post("/logout", include_in_schema=False)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await end_session(token)
        response = see_other("/login")
        response.set_cookie(expired_session_cookie(request))
        return response

    @get("/warehouses", include_in_schema=False)
    async def warehouse_picker(self, login: NamedDependency[Login]) -> Template:
        choices = await allowed_warehouses(login.user_id, login.is_admin)
        return Template("pages/warehouses.html", context={"login": login, "choices": choices, "error": None})

    @post("/warehouses", include_in_schema=False)
    async def pick_warehouse(self, login: NamedDependency[Login], data: URLEncodedBody[WarehouseForm]) -> Response[Any]:
        chosen = data.warehouse_id.strip()
        if chosen.isdigit() and await choose_warehouse(login, int(chosen)):
            return see_other("/receipts")
        choices = await allowed_warehouses(login.user_id, login.is_admin)
        context = {"login": login, "choices": choices, "error": "Choose one of your warehouses."}
        return Template("pages/warehouses.html", context=context, status_code=400)
