"""/receipts/{id}/customer: the receipt's customer section (search as the cashier types, attach,
a new customer, the consent to save the card). Each route answers the section's fragment."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from kiosk.customers import attach, directory
from kiosk.customers.directory import CustomerNotFound
from kiosk.customers.views import receipt_customer_context
from kiosk.forms import FormErrors
from kiosk.people.auth import Till
from kiosk.shop.lookup import ReceiptNotFound, receipt_row

CurrentTill = NamedDependency[Till]
SECTION = "partials/receipt_customer.html"


@dataclass
class AttachForm:
    customer_id: str = ""


@dataclass
class NewCustomerForm:
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class EmailForm:
    email: str = ""


@dataclass
class SaveCardForm:
    save: str = ""


async def _mine(till: Till, receipt_id: int) -> None:
    try:
        await receipt_row(receipt_id, till.warehouse.id)
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc


async def _section(receipt_id: int, **extra: Any) -> Template:
    # The page's other parts that depend on the customer (the saved cards) fetch themselves again.
    headers = {} if extra.get("rc_errors") else {"HX-Trigger": "customer-changed"}
    return Template(SECTION, context=await receipt_customer_context(receipt_id, **extra), headers=headers)


class ReceiptCustomerController(Controller):
    """The customer of a receipt at the till."""

    path = "/receipts/{receipt_id:int}/customer"

    @get("/", include_in_schema=False)
    async def show(self, till: CurrentTill, receipt_id: FromPath[int]) -> Template:
        """The section again (after the reader saved a card or the customer's email)."""
        await _mine(till, receipt_id)
        return Template(SECTION, context=await receipt_customer_context(receipt_id))

    @get("/search", include_in_schema=False)
    async def search(self, till: CurrentTill, receipt_id: FromPath[int], q: FromQuery[str] = "") -> Template:
        await _mine(till, receipt_id)
        found = await directory.search(q)
        context = {"rc_receipt_id": receipt_id, "found": found, "query": q.strip()}
        return Template("partials/customer_search_results.html", context=context)

    @post("/", include_in_schema=False)
    async def attach(self, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[AttachForm]) -> Template:
        await _mine(till, receipt_id)
        try:
            await attach.attach(receipt_id, till.warehouse.id, int(data.customer_id or 0), till.user_id)
        except FormErrors as exc:
            return await _section(receipt_id, rc_errors=exc.errors)
        except (CustomerNotFound, ValueError):
            return await _section(receipt_id, rc_errors={"customer": "That customer no longer exists."})
        return await _section(receipt_id)

    @post("/new", include_in_schema=False)
    async def create(
        self, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[NewCustomerForm]
    ) -> Template:
        await _mine(till, receipt_id)
        try:
            form = directory.parse(asdict(data))
            await attach.check_open(receipt_id, till.warehouse.id)
            customer_id = await directory.create(form, till.user_id)
            await attach.attach(receipt_id, till.warehouse.id, customer_id, till.user_id)
        except FormErrors as exc:
            return await _section(receipt_id, rc_errors=exc.errors, rc_typed=asdict(data), rc_new=True)
        return await _section(receipt_id)

    @post("/detach", include_in_schema=False)
    async def detach(self, till: CurrentTill, receipt_id: FromPath[int]) -> Template:
        await _mine(till, receipt_id)
        try:
            await attach.detach(receipt_id, till.warehouse.id)
        except FormErrors as exc:
            return await _section(receipt_id, rc_errors=exc.errors)
        return await _section(receipt_id)

    @post("/save-card", include_in_schema=False)
    async def save_card(
        self, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[SaveCardForm]
    ) -> Template:
        await _mine(till, receipt_id)
        try:
            await attach.set_save_card(receipt_id, till.warehouse.id, data.save == "yes", till.user_id)
        except FormErrors as exc:
            return await _section(receipt_id, rc_errors=exc.errors)
        return await _section(receipt_id)

    @post("/email", include_in_schema=False)
    async def add_email(
        self, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[EmailForm]
    ) -> Template:
        await _mine(till, receipt_id)
        try:
            await attach.add_email(receipt_id, till.warehouse.id, data.email, till.user_id)
        except FormErrors as exc:
            return await _section(receipt_id, rc_errors=exc.errors, rc_typed={"email": data.email})
        return await _section(receipt_id)
