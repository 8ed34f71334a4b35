"""/reader-tasks: save a customer's card without paying, or ask their email, on a reader the
cashier picks; the till follows it in a polled fragment and may cancel it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from kiosk.customers.directory import CustomerNotFound
from kiosk.forms import FormErrors, text
from kiosk.payments import reader_tasks
from kiosk.payments.controllers.progress import engine_of
from kiosk.payments.engine import Engine
from kiosk.payments.picker import picker_context
from kiosk.payments.reader_tasks import TaskView
from kiosk.payments.tables import ReaderTask
from kiosk.people.auth import Till
from kiosk.shop.lookup import ReceiptNotFound, receipt_row
from kiosk.stripe_account.errors import PaymentError

CurrentTill = NamedDependency[Till]
AnyRequest = Request[Any, Any, Any]
PICKER = "partials/reader_picker.html"
FRAGMENT = "partials/reader_task.html"
NOT_SET_UP = "Card payments are not set up on this kiosk: the readers cannot be used."


async def _check_receipt(till: Till, receipt: int | None) -> None:
    if receipt is None:
        return
    try:
        await receipt_row(receipt, till.warehouse.id)
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc


def _fragment(view: TaskView | None = None, error: str = "") -> Template:
    """The task's fragment; once it saved something, the page's customer parts fetch themselves
    again (`reader-task-done`: the customer section; `customer-changed`: the saved cards)."""
    done = view is not None and view.state == reader_tasks.SUCCEEDED
    headers = {"HX-Trigger": "reader-task-done, customer-changed"} if done else {}
    return Template(FRAGMENT, context={"task": view, "task_error": error}, headers=headers)


def _query(kind: str, customer: int, receipt: int | None) -> str:
    return f"kind={kind}&customer={customer}" + (f"&receipt={receipt}" if receipt is not None else "")


def _engine(request: AnyRequest) -> Engine:
    engine = engine_of(request)
    if engine is None:
        raise FormErrors({"reader_task": NOT_SET_UP})
    return engine


class ReaderTasksController(Controller):
    path = "/reader-tasks"

    @get("/pick", include_in_schema=False)
    async def pick(
        self,
        request: AnyRequest,
        till: CurrentTill,
        kind: FromQuery[str] = "",
        customer: FromQuery[int | None] = None,
        receipt: FromQuery[int | None] = None,
        refresh: FromQuery[bool] = False,
    ) -> Template:
        """The reader picker for a task (it refreshes itself at this same address, `refresh=1`). Its
        query is optional to the router, so a visitor without a session is sent to log in, not told off."""
        if customer is None:
            raise NotFoundException()
        await _check_receipt(till, receipt)
        try:
            await reader_tasks.check_allowed(kind, customer)
        except CustomerNotFound as exc:
            raise NotFoundException() from exc
        except FormErrors as exc:
            return _fragment(error=exc.errors["reader_task"])
        query = _query(kind, customer, receipt)
        context = await picker_context(
            engine_of(request),
            till.warehouse.id,
            post_url=f"/reader-tasks?{query}",
            target="#reader-task",
            refreshing=refresh,
        )
        title = "Save the card on" if kind == reader_tasks.SAVE_CARD else "Ask the email on"
        extra = {"refresh_url": f"/reader-tasks/pick?{query}", "is_admin": False, "picker_title": title}
        return Template(PICKER, context={**context, **extra})

    @post("/", include_in_schema=False)
    async def start(
        self,
        request: AnyRequest,
        till: CurrentTill,
        kind: FromQuery[str] = "",
        customer: FromQuery[int | None] = None,
        receipt: FromQuery[int | None] = None,
    ) -> Template:
        if customer is None:  # optional to the router: without a session, the login page first
            raise NotFoundException()
        await _check_receipt(till, receipt)
        form = await request.form()
        reader_id = text(form, "reader_id")
        holder = f"session {till.session_id} ({till.username})"
        try:
            if not reader_id:
                raise FormErrors({"reader_task": "Choose a reader."})
            view = await reader_tasks.start(_engine(request), kind, customer, receipt, reader_id, till.user_id, holder)
        except CustomerNotFound as exc:
            raise NotFoundException() from exc
        except FormErrors as exc:
            return _fragment(error=exc.errors["reader_task"])
        except PaymentError as exc:
            return _fragment(error=exc.message)
        return _fragment(view)

    @get("/{task_id:int}", include_in_schema=False)
    async def follow(self, request: AnyRequest, till: CurrentTill, task_id: FromPath[int]) -> Template:
        task = await _task(till, task_id)
        try:
            view = await reader_tasks.advance(_engine(request), task.id)
        except FormErrors as exc:
            return _fragment(error=exc.errors["reader_task"])
        return _fragment(view)

    @post("/{task_id:int}/cancel", include_in_schema=False)
    async def cancel(self, request: AnyRequest, till: CurrentTill, task_id: FromPath[int]) -> Template:
        task = await _task(till, task_id)
        try:
            view = await reader_tasks.cancel(_engine(request), task.id, till.user_id)
        except FormErrors as exc:
            return _fragment(error=exc.errors["reader_task"])
        return _fragment(view)


async def _task(till: Till, task_id: int) -> ReaderTask:
    """The task, if it was asked from a receipt of the till's warehouse or from a customer's page."""
    task = await reader_tasks.load(task_id)
    if task is None:
        raise NotFoundException()
    await _check_receipt(till, int(task.receipt) if task.receipt is not None else None)
    return task
