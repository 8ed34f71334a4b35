"""The catalogue as admins keep it and the till reads it: items, their prices, finding them.

Domain only. A refused change raises FormErrors (a message per field) and saves nothing; every
change goes into the audit log. SKU and barcode are unique across the catalogue (an item scanned
at any till is one item); a barcode is checked by its kind (kiosk/catalogue/barcodes.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kiosk.audit import trail as audit
from kiosk.catalogue import barcodes
from kiosk.catalogue import sql as catalogue_sql
from kiosk.catalogue.tables import CatalogueItem, ItemPrice
from kiosk.catalogue.taxes import format_rate, parse_rate
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors
from kiosk.money.amounts import MoneyError, parse_amount
from kiosk.money.currencies import enabled_codes
from kiosk.people.auth import now_utc

_ZERO = re.compile(r"^0+(?:[.,]0*)?$")
MAX_NAME, MAX_SKU, MAX_CATEGORY = 200, 64, 100
SEARCH_LIMIT = 12
PAGE_SIZE = 50
FAVOURITES_LIMIT = 24


class ItemNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ItemView:
    id: int
    name: str
    sku: str
    barcode: str
    barcode_kind: str
    category: str
    tax_rate: int | None
    active: bool
    favourite: bool
    prices: dict[str, int] = field(default_factory=dict)

    @property
    def tax_label(self) -> str:
        return "warehouse default" if self.tax_rate is None else format_rate(self.tax_rate)


@dataclass
class ItemFields:
    """An item as typed on the admin form or read from a CSV row: text, checked by `check`."""

    name: str = ""
    sku: str = ""
    barcode: str = ""
    barcode_kind: str = ""
    category: str = ""
    tax_rate: str = ""
    active: bool = True
    favourite: bool = False
    prices: dict[str, str] = field(default_factory=dict)  # currency -> typed price ("" = none)


@dataclass(frozen=True)
class CheckedItem:
    name: str
    search_name: str
    sku: str
    barcode: str | None
    barcode_kind: str
    category: str
    tax_rate: int | None
    active: bool
    favourite: bool
    prices: dict[str, int]

    def columns(self) -> dict[Any, Any]:
        return {
            CatalogueItem.name: self.name,
            CatalogueItem.search_name: self.search_name,
            CatalogueItem.sku: self.sku,
            CatalogueItem.barcode: self.barcode,
            CatalogueItem.barcode_kind: self.barcode_kind,
            CatalogueItem.category: self.category,
            CatalogueItem.tax_rate: self.tax_rate,
            CatalogueItem.active: self.active,
            CatalogueItem.favourite: self.favourite,
        }


def fold(text: str) -> str:
    """A name as search compares it: lowercase, single spaces."""
    return " ".join(text.split()).casefold()


def check(typed: ItemFields, currencies: list[str]) -> CheckedItem:
    """The item's fields checked one by one; FormErrors names every problem at once."""
    errors: dict[str, str] = {}
    name = " ".join(typed.name.split())
    if not name:
        errors["name"] = "Give the item a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"The name is too long (at most {MAX_NAME} characters)."
    sku = typed.sku.strip()
    if not sku:
        errors["sku"] = "Give the item a SKU (your own code for it)."
    elif len(sku) > MAX_SKU or not all(33 <= ord(c) <= 126 for c in sku):
        errors["sku"] = f"A SKU is up to {MAX_SKU} letters, digits or signs, without spaces."
    code: barcodes.Barcode | None = None
    if typed.barcode.strip():
        try:
            code = barcodes.parse(typed.barcode, typed.barcode_kind)
        except barcodes.BarcodeError as exc:
            errors["barcode"] = str(exc)
    category = " ".join(typed.category.split())
    if len(category) > MAX_CATEGORY:
        errors["category"] = f"The category is too long (at most {MAX_CATEGORY} characters)."
    rate: int | None = None
    if typed.tax_rate.strip():
        try:
            rate = parse_rate(typed.tax_rate)
        except ValueError as exc:
            errors["tax_rate"] = str(exc)
    prices: dict[str, int] = {}
    for currency, text in typed.prices.items():
        if not text.strip():
            continue
        if currency not in currencies:
            errors[f"price_{currency}"] = f"{currency.upper()} is not a currency the shop takes."
            continue
        if text.strip().startswith("-"):
            errors[f"price_{currency}"] = "A price cannot be negative."
            continue
        if _ZERO.match(text.strip()):
            prices[currency] = 0  # given away (a bag, a sample): rung up at no charge
            continue
        try:
            prices[currency] = parse_amount(text, currency)
        except MoneyError as exc:
            errors[f"price_{currency}"] = str(exc)
    if errors:
        raise FormErrors(errors)
    return CheckedItem(
        name, fold(name), sku, code.code if code else None, code.kind if code else "", category, rate,
        typed.active, typed.favourite, prices,
    )  # fmt: skip


async def _clashes(item: CheckedItem, item_id: int | None) -> dict[str, str]:
    errors = {}
    same_sku = await CatalogueItem.select(CatalogueItem.id, CatalogueItem.name).where(CatalogueItem.sku == item.sku)
    if any(row["id"] != item_id for row in same_sku):
        errors["sku"] = f"SKU {item.sku} is already used by {same_sku[0]['name']}."
    if item.barcode:
        same_code = await CatalogueItem.select(CatalogueItem.id, CatalogueItem.name).where(
            CatalogueItem.barcode == item.barcode
        )
        if any(row["id"] != item_id for row in same_code):
            errors["barcode"] = f"Barcode {item.barcode} is already on {same_code[0]['name']}."
    return errors


async def _set_prices(item_id: int, prices: dict[str, int], currencies: list[str]) -> None:
    await ItemPrice.delete().where((ItemPrice.item == item_id) & ItemPrice.currency.is_in(currencies or [""]))
    if prices:
        await ItemPrice.insert(*[ItemPrice(item=item_id, currency=c, amount=a) for c, a in sorted(prices.items())])


async def save(typed: ItemFields, actor_id: int, item_id: int | None = None) -> int:
    """Create (item_id None) or change an item; returns its id."""
    currencies = await enabled_codes()
    item = check(typed, currencies)
    async with write_transaction(CatalogueItem._meta.db):
        if item_id is not None and not await CatalogueItem.exists().where(CatalogueItem.id == item_id):
            raise ItemNotFound(item_id)
        clashes = await _clashes(item, item_id)
        if clashes:
            raise FormErrors(clashes)
        if item_id is None:
            rows = await CatalogueItem.insert(CatalogueItem(**{c._meta.name: v for c, v in item.columns().items()})
                                              ).returning(CatalogueItem.id)  # fmt: skip
            item_id = int(rows[0]["id"])
            action = "catalogue.item_created"
        else:
            await CatalogueItem.update({**item.columns(), CatalogueItem.updated_at: now_utc()}).where(
                CatalogueItem.id == item_id
            )
            action = "catalogue.item_changed"
        await _set_prices(item_id, item.prices, currencies)
        detail = {"sku": item.sku, "barcode": item.barcode, "active": item.active,
                  "tax_rate": item.tax_rate, "prices": item.prices}  # fmt: skip
        await audit.record(actor_id, action, f"{item.name} ({item.sku})", detail)
    return item_id


def _view(row: dict[str, Any], prices: dict[str, int]) -> ItemView:
    return ItemView(
        int(row["id"]), row["name"], row["sku"], row["barcode"] or "", row["barcode_kind"], row["category"],
        row["tax_rate"], bool(row["active"]), bool(row["favourite"]), prices,
    )  # fmt: skip


async def _prices_of(ids: list[int], currency: str | None = None) -> dict[int, dict[str, int]]:
    query = ItemPrice.select(ItemPrice.item, ItemPrice.currency, ItemPrice.amount).where(
        ItemPrice.item.is_in(ids or [0])
    )
    if currency:
        query = query.where(ItemPrice.currency == currency)
    found: dict[int, dict[str, int]] = {}
    for row in await query:
        found.setdefault(int(row["item"]), {})[row["currency"]] = int(row["amount"])
    return found


async def item(item_id: int) -> ItemView:
    row = await CatalogueItem.select().where(CatalogueItem.id == item_id).first()
    if row is None:
        raise ItemNotFound(item_id)
    return _view(row, (await _prices_of([item_id])).get(item_id, {}))


def _like(text: str) -> str:
    """Typed text inside a LIKE pattern: its own wildcards dropped (SQLite has no default escape)."""
    return text.replace("%", "").replace("\\", "")


def _name_filter(words: list[str]) -> Any:
    found: Any = None
    for word in words[:5]:
        part = CatalogueItem.search_name.like(f"%{_like(word)}%")
        found = part if found is None else found & part
    return found


def _code_filter(code: str) -> Any:
    """SKU or barcode starting with `code`, as index ranges (a LIKE prefix cannot use the unique
    indexes on SQLite, whose LIKE ignores case)."""
    end = code + "\U0010ffff"
    return ((CatalogueItem.sku >= code) & (CatalogueItem.sku < end)) | (
        (CatalogueItem.barcode >= code) & (CatalogueItem.barcode < end)
    )


def _looks_like_a_code(text: str) -> bool:
    """Four digits or more, nothing else: a barcode or SKU being typed, not a name."""
    return text.isdigit() and len(text) >= 4


async def search(text: str, currency: str | None = None, *, active_only: bool = True,
                 limit: int = SEARCH_LIMIT, offset: int = 0) -> list[ItemView]:  # fmt: skip
    """Items whose SKU or barcode starts with what is typed (exact codes first), then those whose
    name contains every word typed, by name. Empty text: every item by name (the admin list)."""
    words = fold(text).split()
    code = text.strip()

    def chosen() -> Any:
        query = CatalogueItem.select()
        return query.where(CatalogueItem.active.eq(True)) if active_only else query

    if not words:
        rows = await chosen().order_by(CatalogueItem.search_name).limit(limit).offset(offset)
    else:
        wanted = limit + offset
        codes = (
            [] if " " in code else await chosen().where(_code_filter(code)).order_by(CatalogueItem.sku).limit(wanted)
        )
        names = [] if _looks_like_a_code(code) else (
            await chosen().where(_name_filter(words)).order_by(CatalogueItem.search_name).limit(wanted)
        )  # fmt: skip
        exact = [r for r in codes if code in (r["sku"], r["barcode"])]
        seen: set[int] = set()
        rows = []
        for row in exact + codes + names:
            if row["id"] not in seen:
                seen.add(row["id"])
                rows.append(row)
        rows = rows[offset : offset + limit]
    prices = await _prices_of([int(r["id"]) for r in rows], currency)
    return [_view(r, prices.get(int(r["id"]), {})) for r in rows]


async def count(text: str = "") -> int:
    """How many items `search` finds for the admin list (inactive ones included)."""
    words = fold(text).split()
    if not words:
        return int(await CatalogueItem.count())
    code = text.strip()
    found: Any = None if " " in code else _code_filter(code)
    if not _looks_like_a_code(code):
        found = _name_filter(words) if found is None else found | _name_filter(words)
    return int(await CatalogueItem.count().where(found))


async def by_code(code: str, currency: str) -> ItemView | None:
    """The active item with exactly this barcode or SKU (what a scanner sends), with its price."""
    code = barcodes.normalize(code)
    if not code:
        return None
    row = (
        await CatalogueItem.select()
        .where(CatalogueItem.active.eq(True) & ((CatalogueItem.barcode == code) | (CatalogueItem.sku == code)))
        .order_by(CatalogueItem.id)
        .first()
    )
    if row is None:
        return None
    return _view(row, (await _prices_of([int(row["id"])], currency)).get(int(row["id"]), {}))


async def favourites(currency: str) -> list[ItemView]:
    """The till's touch grid: active favourite items, by category then name (one query,
    kiosk/catalogue/sql.py: the receipt page draws it several times a sale)."""
    rows = await catalogue_sql.favourites(currency, FAVOURITES_LIMIT)
    return [_view(row, {} if row["price"] is None else {currency: int(row["price"])}) for row in rows]
