"""/admin/payments: capture mode and customer cancellation, the accepted card brands,
authorizations waiting for capture (capture or cancel them before their deadline), and refunds of
captured payments.

Routes know nothing of Stripe: they call the payments' `captures`, `refunds.actions` and `policy`.
A refused form comes back with status 400 and the message next to its field; nothing is saved.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from kiosk.forms import FormErrors, see_other, text, texts
from kiosk.payments import brands as card_brands
from kiosk.payments import captures
from kiosk.payments import policy as payment_policy
from kiosk.payments.engine import Engine
from kiosk.payments.refunds import actions as refunds
from kiosk.payments.refunds.views import captured_payments, refund_lines
from kiosk.people.auth import Login
from kiosk.people.guards import settings_of
from kiosk.shop.tables import Receipt
from kiosk.stripe_account.errors import PaymentError

Admin = NamedDependency[Login]
AnyRequest = Request[Any, Any, Any]
PAGE = "admin/payments.html"
DONE = {
    "settings": "Payment settings saved. They apply from the next card payment on.",
    "brands": "Accepted card brands saved. They apply from the next card payment on.",
    "unchanged": "Nothing changed.",
    "captured": "Captured: the money is taken.",
    "canceled": "Authorization canceled: nothing was charged.",
    "refunded": "Refund sent to Stripe.",
    "checked": "Refunds brought up to date with Stripe.",
}
NO_STRIPE = "Stripe is not configured: set the keys under Stripe first."
CAPTURE_CHOICES = [
    ("automatic", "Automatic: the money is taken as the card is approved"),
    ("manual", "Manual: the card is authorized first, then captured"),
]
MANUAL_CHOICES = [
    (payment_policy.CAPTURE_NOW, "Capture at once (the receipt closes once captured)"),
    (payment_policy.KEEP, "Keep for capture by an admin within 2 days (the receipt closes when authorized)"),
]


def _engine(request: AnyRequest) -> Engine | None:
    engine: Engine | None = request.app.state.get("payments")
    return engine


def _number(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


async def _refund_panel(
    payment_id: int,
    errors: dict[str, str],
    typed: dict[str, str],
    review: refunds.RefundReview | None = None,
    request_key: str = "",
) -> dict[str, Any]:
    try:
        payment = await refunds.load_payment(payment_id)
    except LookupError as exc:
        raise NotFoundException() from exc
    left = await refunds.refundable(payment)
    receipt = (
        await Receipt.select(Receipt.number, Receipt.warehouse._.name).where(Receipt.id == payment.receipt).first()
    )
    return {
        "payment": payment,
        "receipt_number": receipt["number"] if receipt else "",
        "warehouse": receipt["warehouse.name"] if receipt else "",
        "lines": await refund_lines(payment, everything=True),
        "refundable": left,
        "in_person_only": refunds.IN_PERSON_ONLY if refunds.in_person_only(payment) else "",
        "typed": typed or {"amount": "", "reason": "requested_by_customer", "note": ""},
        "errors": errors,
        # "Refund $12.50 to Visa •••• 4242?": the question asked before the refund is made.
        "review": review,
        # A fresh token per form drawn (kept from the form to its confirmation): submitting the
        # same form twice makes one refund.
        "request_key": request_key or secrets.token_urlsafe(18),
    }


async def _page(
    request: AnyRequest,
    status: int = 200,
    *,
    errors: dict[str, str] | None = None,
    brand_errors: dict[str, str] | None = None,
    ticked_brands: tuple[str, ...] | None = None,
    row_errors: dict[int, str] | None = None,
    selected: int | None = None,
    refund_errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    review: refunds.RefundReview | None = None,
    request_key: str = "",
) -> Template:
    """The whole page; `selected` (or ?payment=) opens that payment's refund panel."""
    query = request.query_params
    selected = selected or _number(query.get("payment", ""))
    receipt = _number(query.get("receipt", ""))
    context: dict[str, Any] = {
        "policy": await payment_policy.load(payment_policy.from_environment(settings_of(request))),
        "capture_choices": CAPTURE_CHOICES,
        "manual_choices": MANUAL_CHOICES,
        "brand_choices": list(card_brands.BRANDS.items()),
        # A refused form shows what was ticked; otherwise what is saved.
        "accepted_brands": ticked_brands if ticked_brands is not None else await card_brands.load(),
        "brand_errors": brand_errors or {},
        "uncaptured": await captures.uncaptured(),
        "captured": await captured_payments(receipt),
        "receipt_query": receipt,
        "stripe_ready": _engine(request) is not None,
        "errors": errors or {},
        "row_errors": row_errors or {},
        "flash": DONE.get(query.get("done", ""), ""),
        "refund": (
            await _refund_panel(selected, refund_errors or {}, typed or {}, review, request_key) if selected else None
        ),
    }
    return Template(PAGE, context=context, status_code=status)


def _done(what: str, payment_id: int | None = None) -> Redirect:
    anchor = f"&payment={payment_id}#refund" if payment_id else ""
    return see_other(f"/admin/payments?done={what}{anchor}")


class PaymentsAdminController(Controller):
    """Capture mode, uncaptured authorizations, refunds (admins only, like all of /admin)."""

    path = "/admin/payments"

    @get("/", include_in_schema=False)
    async def show(self, request: AnyRequest) -> Template:
        return await _page(request)

    @post("/settings", include_in_schema=False)
    async def save_settings(self, request: AnyRequest, admin: Admin) -> Response[Any]:
        settings = settings_of(request)
        before = await payment_policy.load(payment_policy.from_environment(settings))
        try:
            after = payment_policy.parse(await request.form(), before)
        except FormErrors as exc:
            return await _page(request, 400, errors=exc.errors)
        changed = await payment_policy.save(settings, before, after, admin.user_id)
        return _done("settings" if changed else "unchanged")

    @post("/brands", include_in_schema=False)
    async def save_brands(self, request: AnyRequest, admin: Admin) -> Response[Any]:
        form = await request.form()
        try:
            after = card_brands.parse(form)
        except FormErrors as exc:
            ticked = tuple(brand for brand in texts(form, "brands") if brand in card_brands.BRANDS)
            return await _page(request, 400, brand_errors=exc.errors, ticked_brands=ticked)
        before = await card_brands.load()
        changed = await card_brands.save(settings_of(request), before, after, admin.user_id)
        return _done("brands" if changed else "unchanged")

    @post("/{payment_id:int}/capture", include_in_schema=False)
    async def capture(self, request: AnyRequest, admin: Admin, payment_id: FromPath[int]) -> Response[Any]:
        return await _authorization(request, admin, payment_id, capture=True)

    @post("/{payment_id:int}/cancel", include_in_schema=False)
    async def cancel(self, request: AnyRequest, admin: Admin, payment_id: FromPath[int]) -> Response[Any]:
        return await _authorization(request, admin, payment_id, capture=False)

    @post("/{payment_id:int}/refunds", include_in_schema=False)
    async def refund(self, request: AnyRequest, admin: Admin, payment_id: FromPath[int]) -> Response[Any]:
        """Two steps: the form asks "Refund $12.50 to Visa •••• 4242?" (nothing is saved); only
        that question's Yes (step=confirm, with the exact amount shown) makes the refund."""
        form = await request.form()
        typed = {name: text(form, name) for name in ("amount", "reason", "note")}
        key = text(form, "request_key")
        engine = _engine(request)
        if engine is None:
            return await _page(request, 400, selected=payment_id, refund_errors={"_form": NO_STRIPE}, typed=typed)
        confirmed = _number(text(form, "amount_minor")) if text(form, "step") == "confirm" else None
        entry = refunds.RefundForm(
            typed["amount"],
            typed["reason"],
            typed["note"],
            key,
            everything=text(form, "scope") == "all",
            minor=confirmed,
        )
        try:
            if confirmed is None:
                review = await refunds.review_refund(payment_id, entry)
                return await _page(request, selected=payment_id, typed=typed, review=review, request_key=key)
            await refunds.request_refund(engine, payment_id, entry, admin.user_id)
        except LookupError as exc:
            raise NotFoundException() from exc
        except FormErrors as exc:
            return await _page(request, 400, selected=payment_id, refund_errors=exc.errors, typed=typed)
        return _done("refunded", payment_id)

    @post("/{payment_id:int}/refunds/check", include_in_schema=False)
    async def check_refunds(self, request: AnyRequest, payment_id: FromPath[int]) -> Response[Any]:
        engine = _engine(request)
        problem = NO_STRIPE
        if engine is not None:
            try:
                await refunds.check_with_stripe(engine, payment_id)
                return _done("checked", payment_id)
            except LookupError as exc:
                raise NotFoundException() from exc
            except PaymentError as exc:
                problem = f"Stripe could not be asked: {exc.message}"
        return await _page(request, 400, selected=payment_id, refund_errors={"_form": problem})


async def _authorization(request: AnyRequest, admin: Login, payment_id: int, *, capture: bool) -> Response[Any]:
    engine = _engine(request)
    if engine is None:
        return await _page(request, 400, row_errors={payment_id: NO_STRIPE})
    action = captures.capture if capture else captures.cancel
    try:
        await action(engine, payment_id, admin.user_id)
    except LookupError as exc:
        raise NotFoundException() from exc
    except (captures.CaptureRefused, PaymentError) as exc:
        return await _page(request, 400, row_errors={payment_id: str(exc)})
    return _done("captured" if capture else "canceled")
