"""/customers/{id}: a customer's page at the till (contact, saved cards) and "Charge a saved card"
(an amount and what it is for: a receipt opened for them and paid off-session)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from kiosk.customers import cards, directory, protection
from kiosk.customers.directory import CustomerNotFound
from kiosk.forms import FormErrors, see_other, text
from kiosk.payments.engine import Engine
from kiosk.people.auth import Till, now_utc
from kiosk.stripe_account.errors import PaymentError
from kiosk.till import customer_charge

CurrentTill = NamedDependency[Till]
AnyRequest = Request[Any, Any, Any]
PAGE = "pages/customer.html"
NO_STRIPE = "Card payments are not set up on this kiosk: no saved card can be charged."


def _engine(request: AnyRequest) -> Engine | None:
    engine = request.app.state.get("payments")
    return engine if isinstance(engine, Engine) else None


async def _page(request: AnyRequest, till: Till, customer_id: int, status: int = 200, **extra: Any) -> Template:
    try:
        customer = await directory.get(customer_id)
    except CustomerNotFound as exc:
        raise NotFoundException() from exc
    today = now_utc().date()
    saved = await cards.of_customer(customer_id)
    context: dict[str, Any] = {
        "till": till,
        "customer": customer,
        "cards": [(card, card.expired(today)) for card in saved],
        "chargeable": [card for card in saved if not card.expired(today)],
        "can_charge": _engine(request) is not None,
        "no_stripe": NO_STRIPE,
        "errors": {},
        "typed": {},
        "request_key": secrets.token_urlsafe(16),
        "declined": None,
        "from_receipt": request.query_params.get("receipt", ""),
        "saving": await protection.saving_allowed(),
        **extra,
    }
    return Template(PAGE, context=context, status_code=status)


class TillCustomersController(Controller):
    """A customer's page at the till."""

    path = "/customers"

    @get("/{customer_id:int}", include_in_schema=False)
    async def show(self, request: AnyRequest, till: CurrentTill, customer_id: FromPath[int]) -> Template:
        return await _page(request, till, customer_id)

    @post("/{customer_id:int}/charge", include_in_schema=False)
    async def charge(self, request: AnyRequest, till: CurrentTill, customer_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        typed = {name: text(form, name) for name in ("card_id", "amount", "reason")}
        back = text(form, "from_receipt") if text(form, "from_receipt").isdigit() else ""
        engine = _engine(request)
        try:
            await directory.get(customer_id)
        except CustomerNotFound as exc:
            raise NotFoundException() from exc
        try:
            if engine is None:
                raise FormErrors({"saved_card": NO_STRIPE})
            asked = customer_charge.parse_form(form, till.warehouse.currency)
            done = await customer_charge.charge_customer(
                engine, till.warehouse.id, till.warehouse.currency, customer_id, asked, till.user_id, now_utc().date()
            )
        except FormErrors as exc:
            key = text(form, "request_key") or secrets.token_urlsafe(16)
            return await _page(
                request, till, customer_id, 400, errors=exc.errors, typed=typed, request_key=key, from_receipt=back
            )
        except PaymentError as exc:
            message = f"Stripe could not be asked: {exc.message}. Nothing was charged."
            return await _page(request, till, customer_id, 400, errors={"saved_card": message}, typed=typed)
        if done.outcome is None or done.outcome.approved:
            return see_other(f"/receipts/{done.receipt_id}")
        # Declined (or Stripe not sure yet): the receipt stays open for another tender; said here.
        declined = {"receipt_id": done.receipt_id, "message": done.outcome.message}
        return await _page(request, till, customer_id, 200, declined=declined, typed=typed, from_receipt=back)
