"""Card payments at the till: the reader picker, start, progress (polled), cancel, try again, check.

Routes know nothing of Stripe: they call kiosk.payments and render fragments. Polls of the progress
fragment read the database only. Every route is scoped to the till's warehouse (others are 404).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from kiosk.forms import PAGE_IN_PLACE
from kiosk.money.amounts import MoneyError, check_card_amount
from kiosk.payments import actions as payments
from kiosk.payments import card_reader, metrics, poll_cache, sql
from kiosk.payments.decline_messages import FAILURES
from kiosk.payments.engine import Engine
from kiosk.payments.picker import picker_context
from kiosk.payments.poll_lookup import payment_for_poll
from kiosk.payments.settlement import Balance, balance_from
from kiosk.payments.tables import Payment
from kiosk.payments.views import PaymentView, payment_view
from kiosk.people.auth import Till
from kiosk.people.guards import device_cookie, provide_login, provide_till
from kiosk.shop.tables import OPEN, PAID
from kiosk.stripe_account.errors import PaymentError, PaymentNotAllowed, ReaderOffline
from kiosk.stripe_account.objects import ReaderInfo

CurrentTill = NamedDependency[Till]
AnyRequest = Request[Any, Any, Any]
PROGRESS = "partials/payment_progress.html"
CARD_TENDERS = "partials/card_tenders.html"
PICKER = "partials/reader_picker.html"
# htmx stops polling when a poll is answered with this status (the markup stops it too).
STOP_POLLING = 286
# H4's receipt summary reloads itself on this event (the payment may have closed the receipt).
RECEIPT_CHANGED = {"HX-Trigger": "receipt-changed"}
# Where the server knows the page's shape moved (a payment started, or closed the receipt), it answers
# with the receipt page itself, put in place of the old one (PAGE_IN_PLACE), instead of a fragment the
# summary would have to replace: one request instead of two or three. The page belongs to the till
# room, above this one; the app hands its drawing in (kiosk/app.py). Without it (or to a browser
# without htmx), a bodiless HX-Refresh has the page reloaded.
RELOAD = {"HX-Refresh": "true"}
RECEIPT_PAGE = "receipt_page"
DrawReceiptPage = Callable[[Request[Any, Any, Any], Till, int], Awaitable[Response[Any]]]


@dataclass
class ReaderForm:
    reader_id: str = ""


@dataclass
class ReleaseForm:
    # The picker the press came from, drawn again afterwards.
    picker: str = ""


# An admin's "Release…" press: the picker asks about that payment's reader before anything happens.
ReleaseAsked = FromQuery[int | None]
# `refresh=1`: the open picker's own refresh (every 5 s), not a picker opening (kiosk/readers/snapshot.py).
PickerRefresh = FromQuery[bool]
# `v`: the version of the progress fragment the poll comes from (kiosk/payments/poll_cache.py); none
# or another one is answered with the fragment.
PolledVersion = FromQuery[str | None]
_PICKERS = (re.compile(r"/receipts/(\d+)/card/readers"), re.compile(r"/payments/(\d+)/readers"))


async def _picker(
    request: Request[Any, Any, Any],
    till: Till,
    refresh_url: str,
    *,
    note: str = "",
    confirm_release: int | None = None,
    refreshing: bool = False,
) -> Template:
    """A reader picker: for a new card payment of a receipt, or for trying a payment again on
    another reader (then the retry answers with the whole card section, so that is its target);
    `refreshing`: the open picker's own refresh rather than its opening."""
    for_receipt, for_retry = (pattern.fullmatch(refresh_url) for pattern in _PICKERS)
    if for_receipt is None and for_retry is None:
        raise NotFoundException()
    base = {
        "refresh_url": refresh_url,
        "target": "#card-tenders",
        "note": note,
        "is_admin": till.is_admin,
        "confirm_release": confirm_release if till.is_admin else None,
    }
    if for_retry is not None:
        payment = await _payment(till, int(for_retry.group(1)))
        post_url = f"/payments/{payment.id}/retry"
        location = None
    else:
        assert for_receipt is not None
        receipt_id = int(for_receipt.group(1))
        receipt = await _card_receipt(till, receipt_id)
        location = receipt["location"] or ""
        post_url = f"/receipts/{receipt_id}/card"
        try:  # an amount no card can pay is refused before a reader is even offered
            check_card_amount((await _balance(receipt_id, receipt)).tenderable, receipt["currency"])
        except MoneyError as exc:
            return Template(PICKER, context={**base, "post_url": post_url, "readers": [], "problem": str(exc)})
    engine = engine_of(request)
    context = await picker_context(
        engine, till.warehouse.id, post_url=post_url, target="#card-tenders", location=location, refreshing=refreshing
    )
    return Template(PICKER, context={**context, **base})


def engine_of(request: Request[Any, Any, Any]) -> Engine | None:
    engine: Engine | None = request.app.state.get("payments")
    return engine


def _holder(till: Till) -> str:
    return f"session {till.session_id} ({till.username})"


async def _card_receipt(till: Till, receipt_id: int) -> dict[str, Any]:
    """The receipt if it is one of the till's warehouse, with its cash taken and its warehouse's
    Stripe location (`sql.receipt_for_card`); else 404."""
    receipt = await sql.receipt_for_card(receipt_id, till.warehouse.id)
    if receipt is None:
        raise NotFoundException()
    return receipt


async def _balance(receipt_id: int, receipt: dict[str, Any]) -> Balance:
    """The receipt's balance, from its row as `_card_receipt` read it and its card tenders."""
    return balance_from(receipt["currency"], receipt["total"], receipt["cash"], await sql.card_tenders_of(receipt_id))


async def _payment(till: Till, payment_id: int) -> Payment:
    """The payment, if its receipt is one of the till's warehouse (one query)."""
    payment = await sql.payment_in_warehouse(payment_id, till.warehouse.id)
    if payment is None:
        raise NotFoundException()
    return payment


async def _progress(request: Request[Any, Any, Any], view: PaymentView, version: str | None) -> Response[Any]:
    """The polled fragment; a finished payment stops the polling, offers "+ Card" if the receipt is
    still due, and tells the receipt page to refresh. While it runs, a poll whose `version` is still
    the payment's is answered 204 (kiosk/payments/poll_cache.py): no rendering, no body."""
    if not view.final:
        if poll_cache.unchanged(version, view.version):
            return poll_cache.unchanged_answer()
        return Template(PROGRESS, context={"p": view, "notice": ""})
    money = await sql.receipt_money(view.receipt_id)
    if money is not None and money["status"] == PAID:
        # The page polling a running payment was drawn with the receipt open: paid now, its answer is
        # the paid receipt's page (the fragment would never be seen, so none is drawn).
        till = await provide_till(await provide_login(request))
        return await receipt_page_answer(request, till, view.receipt_id, STOP_POLLING)
    add_card = await payments.card_tenders_context(view.receipt_id, money)
    context: dict[str, Any] = {"p": view, "notice": "", "add_card": add_card}
    if add_card["can_add_card"]:  # "+ Card" again: offered on the till's card reader, if it has one
        context["till"] = await provide_till(await provide_login(request))
    return Template(PROGRESS, context=context, status_code=STOP_POLLING, headers=RECEIPT_CHANGED)


def reload_page(status_code: int = 200) -> Response[bytes]:
    """The answer that has htmx reload the page, without a body (the browser never shows it)."""
    return Response(b"", status_code=status_code, headers=RELOAD, media_type="text/html")


async def receipt_page_answer(
    request: Request[Any, Any, Any], till: Till, receipt_id: int, status_code: int = 200
) -> Response[Any]:
    """The receipt's page as the answer of an htmx press whose result reshaped it, put in place of
    the old page; a bodiless reload where no page drawer is installed or htmx did not ask."""
    draw: DrawReceiptPage | None = request.app.state.get(RECEIPT_PAGE)
    if draw is None or request.headers.get("hx-request") != "true":
        return reload_page(status_code)
    page = await draw(request, till, receipt_id)
    page.status_code = status_code
    page.headers.update(PAGE_IN_PLACE)
    return page


async def card_section(till: Till, receipt_id: int, *, card_error: str = "", started: bool = False) -> Template:
    """The receipt's card part; after a change the receipt page is told to refresh its summary."""
    receipt = await _card_receipt(till, receipt_id)
    tenders = await payments.card_tenders_context(receipt_id, receipt)
    context = {"receipt": receipt, "card_error": card_error, "till": till, **tenders}
    return Template(CARD_TENDERS, context=context, headers=RECEIPT_CHANGED if started else {})


def remember_card_reader(request: AnyRequest, till: Till, answer: Response[Any], reader: ReaderInfo) -> None:
    """A payment started on `reader`: it is the till's card reader from now on (a cookie of the
    device, kiosk/payments/card_reader.py), set only when it changed (reader or its label)."""
    if card_reader.card_reader_of(request.cookies, till.warehouse.id) != card_reader.shown_as(reader.id, reader.label):
        value = card_reader.cookie_value(till.warehouse.id, reader.id, reader.label)
        answer.set_cookie(device_cookie(request, card_reader.COOKIE, value))


class PaymentsController(Controller):
    """Card tenders of the till's receipts."""

    @get("/receipts/{receipt_id:int}/card/readers", include_in_schema=False)
    async def readers(
        self,
        request: Request[Any, Any, Any],
        till: CurrentTill,
        receipt_id: FromPath[int],
        release: ReleaseAsked = None,
        refresh: PickerRefresh = False,
    ) -> Template:
        url = f"/receipts/{receipt_id}/card/readers"
        return await _picker(request, till, url, confirm_release=release, refreshing=refresh)

    @post("/receipts/{receipt_id:int}/card", include_in_schema=False)
    async def start(
        self,
        request: Request[Any, Any, Any],
        till: CurrentTill,
        receipt_id: FromPath[int],
        data: URLEncodedBody[ReaderForm],
    ) -> Response[Any]:
        receipt = await _card_receipt(till, receipt_id)
        engine = engine_of(request)
        try:
            if engine is None:
                raise PaymentError("Card payments are not set up on this kiosk.")
            if receipt["status"] != OPEN:
                raise PaymentError(f"This receipt is {receipt['status']}: nothing more can be paid.")
            amount = (await _balance(receipt_id, receipt)).tenderable
            check_card_amount(amount, receipt["currency"])
            reader = await payments.find_reader(engine, receipt["location"] or "", data.reader_id)
            await payments.start_payment(
                engine,
                receipt_id=receipt_id,
                reader=reader,
                amount=amount,
                currency=receipt["currency"],
                user_id=till.user_id,
                holder=_holder(till),
            )
        except (PaymentError, MoneyError, LookupError) as exc:
            return await card_section(till, receipt_id, card_error=_reason(exc))
        # "+ Card" is offered only on an editable or partly paid receipt; the running payment now
        # holds it (no lines, Void or cash forms): the page's shape moved, so the answer is the
        # page, showing the payment on its reader, which is now the till's card reader.
        answer = await receipt_page_answer(request, till, receipt_id)
        remember_card_reader(request, till, answer, reader)
        return answer

    @get("/payments/{payment_id:int}/progress", include_in_schema=False)
    async def progress(
        self, request: Request[Any, Any, Any], payment_id: FromPath[int], v: PolledVersion = None
    ) -> Response[Any]:
        # Polled every second by every open till: one query when all is well (kiosk/payments/poll_lookup.py),
        # else the usual `login` and `till` checks, which answer as on every other till route.
        payment = await payment_for_poll(request, payment_id)
        if payment is None:
            till = await provide_till(await provide_login(request))
            payment = await _payment(till, payment_id)
        answer = await _progress(request, payment_view(payment), v)
        metrics.polled(unchanged=answer.status_code == poll_cache.UNCHANGED)
        return answer

    @post("/payments/{payment_id:int}/cancel", include_in_schema=False)
    async def cancel(self, request: Request[Any, Any, Any], till: CurrentTill, payment_id: FromPath[int]) -> Template:
        return await self._act(request, till, payment_id, "cancel")

    @post("/payments/{payment_id:int}/check", include_in_schema=False)
    async def check(self, request: Request[Any, Any, Any], till: CurrentTill, payment_id: FromPath[int]) -> Template:
        return await self._act(request, till, payment_id, "check")

    @get("/payments/{payment_id:int}/readers", include_in_schema=False)
    async def retry_readers(
        self,
        request: Request[Any, Any, Any],
        till: CurrentTill,
        payment_id: FromPath[int],
        release: ReleaseAsked = None,
        refresh: PickerRefresh = False,
    ) -> Template:
        url = f"/payments/{payment_id}/readers"
        return await _picker(request, till, url, confirm_release=release, refreshing=refresh)

    @post("/payments/{payment_id:int}/release", include_in_schema=False)
    async def release(
        self,
        request: Request[Any, Any, Any],
        till: CurrentTill,
        payment_id: FromPath[int],
        data: URLEncodedBody[ReleaseForm],
    ) -> Template:
        """An admin frees the reader another receipt's payment holds: that payment is canceled the
        way its own page cancels it (its action on the reader stopped, its intent canceled at Stripe,
        or found paid), so no payment that could still be charged lets go of its reader."""
        holding = await _payment(till, payment_id)  # another warehouse's payment is not found, for anyone
        if not till.is_admin:
            raise PermissionDeniedException("Only an admin may release a reader held by another receipt.")
        engine = engine_of(request)
        note = ""
        try:
            if engine is None:
                raise PaymentError("Card payments are not set up on this kiosk.")
            released = await payments.cancel_payment(engine, holding.id, by=f"admin {till.username} (reader released)")
            if released.state == "canceled":
                note = f"{released.reader_label or 'The reader'} is free: the payment it held was canceled."
            else:
                note = "That payment was completed meanwhile: nothing was canceled."
        except PaymentError as exc:
            note = _reason(exc)
        return await _picker(request, till, data.picker, note=note)

    @post("/payments/{payment_id:int}/retry", include_in_schema=False)
    async def retry(
        self,
        request: Request[Any, Any, Any],
        till: CurrentTill,
        payment_id: FromPath[int],
        data: URLEncodedBody[ReaderForm],
    ) -> Template:
        payment = await _payment(till, payment_id)
        engine = engine_of(request)
        try:
            if engine is None:
                raise PaymentError("Card payments are not set up on this kiosk.")
            location = await payments.location_of(till.warehouse.id)
            reader = await payments.find_reader(engine, location or "", data.reader_id or payment.reader_id or "")
            await payments.retry_payment(engine, payment.id, reader, _holder(till))
        except (PaymentError, LookupError) as exc:
            return await card_section(till, int(payment.receipt), card_error=_reason(exc))
        answer = await card_section(till, int(payment.receipt), started=True)
        remember_card_reader(request, till, answer, reader)
        return answer

    async def _act(self, request: Request[Any, Any, Any], till: Till, payment_id: int, action: str) -> Template:
        payment = await _payment(till, payment_id)
        engine = engine_of(request)
        try:
            if engine is None:
                raise PaymentError("Card payments are not set up on this kiosk.")
            if action == "cancel":
                await payments.cancel_payment(engine, payment_id)
            else:
                await payments.check_payment(engine, payment_id)
        except (PaymentError, LookupError) as exc:
            return await card_section(till, int(payment.receipt), card_error=_reason(exc))
        return await card_section(till, int(payment.receipt), started=True)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ReaderOffline | PaymentNotAllowed):  # the engine's own sentence (names the reader)
        return exc.message
    if isinstance(exc, PaymentError):
        return FAILURES.get(exc.code or "", exc.message)
    if isinstance(exc, LookupError):
        return "That reader is not one of this warehouse's readers. Choose one from the list."
    return str(exc)
