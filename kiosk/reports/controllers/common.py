"""What the till's and the admins' report pages share: the Stripe gateway the report reads with
(paced by the reports' own call budget), and the pages of one report (screen, print, CSV)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotFoundException
from litestar.response import Template

from kiosk.payments.engine import Engine
from kiosk.reports import closing
from kiosk.reports.day_report import DayReport
from kiosk.reports.export import report_csv
from kiosk.stripe_account.budget import StripeBudget, budgeted
from kiosk.stripe_account.gateway import StripeGateway

AnyRequest = Request[Any, Any, Any]
# Stripe calls per second a report may make (a page of 100 charges or refunds each), and the pause
# after a 429: well inside the test mode limit of 25/s, which the tills share.
REPORT_CALLS_PER_SECOND = 5.0
RATE_LIMITED_PAUSE = 10.0
PAPERS = ("80", "58", "a4")


def report_gateway(request: AnyRequest) -> StripeGateway | None:
    """The payments engine's gateway behind one budget per server for every report (None: no key)."""
    engine: Engine | None = request.app.state.get("payments")
    if engine is None:
        return None
    budget: StripeBudget | None = request.app.state.get("report_budget")
    if budget is None:
        budget = StripeBudget(REPORT_CALLS_PER_SECOND, RATE_LIMITED_PAUSE)
        request.app.state.report_budget = budget
    return budgeted(engine.gateway, budget)


def paper_of(paper: str) -> str:
    return paper if paper in PAPERS else "80"


def report_page(report: DayReport, links: dict[str, str], *, admin: bool = False, **extra: Any) -> Template:
    """`links`: back (the list), print (without ?paper), csv. Admins see it in the admin layout."""
    page = "admin/day_report.html" if admin else "pages/day_report.html"
    return Template(page, context={"report": report, "links": links, **extra})


def print_page(report: DayReport, links: dict[str, str], paper: str, *, admin: bool = False) -> Template:
    page = "admin/day_report_print.html" if admin else "pages/day_report_print.html"
    return Template(page, context={"report": report, "links": links, "paper": paper_of(paper)})


def csv_answer(report: DayReport) -> Response[str]:
    kind = f"z{report.number}" if report.number is not None else "x"
    name = f"{kind}-{report.warehouse_name}-{report.day}.csv".replace(" ", "_").replace('"', "")
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def kept_z(z_id: int, warehouse_id: int | None = None) -> DayReport:
    """A Z report (only of `warehouse_id` when given); 404 otherwise."""
    try:
        return await closing.z_report(z_id, warehouse_id)
    except closing.ZNotFound as exc:
        raise NotFoundException() from exc
