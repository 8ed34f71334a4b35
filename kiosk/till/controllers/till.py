"""The till: today's receipts, one receipt (lines, quick amount, cash), its summary fragment and
its printable page. Every route is scoped to the till's warehouse: other receipts are 404."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from kiosk.forms import see_other
from kiosk.payments.actions import card_tenders_context
from kiosk.people.auth import Till
from kiosk.shop.lookup import ReceiptNotFound
from kiosk.till import receipts
from kiosk.till.receipt_views import receipt_page, todays_receipts
from kiosk.till.receipts import ReceiptError

CurrentTill = NamedDependency[Till]
# Statuses a receipt page shows by name.
STATUS_LABELS = {"open": "Open", "paid": "Paid", "voided": "Voided"}


@dataclass
class LineForm:
    description: str = ""
    quantity: str = "1"
    unit_price: str = ""


@dataclass
class AmountForm:
    amount: str = ""


@dataclass
class CashForm:
    given: str = ""


async def _receipt_context(till: Till, receipt_id: int, *, with_cards: bool = True, **extra: Any) -> dict[str, Any]:
    try:
        receipt = await receipt_page(receipt_id, till.warehouse.id)
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc
    # The card section (partials/card_tenders.html) belongs to the payments engine, with its context.
    card = await card_tenders_context(receipt_id) if with_cards else {}
    defaults = {"errors": {}, "typed": {}, "cash_taken": None, "labels": STATUS_LABELS}
    return {**card, **defaults, "till": till, "receipt": receipt, **extra}


async def _attempt(
    till: Till, receipt_id: FromPath[int], action: Awaitable[Any], form: str, typed: dict[str, str] | None = None
) -> Response[Any]:
    """Run a till action. Refused -> the receipt page again, with the message by the form and what
    was typed still in it (status 400, nothing saved). Done -> back to the receipt (cash: showing
    the change to hand back)."""
    try:
        result = await action
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc
    except ReceiptError as error:
        context = await _receipt_context(till, receipt_id, errors={form: str(error)}, typed=typed or {})
        return Template("pages/receipt.html", context=context, status_code=400)
    query = f"?tender={result.tender_id}#cash" if isinstance(result, receipts.CashTaken) else ""
    return see_other(f"/receipts/{receipt_id}{query}")


class PosController(Controller):
    """Receipts of the till's warehouse."""

    path = "/receipts"

    @get("/", include_in_schema=False)
    async def today(self, till: CurrentTill) -> Template:
        listing = await todays_receipts(till.warehouse.id)
        return Template("pages/receipts.html", context={"till": till, "receipts": listing, "labels": STATUS_LABELS})

    @post("/", include_in_schema=False)
    async def new_receipt(self, till: CurrentTill) -> Redirect:
        receipt_id = await receipts.open_receipt(till.warehouse.id, till.user_id)
        return see_other(f"/receipts/{receipt_id}")

    @get("/{receipt_id:int}", include_in_schema=False)
    async def show(
        self, till: CurrentTill, receipt_id: FromPath[int], tender: FromQuery[int | None] = None
    ) -> Template:
        context = await _receipt_context(till, receipt_id)
        latest = next((c for c in context["receipt"].cash if c["id"] == tender), None)
        return Template("pages/receipt.html", context={**context, "cash_taken": latest})

    @get("/{receipt_id:int}/summary", include_in_schema=False)
    async def summary(self, till: CurrentTill, receipt_id: FromPath[int], shown: FromQuery[str] = "") -> Response[Any]:
        """The status and totals fragment. When the page's shape moved since it was drawn (a card
        payment started, ended or closed the receipt), the whole page is reloaded so every part
        shows the new state: no Void button or cash form is left that the server would refuse."""
        context = await _receipt_context(till, receipt_id, with_cards=False)
        headers = {"HX-Refresh": "true"} if shown and shown != context["receipt"].shape else {}
        return Template("partials/receipt_summary.html", context=context, headers=headers)

    @get("/{receipt_id:int}/print", include_in_schema=False)
    async def printable(self, till: CurrentTill, receipt_id: FromPath[int], paper: FromQuery[str] = "80") -> Template:
        context = await _receipt_context(till, receipt_id, with_cards=False, paper="58" if paper == "58" else "80")
        return Template("pages/receipt_print.html", context=context)

    @post("/{receipt_id:int}/lines", include_in_schema=False)
    async def add_line(
        self, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[LineForm]
    ) -> Response[Any]:
        action = receipts.add_line(receipt_id, till.warehouse.id, data.description, data.quantity, data.unit_price)
        return await _attempt(till, receipt_id, action, "line", asdict(data))

    @post("/{receipt_id:int}/amount", include_in_schema=False)
    async def add_amount(
        self, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[AmountForm]
    ) -> Response[Any]:
        action = receipts.add_quick_amount(receipt_id, till.warehouse.id, data.amount)
        return await _attempt(till, receipt_id, action, "amount", asdict(data))

    @post("/{receipt_id:int}/lines/{line_id:int}/delete", include_in_schema=False)
    async def remove_line(self, till: CurrentTill, receipt_id: FromPath[int], line_id: FromPath[int]) -> Response[Any]:
        return await _attempt(till, receipt_id, receipts.remove_line(receipt_id, till.warehouse.id, line_id), "line")

    @post("/{receipt_id:int}/cash", include_in_schema=False)
    async def take_cash(
        self, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[CashForm]
    ) -> Response[Any]:
        action = receipts.take_cash(receipt_id, till.warehouse.id, till.user_id, data.given)
        return await _attempt(till, receipt_id, action, "cash", asdict(data))

    @post("/{receipt_id:int}/void", include_in_schema=False)
    async def void(self, till: CurrentTill, receipt_id: FromPath[int]) -> Response[Any]:
        return await _attempt(till, receipt_id, receipts.void_receipt(receipt_id, till.warehouse.id), "void")
