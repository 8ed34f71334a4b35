"""The admin area as a whole: its sections (the layout's nav and the /admin/ index), its front
page, the Audit page, the answer a cashier gets at an admin address, and the lists of every room's
admin controllers that create_app mounts.

Every /admin route is admins-only through the app-wide guard in kiosk/people/guards.py, whatever its
handler declares. A section appears once its page is served by the app, so the nav never links to a
page that is not there; templates call `admin_sections()` (registered in kiosk/web/templating.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery
from litestar.response import Template
from litestar.types import ControllerRouterHandler, ExceptionHandlersMap

from kiosk.audit import trail as audit
from kiosk.catalogue.controllers.admin import CatalogueController
from kiosk.customers.controllers.admin import CustomersAdminController
from kiosk.money.controllers import CurrenciesController
from kiosk.people import accounts as people
from kiosk.people.controllers.users import UsersController
from kiosk.people.guards import AdminRequired
from kiosk.readers.controllers.locations import LocationsController
from kiosk.readers.controllers.readers import ReadersController
from kiosk.reports.controllers.admin import ReportsAdminController
from kiosk.stripe_account.controllers import StripeSettingsController
from kiosk.till.controllers.warehouses import WarehousesController


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    path: str
    summary: str
    current: bool = False


SECTIONS = (
    Section("stripe", "Stripe", "/admin/stripe", "API keys, checking them, and the webhook endpoint."),
    Section("locations", "Locations", "/admin/locations", "Terminal locations and the warehouse each one serves."),
    Section("readers", "Readers", "/admin/readers", "Register, rename and remove card readers; their status."),
    Section("warehouses", "Warehouses", "/admin/warehouses", "Shops and tills: names and currencies."),
    Section("currencies", "Currencies", "/admin/currencies", "Enabled currencies and their minimum card charge."),
    Section("catalogue", "Catalogue", "/admin/catalogue", "Items, barcodes, prices and taxes; CSV import and export."),
    Section("payments", "Payments", "/admin/payments", "Capture mode, uncaptured payments, refunds."),
    Section("reports", "Day's close", "/admin/reports", "X and Z reports of every warehouse, the last 30 days."),
    Section("customers", "Customers", "/admin/customers", "Customers, their saved cards, card data protection."),
    Section("users", "Users", "/admin/users", "Cashiers and admins, their warehouses and passwords."),
    Section("audit", "Audit log", "/admin/audit", "Who changed what, and when."),
)


def _served_paths(app: Any) -> set[str]:
    paths: set[str] | None = app.state.get("admin_served_paths")
    if paths is None:
        paths = {route.path for route in app.routes}
        app.state.admin_served_paths = paths
    return paths


def sections_for(app: Any, current_path: str) -> list[Section]:
    served = _served_paths(app)
    return [
        Section(s.key, s.label, s.path, s.summary, current_path.startswith(s.path))
        for s in SECTIONS
        if s.path in served
    ]


def admin_sections(context: Mapping[str, Any]) -> list[Section]:
    """Template callable: the sections this app serves, the one being viewed marked `current`."""
    request = context["request"]
    return sections_for(request.app, request.url.path)


class AuditController(Controller):
    """The audit log, newest first, a page at a time."""

    path = "/admin/audit"

    @get("/", include_in_schema=False)
    async def index(self, area: FromQuery[str] = "", actor: FromQuery[str] = "",
                    before: FromQuery[int | None] = None) -> Template:  # fmt: skip
        # The filter form sends empty values for "everything" / "anyone"; anything unknown means no filter.
        areas = await audit.areas()
        area = area if area in areas else ""
        who = int(actor) if actor.isdigit() else None
        rows = await audit.entries(before=before, area=area, actor=who)
        older = rows[-1].id if len(rows) == audit.PAGE_SIZE else None
        context = {
            "entries": rows,
            "areas": areas,
            "people": await people.people(),
            "area": area,
            "actor": who,
            "older": older,
            "paged": before is not None,
        }
        return Template("admin/audit.html", context=context)


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


ADMIN_ROUTES: list[ControllerRouterHandler] = [
    admin_index,
    UsersController,
    WarehousesController,
    CatalogueController,
    CustomersAdminController,
    AuditController,
    ReportsAdminController,
]
ADMIN_EXCEPTION_HANDLERS: ExceptionHandlersMap = {AdminRequired: admin_required}

# The admin sections that set up card payments: Stripe keys, locations, readers, currencies.
SETUP_ROUTES: list[ControllerRouterHandler] = [
    StripeSettingsController,
    LocationsController,
    ReadersController,
    CurrenciesController,
]
