"""Warehouses, as admins manage them: create, rename, set the currency, the printed receipt's
header (the shop's name, address and phone), delete. Domain only.

A refused change raises FormErrors (a message per field) and saves nothing; every change goes
into the audit log. The currency must be one the shop has enabled (kiosk.money.currencies). Receipts are
the shop's books, so a warehouse with open receipts cannot be deleted (nor change currency under
them), and one with past receipts is kept for its history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from kiosk.audit import trail as audit
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors, collected, field_error
from kiosk.money import currencies
from kiosk.money.amounts import DEFAULT_LOCALE, MoneyError, normalize_currency, normalize_locale
from kiosk.people.auth import AuthError
from kiosk.people.tables import UserWarehouse
from kiosk.readers.tables import LocationPairing
from kiosk.shop.tables import Receipt, Warehouse
from kiosk.shop.timezones import timezone_problem

MAX_NAME = 100
# The receipt header fits a 58 mm strip: a few short address lines, one phone number.
MAX_ADDRESS_LINES = 4
MAX_ADDRESS_LINE = 60
MAX_PHONE = 40
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]*[0-9)]$")


class WarehouseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Site:
    id: int
    name: str
    currency: str
    location: str | None  # the paired Stripe Terminal location
    open_receipts: int
    past_receipts: int
    people: int
    # The printed receipt's header (see `set_receipt_header`).
    receipt_name: str = ""
    address: str = ""
    phone: str = ""
    # The IANA zone its days run in (the day's close: kiosk/reports).
    timezone: str = "UTC"
    # How amounts are written and read here (kiosk/money/amounts.py).
    locale: str = DEFAULT_LOCALE


def _receipts_word(count: int) -> str:
    return f"{count} receipt" if count == 1 else f"{count} receipts"


async def _receipt_counts(is_open: bool) -> dict[int, int]:
    status = (Receipt.status == "open") if is_open else (Receipt.status != "open")
    rows = await Receipt.select(Receipt.warehouse, Count()).where(status).group_by(Receipt.warehouse)
    return {int(row["warehouse"]): int(row["count"]) for row in rows}


async def _people_counts() -> dict[int, int]:
    rows = await UserWarehouse.select(UserWarehouse.warehouse, Count()).group_by(UserWarehouse.warehouse)
    return {int(row["warehouse"]): int(row["count"]) for row in rows}


async def sites() -> list[Site]:
    """Every warehouse by name, with what an admin needs to know before changing it."""
    columns = (Warehouse.id, Warehouse.name, Warehouse.currency, Warehouse.receipt_name, Warehouse.address,
               Warehouse.phone, Warehouse.timezone,
               Warehouse.locale)  # fmt: skip
    rows = await Warehouse.select(*columns).order_by(Warehouse.name)
    pairings = {
        int(r["warehouse"]): str(r["stripe_location_id"])
        for r in await LocationPairing.select(LocationPairing.warehouse, LocationPairing.stripe_location_id)
    }
    open_, past, people = await _receipt_counts(True), await _receipt_counts(False), await _people_counts()
    return [
        Site(r["id"], r["name"], r["currency"], pairings.get(r["id"]), open_.get(r["id"], 0), past.get(r["id"], 0),
             people.get(r["id"], 0), r["receipt_name"], r["address"], r["phone"], r["timezone"], r["locale"])
        for r in rows
    ]  # fmt: skip


async def site(warehouse_id: int) -> Site:
    for found in await sites():
        if found.id == warehouse_id:
            return found
    raise WarehouseNotFound(warehouse_id)


async def _name_problem(name: str, except_id: int | None = None) -> str | None:
    if not name:
        return "Enter a name."
    if len(name) > MAX_NAME:
        return f"A name is at most {MAX_NAME} characters."
    rows = await Warehouse.select(Warehouse.id, Warehouse.name)
    if any(str(r["name"]).lower() == name.lower() and r["id"] != except_id for r in rows):
        return f"There is already a warehouse named {name}."
    return None


async def _currency(text: str) -> str:
    try:
        code = normalize_currency(text)
    except MoneyError as exc:
        raise field_error("currency", str(exc)) from exc
    if code not in await currencies.enabled_codes():
        raise field_error("currency", f"{code.upper()} is not enabled. Enable it under Currencies first.")
    return code


def _locale(text: str) -> str:
    try:
        return normalize_locale(text)
    except MoneyError as exc:
        raise field_error("locale", str(exc)) from exc


async def _checked(name: str, currency: str, except_id: int | None = None, locale: str = DEFAULT_LOCALE
                   ) -> tuple[str, str, str]:  # fmt: skip
    """The cleaned name, currency and locale, or every problem with them at once."""
    errors: dict[str, str] = {}
    name = name.strip()
    if problem := await _name_problem(name, except_id):
        errors["name"] = problem
    with collected(errors):
        code = await _currency(currency)
    with collected(errors):
        locale = _locale(locale)
    if errors:
        raise FormErrors(errors)
    return name, code, locale


async def create(actor_id: int, name: str, currency: str, locale: str = DEFAULT_LOCALE) -> int:
    """A new warehouse; its receipts are numbered from 1 in `currency`, amounts written as `locale` does."""
    name, code, locale = await _checked(name, currency, locale=locale)
    async with write_transaction(Warehouse._meta.db):
        if problem := await _name_problem(name):  # again under the write lock: someone may have just used it
            raise field_error("name", problem)
        rows = await Warehouse.insert(Warehouse(name=name, currency=code, locale=locale)).returning(Warehouse.id)
        await audit.record(actor_id, "warehouse.create", f"warehouse {name}", {"currency": code, "locale": locale})
    return int(rows[0]["id"])


async def update(actor_id: int, warehouse_id: int, name: str, currency: str, locale: str | None = None) -> None:
    """Rename, change the currency (not while receipts are open in the old one) and/or the locale."""
    before = await site(warehouse_id)
    name, code, locale = await _checked(name, currency, except_id=warehouse_id, locale=locale or before.locale)
    if code != before.currency and before.open_receipts:
        open_ = _receipts_word(before.open_receipts)
        raise field_error("currency", f"{before.name} has {open_} open in {before.currency.upper()}: close them first.")
    tipping = await Warehouse.select(Warehouse.tipping).where(Warehouse.id == warehouse_id).first()
    if code != before.currency and tipping and tipping["tipping"] not in ("", "off"):
        # The suggestions at Stripe are for the old currency (Terminal configuration tipping.<currency>).
        raise field_error("currency", f"Tips are on in {before.currency.upper()}: set Tips to “No tips” first.")
    changes = {key: {"from": old, "to": new} for key, old, new in (("name", before.name, name),
               ("currency", before.currency, code), ("locale", before.locale, locale)) if old != new}  # fmt: skip
    if not changes:
        return
    async with write_transaction(Warehouse._meta.db):
        if problem := await _name_problem(name, except_id=warehouse_id):
            raise field_error("name", problem)
        await Warehouse.update({Warehouse.name: name, Warehouse.currency: code, Warehouse.locale: locale}).where(
            Warehouse.id == warehouse_id
        )
        await audit.record(actor_id, "warehouse.update", f"warehouse {name}", changes)


def _header_lines(text: str) -> str:
    """An address as typed in a text area: its lines trimmed, blank ones dropped, "\n" between."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _receipt_header_problems(receipt_name: str, address: str, phone: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(receipt_name) > MAX_NAME:
        errors["receipt_name"] = f"A name is at most {MAX_NAME} characters."
    lines = address.split("\n") if address else []
    if len(lines) > MAX_ADDRESS_LINES:
        errors["address"] = f"An address is at most {MAX_ADDRESS_LINES} lines on the receipt."
    elif any(len(line) > MAX_ADDRESS_LINE for line in lines):
        errors["address"] = f"A line of the address is at most {MAX_ADDRESS_LINE} characters."
    if len(phone) > MAX_PHONE:
        errors["phone"] = f"A phone number is at most {MAX_PHONE} characters."
    elif phone and not _PHONE.match(phone):
        errors["phone"] = "A phone number has digits, spaces and + - ( ) . / only, like +1 415 555 0134."
    return errors


async def set_receipt_header(actor_id: int, warehouse_id: int, receipt_name: str, address: str, phone: str) -> None:
    """What the printed receipt says of the shop: its name (blank: the warehouse's), address and phone."""
    before = await site(warehouse_id)
    header = {"receipt_name": receipt_name.strip(), "address": _header_lines(address), "phone": " ".join(phone.split())}
    if errors := _receipt_header_problems(**header):
        raise FormErrors(errors)
    changes = {
        key: {"from": getattr(before, key), "to": new} for key, new in header.items() if getattr(before, key) != new
    }
    if not changes:
        return
    async with write_transaction(Warehouse._meta.db):
        await Warehouse.update(
            {Warehouse.receipt_name: header["receipt_name"], Warehouse.address: header["address"],
             Warehouse.phone: header["phone"]}
        ).where(Warehouse.id == warehouse_id)  # fmt: skip
        await audit.record(actor_id, "warehouse.receipt_header", f"warehouse {before.name}", changes)


async def set_timezone(actor_id: int, warehouse_id: int, name: str) -> None:
    """The time zone the warehouse's days run in (its X and Z reports cover midnight to midnight there)."""
    before = await site(warehouse_id)
    name = name.strip()
    if problem := timezone_problem(name):
        raise field_error("timezone", problem)
    if name == before.timezone:
        return
    async with write_transaction(Warehouse._meta.db):
        await Warehouse.update({Warehouse.timezone: name}).where(Warehouse.id == warehouse_id)
        await audit.record(actor_id, "warehouse.timezone", f"warehouse {before.name}",
                           {"timezone": {"from": before.timezone, "to": name}})  # fmt: skip


async def delete(actor_id: int, warehouse_id: int, confirmed: bool) -> None:
    """Delete an unused warehouse; its people lose access and its location is unpaired."""
    found = await site(warehouse_id)
    if not confirmed:
        raise field_error("confirm", f"Tick the box to confirm deleting {found.name}.")
    if found.open_receipts:
        open_ = _receipts_word(found.open_receipts)
        raise field_error("confirm", f"{found.name} has {open_} open. Close or void them before deleting it.")
    if found.past_receipts:
        past = _receipts_word(found.past_receipts)
        raise field_error(
            "confirm",
            f"{found.name} has {past} in its history, kept for the accounts, so it cannot be deleted. "
            "Rename it or take its people off it instead.",
        )
    async with write_transaction(Warehouse._meta.db):
        # Checked again inside the write lock: a receipt opened a moment ago must not be orphaned.
        if await Receipt.exists().where(Receipt.warehouse == warehouse_id):
            raise field_error("confirm", f"{found.name} has just had a receipt opened. It cannot be deleted.")
        await Warehouse.delete().where(Warehouse.id == warehouse_id)
        detail = {"currency": found.currency, "location": found.location, "people": found.people}
        await audit.record(actor_id, "warehouse.delete", f"warehouse {found.name}", detail)


async def create_warehouse(name: str, currency: str, *, address: str = "", phone: str = "") -> int:
    """A new warehouse; its receipts are numbered from 1 and priced in `currency` (the `kiosk`
    command: any currency Stripe knows, enabled or not), headed by `address` and `phone`."""
    name = name.strip()
    if not name:
        raise AuthError("A warehouse needs a name.")
    try:
        code = normalize_currency(currency)
    except MoneyError as exc:
        raise AuthError(str(exc)) from exc
    if await Warehouse.exists().where(Warehouse.name == name):
        raise AuthError(f"A warehouse named {name!r} already exists.")
    address, phone = _header_lines(address), " ".join(phone.split())
    if errors := _receipt_header_problems("", address, phone):
        raise AuthError(" ".join(errors.values()))
    row = Warehouse(name=name, currency=code, address=address, phone=phone)
    rows = await Warehouse.insert(row).returning(Warehouse.id)
    return int(rows[0]["id"])
