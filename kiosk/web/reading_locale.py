"""Every request reads and writes amounts the way its warehouse does (Warehouse.locale).

An app-wide `before_request` hook (`before_each_request`), so that it runs in the request's own task
before the handler and the template: the locale set here (kiosk.money.amounts.use_locale) is the one
`|money`, `|plain_amount`, `parse_amount` and the messages about amounts use. Without a chosen
warehouse (login page, an admin who has not picked one) it is the default, en_US. Static files are
left alone.

The same hook first runs the admin check of every /admin route (kiosk/people/guards.py `admin_area`).
Both are checks every route needs, run as one hook rather than as app-wide guards: Litestar copies
the route handler for each guard of each request, which cost more than either check's own work. A
hook runs after the guards of a controller and before the handler's dependencies, and what it
raises is answered by the same exception handlers.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from kiosk.money.amounts import use_locale
from kiosk.people.guards import admin_area, login_if_any


async def reading_locale(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if str(connection.scope.get("path", "")).startswith("/static/"):
        return
    login = await login_if_any(connection)
    use_locale(login.warehouse.locale if login and login.warehouse else None)


async def before_each_request(request: Request[Any, Any, Any]) -> None:
    """App-wide: /admin is admins-only (`admin_area`), then amounts in the warehouse's locale."""
    handler = request.route_handler
    await admin_area(request, handler)
    await reading_locale(request, handler)
