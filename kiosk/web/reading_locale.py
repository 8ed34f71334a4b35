"""Every request reads and writes amounts the way its warehouse does (Warehouse.locale).

An app-wide guard, so that it runs in the request's own task before the handler and the template:
the locale set here (kiosk.money.amounts.use_locale) is the one `|money`, `|plain_amount`,
`parse_amount` and the messages about amounts use. Without a chosen warehouse (login page, an admin
who has not picked one) it is the default, en_US. Static files are left alone.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from kiosk.money.amounts import use_locale
from kiosk.people.guards import login_if_any


async def reading_locale(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if str(connection.scope.get("path", "")).startswith("/static/"):
        return
    login = await login_if_any(connection)
    use_locale(login.warehouse.locale if login and login.warehouse else None)
