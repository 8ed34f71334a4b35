"""/admin/reports: every warehouse's day's close for admins: the last 30 days as charts drawn on
the server (SVG), its Z reports (reprint, CSV) and an X report of any of its days."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from kiosk.reports import closing
from kiosk.reports.charts import cash_difference_chart, sales_chart
from kiosk.reports.controllers.common import AnyRequest, csv_answer, kept_z, print_page, report_gateway, report_page
from kiosk.reports.day_report import DayReport, Place, WarehouseGone, place, x_report
from kiosk.reports.days import parse_day, today
from kiosk.reports.history import last_days
from kiosk.shop.tables import Warehouse


async def _place(warehouse_id: int) -> Place:
    try:
        return await place(warehouse_id)
    except WarehouseGone as exc:
        raise NotFoundException() from exc


async def _x(request: AnyRequest, warehouse_id: int, day: str) -> DayReport:
    where = await _place(warehouse_id)
    try:
        when = parse_day(day, where.timezone)
    except ValueError:
        when = today(where.timezone)
    return await x_report(where.id, when, report_gateway(request))


def _x_links(report: DayReport) -> dict[str, str]:
    base = f"/admin/reports/{report.warehouse_id}"
    return {"back": base, "print": f"{base}/x/print?day={report.day}", "csv": f"{base}/x/csv?day={report.day}"}


def _z_links(report: DayReport, z_id: int) -> dict[str, str]:
    return {
        "back": f"/admin/reports/{report.warehouse_id}",
        "print": f"/admin/reports/z/{z_id}/print",
        "csv": f"/admin/reports/z/{z_id}/csv",
    }


class ReportsAdminController(Controller):
    """The day's close of every warehouse."""

    path = "/admin/reports"

    @get("/", include_in_schema=False)
    async def index(self) -> Template:
        rows = await Warehouse.select(Warehouse.id, Warehouse.name, Warehouse.currency, Warehouse.timezone).order_by(
            Warehouse.name
        )
        latest = {r["id"]: found[0] for r in rows if (found := await closing.z_reports(r["id"], limit=1))}
        return Template("admin/reports.html", context={"warehouses": rows, "latest": latest})

    @get("/{warehouse_id:int}", include_in_schema=False)
    async def warehouse(self, warehouse_id: FromPath[int]) -> Template:
        where = await _place(warehouse_id)
        days = await last_days(where)
        context = {
            "where": where,
            "days": days,
            "charts": [sales_chart(days, where.currency), cash_difference_chart(days, where.currency)],
            "closes": await closing.z_reports(where.id),
            "today": today(where.timezone).isoformat(),
        }
        return Template("admin/report_warehouse.html", context=context)

    @get("/{warehouse_id:int}/x", include_in_schema=False)
    async def x(self, request: AnyRequest, warehouse_id: FromPath[int], day: FromQuery[str] = "") -> Template:
        report = await _x(request, warehouse_id, day)
        return report_page(report, _x_links(report), admin=True)

    @get("/{warehouse_id:int}/x/print", include_in_schema=False)
    async def x_print(
        self, request: AnyRequest, warehouse_id: FromPath[int], day: FromQuery[str] = "", paper: FromQuery[str] = "a4"
    ) -> Template:
        report = await _x(request, warehouse_id, day)
        return print_page(report, _x_links(report), paper, admin=True)

    @get("/{warehouse_id:int}/x/csv", include_in_schema=False)
    async def x_csv(self, request: AnyRequest, warehouse_id: FromPath[int], day: FromQuery[str] = "") -> Response[Any]:
        return csv_answer(await _x(request, warehouse_id, day))

    @get("/z/{z_id:int}", include_in_schema=False)
    async def z(self, z_id: FromPath[int]) -> Template:
        report = await kept_z(z_id)
        return report_page(report, _z_links(report, z_id), admin=True)

    @get("/z/{z_id:int}/print", include_in_schema=False)
    async def z_print(self, z_id: FromPath[int], paper: FromQuery[str] = "a4") -> Template:
        report = await kept_z(z_id)
        return print_page(report, _z_links(report, z_id), paper, admin=True)

    @get("/z/{z_id:int}/csv", include_in_schema=False)
    async def z_csv(self, z_id: FromPath[int]) -> Response[Any]:
        return csv_answer(await kept_z(z_id))
