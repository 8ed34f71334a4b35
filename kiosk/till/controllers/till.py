"""The till: today's receipts, one receipt (lines, quick amount, cash), its summary fragment and
its printable page. Every route is scoped to the till's warehouse: other receipts are 404."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from kiosk.catalogue import items as catalogue
from kiosk.customers import attach
from kiosk.customers.views import receipt_customer_of
from kiosk.forms import PAGE_IN_PLACE, see_other
from kiosk.payments.card_reader import is_reader_id
from kiosk.payments.picker import picker_context
from kiosk.payments.saved_cards import customer_cards_of, receipt_sent_to
from kiosk.payments.settlement import CARD_SETTLED
from kiosk.payments.views import card_tenders_of, payment_view
from kiosk.people.auth import Till, now_utc
from kiosk.people.guards import device_cookie
from kiosk.shop.lookup import ReceiptNotFound
from kiosk.shop.tables import OPEN, PAID
from kiosk.till import receipts
from kiosk.till.customer_display import COOKIE, cookie_value, displays_of, reader_of_till
from kiosk.till.receipt_views import ReceiptPage, receipt_page, receipt_page_reads, todays_receipts
from kiosk.till.receipts import ReceiptError

CurrentTill = NamedDependency[Till]
AnyRequest = Request[Any, Any, Any]
# Statuses a receipt page shows by name.
STATUS_LABELS = {"open": "Open", "paid": "Paid", "voided": "Voided"}
VOID_CONFIRM = "partials/void_confirm.html"
# A boosted form refused: the page with the message by the form, at the address it was drawn for.
STAY = {"HX-Push-Url": "false"}


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


@dataclass
class ScreenForm:
    reader_id: str = ""


@dataclass
class VoidForm:
    # "yes" only from the confirmation panel (partials/void_confirm.html): a bare press only asks.
    confirm: str = ""


async def receipt_context(till: Till, receipt_id: int, *, with_cards: bool = True, **extra: Any) -> dict[str, Any]:
    try:
        receipt, reads = await receipt_page_reads(receipt_id, till.warehouse.id, till.user_id)
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc
    # Every section below works from the rows the page has read (its card payments, balance and
    # refunds; the customer link, the card data setting and the cashier's returns right, read with
    # the receipt): nothing is read twice.
    payments = list(receipt.payments)
    tenders = card_tenders_of(payments, receipt.balance, receipt.status, receipt.refunds)
    # The card section (partials/card_tenders.html) belongs to the payments engine, with its context.
    card = _closed_cards(receipt, tenders) if with_cards else {}
    # The touch grid of favourite items, while items can still be added.
    favourites = await catalogue.favourites(receipt.currency) if receipt.editable and with_cards else []
    defaults = {"errors": {}, "typed": {}, "cash_taken": None, "labels": STATUS_LABELS, "ask_void": False,
                "favourites": favourites, "rung": None}  # fmt: skip
    defaults["may_return"] = receipt.status == PAID and reads.may_return
    # The receipt's customer (kiosk/customers) and their saved cards (kiosk/payments).
    current = await attach.of_link(reads.customer_id, reads.save_card)
    sent_to = receipt_sent_to(payments)
    cards = await customer_cards_of(receipt_id, now_utc().date(), current, tenders, sent_to)
    people = {**await receipt_customer_of(receipt_id, receipt.status, current, reads.saving), **cards}
    return {**card, **people, **defaults, "till": till, "receipt": receipt, **extra}


def _closed_cards(receipt: ReceiptPage, card: dict[str, Any]) -> dict[str, Any]:
    """On a closed receipt the card section tells what the cards did, or is left out: a card
    attempt that ended without money (canceled, declined) gives way to the card that paid, and a
    receipt paid in cash shows no card section at all (`show_card`)."""
    if receipt.status == OPEN:
        return {**card, "show_card": True}
    shown = card.get("card_payment")
    if shown is not None and shown.state not in CARD_SETTLED:
        settled = next((p for p in reversed(receipt.payments) if p.state in CARD_SETTLED), None)
        shown = payment_view(settled) if settled else None
    refunds = card.get("refunds")
    return {**card, "card_payment": shown, "show_card": bool(shown or (refunds and refunds.lines))}


async def _attempt(
    till: Till,
    receipt_id: FromPath[int],
    action: Awaitable[Any],
    form: str,
    typed: dict[str, str] | None = None,
    *,
    request: AnyRequest | None = None,
) -> Response[Any]:
    """Run a till action. Refused -> the receipt page again, with the message by the form and what
    was typed still in it (status 400, nothing saved). Done -> back to the receipt (cash: showing
    the change to hand back); with `request`, the till's customer screen follows the receipt (its
    new cart, or cleared once the receipt is closed)."""
    try:
        result = await action
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc
    except ReceiptError as error:
        context = await receipt_context(till, receipt_id, errors={form: str(error)}, typed=typed or {})
        # A boosted form stays where it was (its own address is not a page).
        headers = STAY if request is not None and boosted(request) else {}
        return Template("pages/receipt.html", context=context, status_code=400, headers=headers)
    if request is not None:
        screen_follows(request, till, receipt_id)
    tender = result.tender_id if isinstance(result, receipts.CashTaken) else None
    if request is not None and boosted(request):
        address = f"/receipts/{receipt_id}" + (f"?tender={tender}" if tender else "")
        return await draw_receipt_page(request, till, receipt_id, tender=tender, headers={"HX-Replace-Url": address})
    query = f"?tender={tender}#cash" if tender else ""
    return see_other(f"/receipts/{receipt_id}{query}")


def boosted(request: AnyRequest) -> bool:
    """A form htmx sent for the page (hx-boost): it takes the page it leads to as its answer, with the
    address to show, instead of a redirect the browser would follow with a second request."""
    return request.headers.get("hx-boosted") == "true"


async def draw_receipt_page(
    request: AnyRequest,
    till: Till,
    receipt_id: int,
    *,
    tender: int | None = None,
    added: int | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    """The receipt page: for its own address, and as the answer of a press that leads to it (a boosted
    form; the card's start and the poll that closes the receipt, kiosk/payments/controllers/progress.py).
    `errors` and `typed`: a message by a form and what was typed in it (a new sale's refused amount)."""
    context = await receipt_context(till, receipt_id, errors=errors or {}, typed=typed or {})
    if context["receipt"].editable:  # the customer screen shows the receipt being built
        screen_follows(request, till, receipt_id)
    latest = next((c for c in context["receipt"].cash if c["id"] == tender), None)
    # Just rung up (a scan or a press): "Added Cola (2)", so a scan's result is seen at once.
    line = next((x for x in context["receipt"].lines if added and x["item_id"] == added), None)
    rung = f"{line['description']} ({line['quantity']})" if line else None
    context = {**context, "cash_taken": latest, "rung": rung}
    return Template("pages/receipt.html", context=context, status_code=status_code, headers=headers or {})


def screen_follows(request: AnyRequest, till: Till, receipt_id: int) -> None:
    """Ask for the till's reader to show this receipt's cart as it now is (cleared if closed)."""
    displays_of(request.app.state).changed(reader_of_till(request.cookies, till.warehouse.id), receipt_id)


class PosController(Controller):
    """Receipts of the till's warehouse."""

    path = "/receipts"

    @get("/", include_in_schema=False)
    async def today(self, request: AnyRequest, till: CurrentTill, screen: FromQuery[str] = "") -> Template:
        """Today's receipts, and the reader this till uses as its customer screen. Back here, the
        cashier has left any receipt: the customer screen is cleared."""
        listing = await todays_receipts(till.warehouse.id)
        reader_id = reader_of_till(request.cookies, till.warehouse.id)
        displays_of(request.app.state).left(reader_id)
        engine = request.app.state.get("payments")
        readers = await picker_context(engine, till.warehouse.id, post_url="", target="")
        context = {
            "till": till,
            "receipts": listing,
            "labels": STATUS_LABELS,
            "screen_readers": readers["readers"],
            "screen_problem": readers["problem"],
            "screen_reader": reader_id or "",
            "screen_saved": screen,
        }
        return Template("pages/receipts.html", context=context)

    @post("/customer-screen", include_in_schema=False)
    async def choose_screen(
        self, request: AnyRequest, till: CurrentTill, data: URLEncodedBody[ScreenForm]
    ) -> Response[Any]:
        """Remember on this device which reader shows the customer the receipt (none: no cart)."""
        before = reader_of_till(request.cookies, till.warehouse.id)
        displays_of(request.app.state).left(before)
        response = see_other("/receipts/?screen=" + ("set" if data.reader_id else "off"))
        if is_reader_id(data.reader_id):
            response.set_cookie(device_cookie(request, COOKIE, cookie_value(till.warehouse.id, data.reader_id)))
        else:
            response.delete_cookie(COOKIE, path="/")
        return response

    @post("/", include_in_schema=False)
    async def new_receipt(
        self, request: AnyRequest, till: CurrentTill, data: URLEncodedBody[AmountForm]
    ) -> Response[Any]:
        """New sale (New receipt on today's list): a new receipt, with the next customer's amount when
        one was typed beside the button (the sale's first press saved: it goes to the card at once).
        An amount refused opens the receipt all the same, with the message and what was typed by its
        quick-amount field."""
        sale = await receipts.open_sale(till.warehouse.id, till.user_id, data.amount)
        receipt_id = sale.receipt_id
        address = {"HX-Push-Url": f"/receipts/{receipt_id}"} if boosted(request) else {}
        if sale.refused is not None:  # the page itself, even without htmx: a redirect would lose the message
            errors, typed = {"amount": sale.refused}, asdict(data)
            return await draw_receipt_page(request, till, receipt_id, errors=errors, typed=typed, headers=address)
        if address:  # the new receipt's page, at its own address
            return await draw_receipt_page(request, till, receipt_id, headers=address)
        return see_other(f"/receipts/{receipt_id}")

    @get("/{receipt_id:int}", include_in_schema=False)
    async def show(
        self,
        request: AnyRequest,
        till: CurrentTill,
        receipt_id: FromPath[int],
        tender: FromQuery[int | None] = None,
        added: FromQuery[int | None] = None,
    ) -> Template:
        return await draw_receipt_page(request, till, receipt_id, tender=tender, added=added)

    @get("/{receipt_id:int}/summary", include_in_schema=False)
    async def summary(
        self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int], shown: FromQuery[str] = ""
    ) -> Response[Any]:
        """The status and totals fragment. When the page's shape moved since it was drawn (a card
        payment started, ended or closed the receipt), the answer is the whole page, put in place of
        the old one, so every part shows the new state: no Void button or cash form is left that the
        server would refuse."""
        # Polled every 2 s while a card payment runs: only what the fragment shows is read (the
        # receipt, its totals and status), not the page's customer, cards and returns.
        try:
            receipt = await receipt_page(receipt_id, till.warehouse.id, with_lines=False)
        except ReceiptNotFound as exc:
            raise NotFoundException() from exc
        if shown and shown != receipt.shape:
            return await draw_receipt_page(request, till, receipt_id, headers=PAGE_IN_PLACE)
        context = {"receipt": receipt, "labels": STATUS_LABELS}
        return Template("partials/receipt_summary.html", context=context)

    @get("/{receipt_id:int}/print", include_in_schema=False)
    async def printable(self, till: CurrentTill, receipt_id: FromPath[int], paper: FromQuery[str] = "80") -> Template:
        context = await receipt_context(till, receipt_id, with_cards=False, paper="58" if paper == "58" else "80")
        return Template("pages/receipt_print.html", context=context)

    @post("/{receipt_id:int}/lines", include_in_schema=False)
    async def add_line(
        self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[LineForm]
    ) -> Response[Any]:
        action = receipts.add_line(receipt_id, till.warehouse.id, data.description, data.quantity, data.unit_price)
        return await _attempt(till, receipt_id, action, "line", asdict(data), request=request)

    @post("/{receipt_id:int}/amount", include_in_schema=False)
    async def add_amount(
        self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[AmountForm]
    ) -> Response[Any]:
        action = receipts.add_quick_amount(receipt_id, till.warehouse.id, data.amount)
        return await _attempt(till, receipt_id, action, "amount", asdict(data), request=request)

    @post("/{receipt_id:int}/lines/{line_id:int}/delete", include_in_schema=False)
    async def remove_line(
        self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int], line_id: FromPath[int]
    ) -> Response[Any]:
        action = receipts.remove_line(receipt_id, till.warehouse.id, line_id)
        return await _attempt(till, receipt_id, action, "line", request=request)

    @post("/{receipt_id:int}/cash", include_in_schema=False)
    async def take_cash(
        self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[CashForm]
    ) -> Response[Any]:
        action = receipts.take_cash(receipt_id, till.warehouse.id, till.user_id, data.given)
        return await _attempt(till, receipt_id, action, "cash", asdict(data), request=request)

    @get("/{receipt_id:int}/void", include_in_schema=False)
    async def ask_void(self, request: Request[Any, Any, Any], till: CurrentTill, receipt_id: FromPath[int]) -> Template:
        """The question asked before a void ("Void receipt #12?"): the panel alone for htmx, which
        swaps it in beside the button, or the receipt page with it open for a browser without htmx."""
        context = await receipt_context(till, receipt_id, ask_void=True)
        fragment = request.headers.get("hx-request") == "true"
        return Template(VOID_CONFIRM if fragment else "pages/receipt.html", context=context)

    @post("/{receipt_id:int}/void", include_in_schema=False)
    async def void(
        self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[VoidForm]
    ) -> Response[Any]:
        if data.confirm != "yes":  # a press that did not come through the confirmation asks first
            return Template("pages/receipt.html", context=await receipt_context(till, receipt_id, ask_void=True))
        action = receipts.void_receipt(receipt_id, till.warehouse.id)
        return await _attempt(till, receipt_id, action, "void", request=request)
