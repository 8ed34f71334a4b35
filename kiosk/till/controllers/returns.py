"""Returns at the till: find a paid receipt (by number, by a card's last 4), choose what comes back
(everything, lines, an amount), confirm the question ("Return $12.50: $10.00 back to Visa •••• 4242
and $2.50 in cash?"), then the return's page and its printed slip. Every route is scoped to the
till's warehouse (other receipts and returns are 404) and needs the permission to take returns
(403 with the reason otherwise). Refused input: status 400, the message next to the field, what was
typed still there, nothing saved."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from kiosk.forms import FormErrors, see_other, text
from kiosk.payments.engine import Engine
from kiosk.people.auth import Till
from kiosk.people.permissions import NOT_ALLOWED_RETURNS, may_take_returns
from kiosk.shop.lookup import ReceiptNotFound, receipt_row
from kiosk.stripe_account.errors import PaymentError
from kiosk.till import interac_returns, returns
from kiosk.till.receipt_views import local_midnight
from kiosk.till.tables import EVERYTHING

CurrentTill = NamedDependency[Till]
AnyRequest = Request[Any, Any, Any]
FIND = "pages/returns_find.html"
FORM = "pages/return_form.html"
DONE = {"checked": "Brought up to date with Stripe."}


def _engine(request: AnyRequest) -> Engine | None:
    engine: Engine | None = request.app.state.get("payments")
    return engine


async def _forbidden(till: Till) -> Template | None:
    if await may_take_returns(till.user_id):
        return None
    return Template(
        FIND, context={"till": till, "not_allowed": NOT_ALLOWED_RETURNS, "errors": {}, "typed": {}}, status_code=403
    )


async def _form_page(
    till: Till,
    receipt_id: int,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    review: returns.ReturnPlan | None = None,
    request_key: str = "",
) -> Template:
    try:
        receipt = await returns.returnable(receipt_id, till.warehouse.id)
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc
    except returns.ReturnRefused as exc:
        context = {"till": till, "refused": str(exc), "receipt_id": receipt_id, "errors": {}, "typed": {}}
        return Template(FORM, context=context, status_code=400)
    context = {
        "till": till,
        "receipt": receipt,
        "errors": errors or {},
        "typed": typed or {"scope": EVERYTHING if receipt.left else ""},
        "review": review,
        "request_key": request_key or secrets.token_urlsafe(16),
    }
    return Template(FORM, context=context, status_code=400 if errors else 200)


def _request_of(form: Any, receipt: returns.Returnable | None = None) -> tuple[returns.ReturnRequest, dict[str, Any]]:
    quantities = {}
    for name in form:
        if name.startswith("qty-") and name[4:].isdigit():
            quantities[int(name[4:])] = text(form, name)
    minor = text(form, "amount_minor")
    request = returns.ReturnRequest(
        scope=text(form, "scope"),
        quantities=quantities,
        amount=text(form, "amount"),
        request_key=text(form, "request_key"),
        minor=int(minor) if text(form, "step") == "confirm" and minor.isdigit() else None,
        split=text(form, "split") if text(form, "step") == "confirm" else None,
    )
    typed = {"scope": request.scope, "amount": request.amount, "quantities": {k: v for k, v in quantities.items()}}
    return request, typed


class ReturnsController(Controller):
    """Returns of the till's warehouse."""

    path = "/returns"

    @get("/", include_in_schema=False)
    async def find(
        self,
        till: CurrentTill,
        number: FromQuery[str | None] = None,
        last4: FromQuery[str | None] = None,
        customer: FromQuery[str | None] = None,
    ) -> Template:
        if refused := await _forbidden(till):
            return refused
        errors: dict[str, str] = {}
        found: list[returns.Found] | None = None
        try:
            if number is not None:
                found = await returns.find_by_number(till.warehouse.id, number)
            elif last4 is not None:
                found = await returns.find_by_last4(till.warehouse.id, last4)
            elif customer is not None:
                found = await returns.find_by_customer(till.warehouse.id, customer)
        except FormErrors as exc:
            errors = exc.errors
        typed = {"number": number or "", "last4": last4 or "", "customer": customer or ""}
        today = await returns.todays_returns(till.warehouse.id, local_midnight())
        context = {"till": till, "found": found, "errors": errors, "typed": typed, "today": today}
        return Template(FIND, context=context, status_code=400 if errors else 200)

    @get("/receipts/{receipt_id:int}", include_in_schema=False)
    async def choose(self, till: CurrentTill, receipt_id: FromPath[int]) -> Template:
        await _ours(till, receipt_id)
        if refused := await _forbidden(till):
            return refused
        return await _form_page(till, receipt_id)

    @post("/receipts/{receipt_id:int}", include_in_schema=False)
    async def make(self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int]) -> Response[Any]:
        """Two steps: the form asks the question (nothing saved); only its Yes (step=confirm, with
        the amount and split shown) makes the return."""
        await _ours(till, receipt_id)
        if refused := await _forbidden(till):
            return refused
        form = await request.form()
        entry, typed = _request_of(form)
        try:
            if entry.minor is None:
                review = await returns.plan_return(receipt_id, till.warehouse.id, entry, till.user_id)
                return await _form_page(till, receipt_id, typed=typed, review=review, request_key=entry.request_key)
            return_id = await returns.take_return(_engine(request), receipt_id, till.warehouse.id, entry, till.user_id)
        except ReceiptNotFound as exc:
            raise NotFoundException() from exc
        except FormErrors as exc:
            return await _form_page(till, receipt_id, errors=exc.errors, typed=typed)
        return see_other(f"/returns/{return_id}")

    @get("/{return_id:int}", include_in_schema=False)
    async def show(
        self, request: AnyRequest, till: CurrentTill, return_id: FromPath[int], done: FromQuery[str] = ""
    ) -> Template:
        view = await _view(till, return_id)
        if refused := await _forbidden(till):
            return refused
        panels = await interac_returns.panels(_engine(request), till.warehouse.id, view)
        context = {"till": till, "ret": view, "flash": DONE.get(done, ""), "error": "", "panels": panels}
        return Template("pages/return.html", context=context)

    @get("/{return_id:int}/slip", include_in_schema=False)
    async def slip(self, till: CurrentTill, return_id: FromPath[int], paper: FromQuery[str] = "80") -> Template:
        view = await _view(till, return_id)
        if refused := await _forbidden(till):
            return refused
        context = {
            "till": till,
            "ret": view,
            "paper": "58" if paper == "58" else "80",
            "shop": await returns.slip_header(till.warehouse.id),
        }
        return Template("pages/return_slip.html", context=context)

    @post("/{return_id:int}/check", include_in_schema=False)
    async def check(self, request: AnyRequest, till: CurrentTill, return_id: FromPath[int]) -> Response[Any]:
        """Ask Stripe about the return's card refunds and send again those it never got."""
        view = await _view(till, return_id)
        if refused := await _forbidden(till):
            return refused
        engine = _engine(request)
        problem = "Stripe is not configured: nothing can be checked."
        if engine is not None:
            try:
                await returns.send_again(engine, return_id, till.warehouse.id, till.user_id)
                return see_other(f"/returns/{return_id}?done=checked")
            except PaymentError as exc:
                problem = f"Stripe could not be asked: {exc.message} Try again in a moment."
        panels = await interac_returns.panels(engine, till.warehouse.id, view)
        context = {"till": till, "ret": view, "flash": "", "error": problem, "panels": panels}
        return Template("pages/return.html", context=context, status_code=400)

    # An Interac refund of the return, on a reader (the fragment polls itself while it waits).
    @get("/{return_id:int}/refunds/{refund_id:int}", include_in_schema=False)
    async def reader_refund(
        self, request: AnyRequest, till: CurrentTill, return_id: FromPath[int], refund_id: FromPath[int]
    ) -> Template:
        await _interac(till, return_id, refund_id)
        return await _panel(request, till, return_id, refund_id)

    @get("/{return_id:int}/refunds/{refund_id:int}/readers", include_in_schema=False)
    async def reader_refund_readers(
        self,
        request: AnyRequest,
        till: CurrentTill,
        return_id: FromPath[int],
        refund_id: FromPath[int],
        refresh: FromQuery[bool] = False,
    ) -> Template:
        """The refund's reader picker, opening or (`refresh=1`) refreshing itself while open."""
        await _interac(till, return_id, refund_id)
        engine = _engine(request)
        context = await interac_returns.picker(engine, till.warehouse.id, return_id, refund_id, refreshing=refresh)
        return Template("partials/reader_picker.html", context=context)

    @post("/{return_id:int}/refunds/{refund_id:int}/reader", include_in_schema=False)
    async def reader_refund_send(
        self, request: AnyRequest, till: CurrentTill, return_id: FromPath[int], refund_id: FromPath[int]
    ) -> Template:
        view = await _interac(till, return_id, refund_id)
        reader_id = text(await request.form(), "reader_id")
        holder = f"{till.username} (return {view.number} of receipt #{view.receipt_number})"
        error = await interac_returns.send_to_reader(
            _engine(request), view, refund_id, reader_id, till.warehouse.id, till.user_id, holder
        )
        return await _panel(request, till, return_id, refund_id, error)

    @post("/{return_id:int}/refunds/{refund_id:int}/cancel", include_in_schema=False)
    async def reader_refund_cancel(
        self, request: AnyRequest, till: CurrentTill, return_id: FromPath[int], refund_id: FromPath[int]
    ) -> Template:
        view = await _interac(till, return_id, refund_id)
        error = await interac_returns.cancel(_engine(request), view, refund_id, till.user_id)
        return await _panel(request, till, return_id, refund_id, error)

    @post("/{return_id:int}/refunds/{refund_id:int}/give-up", include_in_schema=False)
    async def reader_refund_give_up(
        self, request: AnyRequest, till: CurrentTill, return_id: FromPath[int], refund_id: FromPath[int]
    ) -> Template:
        view = await _interac(till, return_id, refund_id)
        error = await interac_returns.give_up(view, refund_id, till.user_id)
        return await _panel(request, till, return_id, refund_id, error)


async def _interac(till: Till, return_id: int, refund_id: int) -> returns.ReturnView:
    """The return of this warehouse whose Interac tender this refund is (404 otherwise; 403 without
    the permission to take returns)."""
    try:
        view = await interac_returns.tender_of(return_id, refund_id, till.warehouse.id)
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc
    if not await may_take_returns(till.user_id):
        raise PermissionDeniedException(NOT_ALLOWED_RETURNS)
    return view


async def _panel(request: AnyRequest, till: Till, return_id: int, refund_id: int, error: str = "") -> Template:
    panel = await interac_returns.panel(_engine(request), till.warehouse.id, return_id, refund_id, error)
    return Template("partials/reader_refund.html", context={"panel": panel})


async def _ours(till: Till, receipt_id: int) -> None:
    """Another warehouse's receipt is not found (404), whoever asks: its existence is not told."""
    try:
        await receipt_row(receipt_id, till.warehouse.id)
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc


async def _view(till: Till, return_id: int) -> returns.ReturnView:
    try:
        return await returns.return_view(return_id, till.warehouse.id)
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc
