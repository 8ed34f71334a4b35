"""The HTTP side of logins: the session cookie, and the `login` / `till` dependencies every till
route declares. Registered app-wide in create_app, so a handler only names the parameter:

    @get("/receipts")
    async def receipts(till: NamedDependency[Till]) -> Template: ...

No valid session -> LoginRequired (the login page; htmx gets HX-Redirect). A session without a
usable warehouse -> WarehouseRequired (the warehouse picker).

Admin pages: every route under /admin is admins-only through `admin_area`, run before every
request (kiosk/web/reading_locale.py: before_each_request) whatever its handler declares, so a new
admin route cannot forget it. Handlers that need the person (for the audit log) declare
`admin: NamedDependency[Login]`. A cashier gets AdminRequired (403).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import replace
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from kiosk.config import Settings
from kiosk.people.auth import ABSOLUTE_TIMEOUT, Login, Till, load_login, till_for

SESSION_COOKIE = "kiosk_session"
# Stripe signs its webhook instead; it is the only unsafe request without a CSRF token.
CSRF_EXEMPT = ["^/webhooks/stripe$"]
# Without KIOSK_SECRET_KEY (the demo) tokens are signed with a per-process key.
_PROCESS_SECRET = secrets.token_hex(32)


class LoginRequired(NotAuthorizedException):
    """No session, or it has ended (logout, idle, absolute timeout, deactivated user)."""


class WarehouseRequired(NotAuthorizedException):
    """Logged in, but no warehouse chosen (or no longer allowed)."""


class AdminRequired(PermissionDeniedException):
    """Logged in, but not an admin."""


ADMIN_PREFIX = "/admin"
# Where the current request's login is kept once loaded, so the guard and handlers share one lookup.
_LOGIN_STATE = "kiosk_login"


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


@functools.lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def is_trusted_proxy(host: str, trusted: tuple[str, ...]) -> bool:
    """Is `host` one of the proxies of KIOSK_TRUSTED_PROXIES (an address, or inside a network)?"""
    try:
        address = ipaddress.ip_address(host.strip())
    except ValueError:
        return False
    return any(address in network for network in _networks(trusted))


def _without_port(hop: str) -> str:
    """`203.0.113.9:5123` -> `203.0.113.9`, `[2001:db8::1]:443` -> `2001:db8::1`; a bare IPv6 stays."""
    if hop.startswith("[") and "]" in hop:
        return hop[1 : hop.index("]")]
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop


def forwarded_client(peer: str, forwarded_for: str, trusted: tuple[str, ...]) -> str:
    """The browser's address: the peer itself, unless the peer is a trusted proxy; then, reading
    X-Forwarded-For from the right (each proxy appends the address it saw), the first address that
    is not a trusted proxy. The same rule as uvicorn's --forwarded-allow-ips, so it gives the same
    answer whether or not uvicorn has already applied it (`kiosk serve` does)."""
    if not forwarded_for.strip() or not is_trusted_proxy(peer, trusted):
        return peer
    hops = [_without_port(hop.strip()) for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted_proxy(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def client_address(request: Request[Any, Any, Any]) -> str:
    """Where a request comes from, for the login limit: the browser's address, read through the
    trusted proxies of KIOSK_TRUSTED_PROXIES (a load balancer's own address would put every till
    behind it in one bucket). Anyone else's X-Forwarded-For is ignored: a browser cannot choose it."""
    peer = request.client.host if request.client else "unknown"
    forwarded_for = ", ".join(request.headers.getall("x-forwarded-for", []))
    return forwarded_client(peer, forwarded_for, settings_of(request).trusted_proxies)


def signing_key(settings: Settings, purpose: str) -> bytes:
    """A key for signing one kind of value, derived from KIOSK_SECRET_KEY (never the key itself)."""
    key = settings.secret_key or _PROCESS_SECRET
    return hmac.new(key.encode(), purpose.encode(), hashlib.sha256).digest()


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


# A cookie that remembers something of the device itself (a till's readers), not of who is logged in.
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600  # a year and a bit: browsers cap cookies at 400 days


def device_cookie(request: Request[Any, Any, Any], key: str, value: str) -> Cookie:
    """A cookie of the device (a till's customer-screen or card reader), as the session cookie is
    made (HttpOnly, SameSite=Lax, Secure except in the plain-HTTP demo), kept for DEVICE_COOKIE_MAX_AGE."""
    return replace(session_cookie(request, value), key=key, max_age=DEVICE_COOKIE_MAX_AGE)


def expired_session_cookie(request: Request[Any, Any, Any]) -> Cookie:
    """Tells the browser to forget the session cookie (logout)."""
    return replace(session_cookie(request, ""), max_age=0, expires=0)


def _request_state(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    """The request's own state (the scope's dict; `connection.state` wraps it anew on each read)."""
    state: dict[str, Any] = connection.scope.setdefault("state", {})
    return state


async def _login_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Login:
    state = _request_state(connection)
    cached: Login | None = state.get(_LOGIN_STATE)
    if cached is not None:
        return cached
    token = connection.cookies.get(SESSION_COOKIE)
    # htmx GETs are polls and fragment refreshes: they prove a page is open, not that a person is there.
    background = connection.headers.get("hx-request") == "true" and connection.scope.get("method") == "GET"
    login = await load_login(token, activity=not background) if token else None
    if login is None:
        raise LoginRequired("Please log in.")
    state[_LOGIN_STATE] = login
    return login


async def login_if_any(connection: ASGIConnection[Any, Any, Any, Any]) -> Login | None:
    """The request's login, or None on a page anyone may see (no session, or an ended one)."""
    if _request_state(connection).get(_LOGIN_STATE) is None and not connection.cookies.get(SESSION_COOKIE):
        return None
    try:
        return await _login_of(connection)
    except LoginRequired:
        return None


async def provide_login(request: Request[Any, Any, Any]) -> Login:
    return await _login_of(request)


def is_admin_path(path_template: str) -> bool:
    return path_template == ADMIN_PREFIX or path_template.startswith(ADMIN_PREFIX + "/")


async def admin_area(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """App-wide check (and guard): routes under /admin need an admin. Matched on the route's own template (not
    the raw URL), so no spelling of the address slips past."""
    template = str(connection.scope.get("path_template") or connection.scope["path"])
    if is_admin_path(template):
        login = await _login_of(connection)
        if not login.is_admin:
            raise AdminRequired("Admins only.")


async def provide_admin(login: NamedDependency[Login]) -> Login:
    if not login.is_admin:
        raise AdminRequired("Admins only.")
    return login


async def provide_till(login: NamedDependency[Login]) -> Till:
    till = await till_for(login)
    if till is None:
        raise WarehouseRequired("Choose a warehouse.")
    return till


DEPENDENCIES = {
    "login": Provide(provide_login),
    "till": Provide(provide_till),
    "admin": Provide(provide_admin),
}
