"""The HTTP side of logins: the session cookie, and the `login` / `till` dependencies every till
route declares. Registered app-wide in create_app, so a handler only names the parameter:

    @get("/receipts")
    async def receipts(till: NamedDependency[Till]) -> Template: ...

No valid session -> LoginRequired (the login page; htmx gets HX-Redirect). A session without a
usable warehouse -> WarehouseRequired (the warehouse picker).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException

from kiosk.auth import ABSOLUTE_TIMEOUT, Login, Till, load_login, till_for
from kiosk.config import Settings

SESSION_COOKIE = "kiosk_session"
# Stripe signs its webhook instead; it is the only unsafe request without a CSRF token.
CSRF_EXEMPT = ["^/webhooks/stripe$"]
# Without KIOSK_SECRET_KEY (the demo) tokens are signed with a per-process key.
_PROCESS_SECRET = secrets.token_hex(32)


class LoginRequired(NotAuthorizedException):
    """No session, or it has ended (logout, idle, absolute timeout, deactivated user)."""


class WarehouseRequired(NotAuthorizedException):
    """Logged in, but no warehouse chosen (or no longer allowed)."""


def csrf_config(settings: Settings) -> CSRFConfig:
    """Double-submit CSRF token signed with a key derived from KIOSK_SECRET_KEY (never the key
    itself). Forms send it as `_csrf_token`, htmx as the x-csrftoken header (see base.html)."""
    key = settings.secret_key or _PROCESS_SECRET
    secret = hmac.new(key.encode(), b"kiosk csrf token", hashlib.sha256).hexdigest()
    return CSRFConfig(
        secret=secret,
        cookie_name="kiosk_csrf",
        header_name="x-csrftoken",
        cookie_secure=not settings.demo,
        cookie_samesite="lax",
        exclude=CSRF_EXEMPT,
    )


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def _is_background_poll(request: Request[Any, Any, Any]) -> bool:
    # htmx GETs are polls and fragment refreshes: they prove a page is open, not that a person is there.
    return is_htmx(request) and request.method == "GET"


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def session_cookie(request: Request[Any, Any, Any], token: str) -> Cookie:
    """HttpOnly (no script reads it), SameSite=Lax, Secure everywhere except the plain-HTTP demo."""
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not settings_of(request).demo,
        max_age=int(ABSOLUTE_TIMEOUT.total_seconds()),
    )


def expired_session_cookie(request: Request[Any, Any, Any]) -> Cookie:
    """Tells the browser to forget the session cookie (logout)."""
    return replace(session_cookie(request, ""), max_age=0, expires=0)


async def provide_login(request: Request[Any, Any, Any]) -> Login:
    token = request.cookies.get(SESSION_COOKIE)
    login = await load_login(token, activity=not _is_background_poll(request)) if token else None
    if login is None:
        raise LoginRequired("Please log in.")
    return login


async def provide_till(login: NamedDependency[Login]) -> Till:
    till = await till_for(login)
    if till is None:
        raise WarehouseRequired("Choose a warehouse.")
    return till


DEPENDENCIES = {"login": Provide(provide_login), "till": Provide(provide_till)}
