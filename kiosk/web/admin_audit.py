"""/admin/audit: who changed which setting, or refunded, captured or canceled, and when."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import Template

from kiosk.audit import trail as audit
from kiosk.people import accounts as people


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
