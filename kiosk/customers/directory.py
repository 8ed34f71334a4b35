"""Finding, creating and editing customers; each field checked, a refused form changes nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from kiosk.audit import trail as audit
from kiosk.customers.tables import Customer
from kiosk.db.engine import is_postgres, write_transaction
from kiosk.forms import FormErrors
from kiosk.people.auth import now_utc

SEARCH_LIMIT = 8
PAGE_LIMIT = 200
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")


@dataclass(frozen=True)
class CustomerForm:
    name: str
    email: str
    phone: str
    note: str


@dataclass(frozen=True)
class CustomerView:
    id: int
    name: str
    email: str
    phone: str
    note: str
    stripe_customer_id: str | None

    @property
    def contact(self) -> str:
        return " · ".join(part for part in (self.email, self.phone) if part)


def _view(row: dict[str, Any]) -> CustomerView:
    return CustomerView(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        note=row["note"],
        stripe_customer_id=row["stripe_customer_id"],
    )


def check_email(text: str) -> str:
    """The address, normalized (lowercase domain); "" for none; FormErrors naming `email` if not valid."""
    text = text.strip()
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise FormErrors({"email": f"“{text}” is not an email address: {exc}"}) from exc


def parse(form: Any) -> CustomerForm:
    """The typed fields, checked all at once (FormErrors names each field refused)."""
    errors: dict[str, str] = {}
    name = str(form.get("name") or "").strip()
    if not name:
        errors["name"] = "Type the customer's name."
    elif len(name) > 120:
        errors["name"] = "A name is at most 120 characters."
    email = ""
    try:
        email = check_email(str(form.get("email") or ""))
    except FormErrors as exc:
        errors.update(exc.errors)
    phone = str(form.get("phone") or "").strip()
    if phone and not _PHONE.match(phone):
        errors["phone"] = "A phone number has digits, spaces, + ( ) - . / only."
    note = str(form.get("note") or "").strip()
    if len(note) > 1000:
        errors["note"] = "A note is at most 1000 characters."
    if errors:
        raise FormErrors(errors)
    return CustomerForm(name, email, phone, note)


async def create(form: CustomerForm, actor_id: int) -> int:
    async with write_transaction(Customer._meta.db):
        rows = await Customer.insert(
            Customer(name=form.name, email=form.email, phone=form.phone, note=form.note, created_by=actor_id)
        ).returning(Customer.id)
        customer_id = int(rows[0]["id"])
        await audit.record(actor_id, "customer.create", form.name, {"customer": customer_id, "email": form.email})
    return customer_id


async def update(customer_id: int, form: CustomerForm, actor_id: int) -> dict[str, dict[str, str]]:
    """Save the fields; the changes made ({} when nothing changed), audited in the same transaction."""
    before = await get(customer_id)
    changed = {
        name: {"from": getattr(before, name), "to": getattr(form, name)}
        for name in ("name", "email", "phone", "note")
        if getattr(before, name) != getattr(form, name)
    }
    if not changed:
        return {}
    async with write_transaction(Customer._meta.db):
        await Customer.update(
            {
                Customer.name: form.name,
                Customer.email: form.email,
                Customer.phone: form.phone,
                Customer.note: form.note,
                Customer.updated_at: now_utc(),
            }
        ).where(Customer.id == customer_id)
        await audit.record(actor_id, "customer.update", form.name, {"customer": customer_id, **changed})
    return changed


class CustomerNotFound(LookupError):
    """No such customer."""


async def get(customer_id: int) -> CustomerView:
    row = await Customer.select().where(Customer.id == customer_id).first()
    if row is None:
        raise CustomerNotFound(customer_id)
    return _view(row)


async def search(query: str, limit: int = SEARCH_LIMIT) -> list[CustomerView]:
    """Customers whose name, email or phone contain what was typed (digits of a phone match
    whatever the spacing), best known names first."""
    query = query.strip()
    if len(query) < 2:
        return []
    like = f"%{query}%"
    # SQLite's LIKE already ignores ASCII case (and warns at ILIKE); PostgreSQL needs ILIKE.
    op = "ilike" if is_postgres(Customer._meta.db) else "like"
    condition = getattr(Customer.name, op)(like) | getattr(Customer.email, op)(like) | getattr(Customer.phone, op)(like)
    digits = re.sub(r"\D", "", query)
    rows = await Customer.select().where(condition).order_by(Customer.name).limit(limit * 4)
    if len(digits) >= 3:
        others = await Customer.select().where(Customer.phone != "").order_by(Customer.name)
        seen = {row["id"] for row in rows}
        rows += [r for r in others if r["id"] not in seen and digits in re.sub(r"\D", "", r["phone"])]
    return [_view(row) for row in rows[:limit]]


async def listing(query: str = "") -> list[CustomerView]:
    """The admin's list: every customer (or those matching), by name."""
    if query.strip():
        return await search(query, PAGE_LIMIT)
    return [_view(row) for row in await Customer.select().order_by(Customer.name).limit(PAGE_LIMIT)]
