"""Login, logout, choosing a warehouse, and the front door `/`.

The login limit (kiosk/people/login_limit.py) is applied here: a client that must wait gets 429 with
Retry-After and the page says how long. A browser that logs in is given a `kiosk_known` cookie: a
signed mark per person who logged in on it (the last KNOWN_KEEP), which lets it past the limit's
guard against one address trying many accounts. It holds no name, only an HMAC of it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from kiosk.forms import see_other
from kiosk.people import login_limit
from kiosk.people.auth import Login, authenticate, choose_warehouse, end_session, load_login, start_session, till_for
from kiosk.people.auth import warehouses_for as allowed_warehouses
from kiosk.people.guards import (
    SESSION_COOKIE,
    client_address,
    expired_session_cookie,
    session_cookie,
    settings_of,
    signing_key,
)

KNOWN_COOKIE = "kiosk_known"
KNOWN_KEEP = 10  # people remembered per browser (a shared till sees a few cashiers)
KNOWN_FOR = timedelta(days=180)


@dataclass
class LoginForm:
    username: str = ""
    password: str = ""


@dataclass
class WarehouseForm:
    warehouse_id: str = ""


def _login_mark(request: Request[Any, Any, Any], username: str) -> str:
    key = signing_key(settings_of(request), "kiosk known login")
    return hmac.new(key, login_limit.account_key(username).encode(), hashlib.sha256).hexdigest()[:32]


def _known_marks(request: Request[Any, Any, Any]) -> list[str]:
    return [mark for mark in request.cookies.get(KNOWN_COOKIE, "").split(".") if mark][:KNOWN_KEEP]


def _is_known_browser(request: Request[Any, Any, Any], username: str) -> bool:
    """Has this browser logged in as this person before?"""
    mark = _login_mark(request, username)
    return any(hmac.compare_digest(mark, seen) for seen in _known_marks(request))


def _known_cookie(request: Request[Any, Any, Any], username: str) -> Cookie:
    mark = _login_mark(request, username)
    marks = [mark, *(seen for seen in _known_marks(request) if seen != mark)][:KNOWN_KEEP]
    return Cookie(
        key=KNOWN_COOKIE,
        value=".".join(marks),
        path="/login",
        httponly=True,
        samesite="lax",
        secure=not settings_of(request).demo,
        max_age=int(KNOWN_FOR.total_seconds()),
    )


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
        return Template("pages/login.html", context={"username": "", "error": None, "wait": None})

    @post("/login", include_in_schema=False)
    async def login(self, request: Request[Any, Any, Any], data: URLEncodedBody[LoginForm]) -> Response[Any]:
        client = client_address(request)
        known = _is_known_browser(request, data.username)
        refused = await login_limit.refusal(data.username, client, known_browser=known)
        if refused is not None:  # slowed down: the password is not even checked
            wait = refused.retry_after_seconds
            context = {"username": data.username, "error": refused.message, "wait": wait}
            headers = {"Retry-After": str(wait)}
            return Template("pages/login.html", context=context, status_code=429, headers=headers)
        user_id = await authenticate(data.username, data.password)
        if user_id is None:
            said = await login_limit.note_failure(data.username, client)
            context = {"username": data.username, "error": said, "wait": None}
            return Template("pages/login.html", context=context, status_code=401)
        await login_limit.note_success(data.username, client)
        token = await start_session(user_id, replaced_token=request.cookies.get(SESSION_COOKIE))
        response = see_other("/")
        response.set_cookie(session_cookie(request, token))
        response.set_cookie(_known_cookie(request, data.username))
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
