"""The admin area's front page, the answer a cashier gets at an admin address, and the list of
H6's admin controllers that create_app registers. Every /admin route is admins-only through the
app-wide guard in kiosk.people.guards, whatever its handler declares."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Template
from litestar.types import ControllerRouterHandler, ExceptionHandlersMap

from kiosk.money.controllers import CurrenciesController
from kiosk.people.controllers.users import UsersController
from kiosk.people.guards import AdminRequired
from kiosk.readers.controllers.locations import LocationsController
from kiosk.readers.controllers.readers import ReadersController
from kiosk.stripe_account.controllers import StripeSettingsController
from kiosk.till.controllers.warehouses import WarehousesController
from kiosk.web.admin_audit import AuditController


@get(["/admin", "/admin/"], include_in_schema=False)
async def admin_index() -> Template:
    """The sections an admin can open."""
    return Template("admin/index.html")


def admin_required(request: Request[Any, Any, Any], _: AdminRequired) -> Response[Any]:
    context = {
        "title": "Admins only",
        "message": "This page is for admins. Ask an admin if you need something changed.",
    }
    return Template("pages/error.html", context=context, status_code=403)


ADMIN_ROUTES: list[ControllerRouterHandler] = [admin_index, UsersController, WarehousesController, AuditController]
ADMIN_EXCEPTION_HANDLERS: ExceptionHandlersMap = {AdminRequired: admin_required}

# The admin sections that set up card payments: Stripe keys, locations, readers, currencies.
SETUP_ROUTES: list[ControllerRouterHandler] = [
    StripeSettingsController,
    LocationsController,
    ReadersController,
    CurrenciesController,
]
