"""/admin/customers: every customer (search, add, edit), their saved cards (remove), and the
"Card data protection" setting."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from kiosk.customers import cards, directory, mirror, protection
from kiosk.customers.directory import CustomerNotFound
from kiosk.forms import FormErrors, see_other, text
from kiosk.people.auth import Login, now_utc
from kiosk.people.guards import admin_area, settings_of
from kiosk.stripe_account.errors import PaymentError
from kiosk.stripe_account.gateway import StripeGateway

Admin = NamedDependency[Login]
AnyRequest = Request[Any, Any, Any]
FLASH = {
    "created": "Customer added.",
    "saved": "Customer saved.",
    "unchanged": "Nothing changed.",
    "removed": "Card removed: Stripe will not charge it again.",
    "protection": "Card data protection saved.",
}
NO_STRIPE = "Stripe is not set up on this kiosk, so the card cannot be removed at Stripe now."


def _gateway(request: AnyRequest) -> StripeGateway | None:
    """The running payments engine's gateway (kiosk/payments/runtime.py keeps it in app.state)."""
    engine = request.app.state.get("payments")
    gateway = getattr(engine, "gateway", None)
    return gateway if isinstance(gateway, StripeGateway) else None


async def _list_page(status: int = 200, q: str = "", done: str = "", **extra: Any) -> Template:
    context: dict[str, Any] = {
        "customers": await directory.listing(q),
        "q": q,
        "mode": await protection.card_data_mode(),
        "choices": list(protection.CHOICES.items()),
        "errors": {},
        "typed": {},
        "flash": FLASH.get(done),
        **extra,
    }
    return Template("admin/customers.html", context=context, status_code=status)


async def _customer_page(customer_id: int, status: int = 200, done: str = "", **extra: Any) -> Template:
    try:
        customer = await directory.get(customer_id)
    except CustomerNotFound as exc:
        raise NotFoundException() from exc
    today = now_utc().date()
    saved = await cards.of_customer(customer_id)
    context: dict[str, Any] = {
        "customer": customer,
        "cards": [(card, card.expired(today)) for card in saved],
        "errors": {},
        "typed": {},
        "flash": FLASH.get(done),
        **extra,
    }
    return Template("admin/customer.html", context=context, status_code=status)


class CustomersAdminController(Controller):
    """Customers and saved cards (admins only)."""

    path = "/admin/customers"
    guards = [admin_area]

    @get("/", include_in_schema=False)
    async def index(self, q: FromQuery[str] = "", done: FromQuery[str] = "") -> Template:
        return await _list_page(q=q, done=done)

    @post("/", include_in_schema=False)
    async def create(self, request: AnyRequest, admin: Admin) -> Response[Any]:
        form = await request.form()
        try:
            customer_id = await directory.create(directory.parse(form), admin.user_id)
        except FormErrors as exc:
            typed = {name: text(form, name) for name in ("name", "email", "phone", "note")}
            return await _list_page(400, errors=exc.errors, typed=typed)
        return see_other(f"/admin/customers/{customer_id}?done=created")

    @post("/card-data", include_in_schema=False)
    async def card_data(self, request: AnyRequest, admin: Admin) -> Response[Any]:
        form = await request.form()
        try:
            await protection.set_card_data_mode(settings_of(request), text(form, "card_data"), admin.user_id)
        except FormErrors as exc:
            return await _list_page(400, protection_errors=exc.errors)
        return see_other("/admin/customers?done=protection")

    @get("/{customer_id:int}", include_in_schema=False)
    async def show(self, customer_id: FromPath[int], done: FromQuery[str] = "") -> Template:
        return await _customer_page(customer_id, done=done)

    @post("/{customer_id:int}", include_in_schema=False)
    async def update(self, request: AnyRequest, admin: Admin, customer_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        try:
            await directory.get(customer_id)
            changed = await directory.update(customer_id, directory.parse(form), admin.user_id)
        except CustomerNotFound as exc:
            raise NotFoundException() from exc
        except FormErrors as exc:
            typed = {name: text(form, name) for name in ("name", "email", "phone", "note")}
            return await _customer_page(customer_id, 400, errors=exc.errors, typed=typed)
        gateway = _gateway(request)
        if changed and gateway is not None:
            try:
                await mirror.push_changes(gateway, customer_id)
            except PaymentError as exc:
                note = f"Saved here; Stripe's copy could not be updated now ({exc.message}). Save again later."
                return await _customer_page(customer_id, 200, stripe_note=note)
        return see_other(f"/admin/customers/{customer_id}?done={'saved' if changed else 'unchanged'}")

    @post("/{customer_id:int}/cards/{card_id:int}/remove", include_in_schema=False)
    async def remove_card(
        self, request: AnyRequest, admin: Admin, customer_id: FromPath[int], card_id: FromPath[int]
    ) -> Response[Any]:
        gateway = _gateway(request)
        try:
            if gateway is None:
                raise FormErrors({"saved_card": NO_STRIPE})
            await cards.remove(gateway, customer_id, card_id, admin.user_id)
        except FormErrors as exc:
            return await _customer_page(customer_id, 400, card_errors=exc.errors)
        except PaymentError as exc:
            message = f"Stripe refused to remove the card: {exc.message}. Nothing changed."
            return await _customer_page(customer_id, 400, card_errors={"saved_card": message})
        return see_other(f"/admin/customers/{customer_id}?done=removed")
