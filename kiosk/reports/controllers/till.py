"""/reports: the day's close at the till, for the till's warehouse only (other warehouses' Z
reports are 404). Any cashier runs an X report (the day so far) as often as wanted, and closes the
day with a Z report and the cash counted; the Z reports are listed and can be reprinted.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from kiosk.forms import FormErrors, see_other, text
from kiosk.people.auth import Till
from kiosk.reports import closing
from kiosk.reports.controllers.common import AnyRequest, csv_answer, kept_z, print_page, report_gateway, report_page
from kiosk.reports.day_report import DayReport, place, x_report
from kiosk.reports.days import parse_day, today

CurrentTill = NamedDependency[Till]


async def _index(
    till: Till,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    x_day: str = "",
    x_error: str = "",
) -> Template:
    """The day's close page; a refused Z form (`errors`, `typed`) or X day (`x_day`, `x_error`) comes back 400."""
    tz = (await place(till.warehouse.id)).timezone
    context = {
        "x_errors": {"day": x_error} if x_error else {},
        "x_day": x_day,
        "till": till,
        "today": today(tz).isoformat(),
        "timezone": tz,
        "closes": await closing.z_reports(till.warehouse.id),
        "errors": errors or {},
        "typed": typed or {"day": today(tz).isoformat(), "cash_counted": ""},
    }
    return Template("pages/reports.html", context=context, status_code=400 if errors or x_error else 200)


async def _x(request: AnyRequest, till: Till, day: str) -> DayReport | Template:
    """The X report of `day` (blank: today), or the reports page saying why the day is no day."""
    try:
        when = parse_day(day, (await place(till.warehouse.id)).timezone)
    except ValueError as exc:
        return await _index(till, x_day=day, x_error=str(exc))
    return await x_report(till.warehouse.id, when, report_gateway(request))


def _x_links(report: DayReport) -> dict[str, str]:
    day = report.day
    return {"back": "/reports", "print": f"/reports/x/print?day={day}", "csv": f"/reports/x/csv?day={day}"}


def _z_links(z_id: int) -> dict[str, str]:
    return {"back": "/reports", "print": f"/reports/z/{z_id}/print", "csv": f"/reports/z/{z_id}/csv"}


class TillReportsController(Controller):
    """X and Z reports of the till's warehouse."""

    path = "/reports"

    @get("/", include_in_schema=False)
    async def index(self, till: CurrentTill) -> Template:
        return await _index(till)

    @get("/x", include_in_schema=False)
    async def x(self, request: AnyRequest, till: CurrentTill, day: FromQuery[str] = "") -> Template:
        report = await _x(request, till, day)
        return report if isinstance(report, Template) else report_page(report, _x_links(report), till=till)

    @get("/x/print", include_in_schema=False)
    async def x_print(
        self, request: AnyRequest, till: CurrentTill, day: FromQuery[str] = "", paper: FromQuery[str] = "80"
    ) -> Template:
        report = await _x(request, till, day)
        return report if isinstance(report, Template) else print_page(report, _x_links(report), paper)

    @get("/x/csv", include_in_schema=False)
    async def x_csv(self, request: AnyRequest, till: CurrentTill, day: FromQuery[str] = "") -> Response[Any]:
        report = await _x(request, till, day)
        return report if isinstance(report, Template) else csv_answer(report)

    @post("/z", include_in_schema=False)
    async def close(self, request: AnyRequest, till: CurrentTill) -> Response[Any]:
        """Close the day: the Z report with the cash counted (refused: the form again, nothing kept)."""
        form = await request.form()
        typed = {"day": text(form, "day"), "cash_counted": text(form, "cash_counted")}
        try:
            z_id = await closing.close_day(
                till.warehouse.id,
                till.user_id,
                till.username,
                typed["day"],
                typed["cash_counted"],
                report_gateway(request),
            )
        except FormErrors as exc:
            return await _index(till, errors=exc.errors, typed=typed)
        return see_other(f"/reports/z/{z_id}?closed=1")

    @get("/z/{z_id:int}", include_in_schema=False)
    async def z(self, till: CurrentTill, z_id: FromPath[int], closed: FromQuery[str] = "") -> Template:
        return report_page(await kept_z(z_id, till.warehouse.id), _z_links(z_id), till=till, closed=closed == "1")

    @get("/z/{z_id:int}/print", include_in_schema=False)
    async def z_print(self, till: CurrentTill, z_id: FromPath[int], paper: FromQuery[str] = "80") -> Template:
        return print_page(await kept_z(z_id, till.warehouse.id), _z_links(z_id), paper)

    @get("/z/{z_id:int}/csv", include_in_schema=False)
    async def z_csv(self, till: CurrentTill, z_id: FromPath[int]) -> Response[Any]:
        return csv_answer(await kept_z(z_id, till.warehouse.id))
