"""The admin area's sections, as the layout's section nav and the /admin/ index list them.

A section appears once its page is served by the app, so the nav never links to a page that is
not there yet. Templates call `admin_sections()` (registered in kiosk.web.templating).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
    Section("payments", "Payments", "/admin/payments", "Capture mode, uncaptured payments, refunds."),
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
