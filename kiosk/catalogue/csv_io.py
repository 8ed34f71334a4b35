"""The catalogue as a CSV file: exported for a spreadsheet, imported back (or from a supplier's list).

Columns: sku, name, barcode, barcode_kind, category, tax_rate, active, favourite, and one
`price_<currency>` per currency the shop takes (prices as people type them, "12.50"). An import
matches rows to items by SKU: a known SKU changes that item, a new one creates it. Every row is
checked first — fields, duplicates inside the file, barcodes already on other items — and the
import is all or nothing: one refused row and nothing is saved, with a report of every refused row
and why. Saved, it is one transaction and one audit entry.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from kiosk.audit import trail as audit
from kiosk.catalogue.items import ItemFields, check
from kiosk.catalogue.tables import CatalogueItem, ItemPrice
from kiosk.catalogue.taxes import plain_rate
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors
from kiosk.money.amounts import format_decimal
from kiosk.money.currencies import enabled_codes
from kiosk.people.auth import now_utc

BASE_COLUMNS = ("sku", "name", "barcode", "barcode_kind", "category", "tax_rate", "active", "favourite")
MAX_ROWS = 100_000
MAX_BYTES = 8 * 1024 * 1024  # under the server's request limit; 50,000 items fit in a few MB
TRUE, FALSE = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0", ""}
BATCH = 500


@dataclass(frozen=True)
class RowError:
    row: int  # the line number in the file (the header is line 1)
    sku: str
    message: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    changed: int
    errors: tuple[RowError, ...]

    @property
    def saved(self) -> bool:
        return not self.errors


class ImportRefused(ValueError):
    """The file as a whole cannot be read (not a CSV, no sku/name columns, too big)."""


async def export_csv() -> str:
    currencies = await enabled_codes()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*BASE_COLUMNS, *(f"price_{c}" for c in currencies)])
    prices: dict[int, dict[str, int]] = {}
    for row in await ItemPrice.select(ItemPrice.item, ItemPrice.currency, ItemPrice.amount):
        prices.setdefault(int(row["item"]), {})[row["currency"]] = int(row["amount"])
    for item in await CatalogueItem.select().order_by(CatalogueItem.sku):
        own = prices.get(int(item["id"]), {})
        writer.writerow(
            [
                item["sku"],
                item["name"],
                item["barcode"] or "",
                item["barcode_kind"],
                item["category"],
                "" if item["tax_rate"] is None else plain_rate(item["tax_rate"]),
                "yes" if item["active"] else "no",
                "yes" if item["favourite"] else "no",
                *(format_decimal(own[c], c) if c in own else "" for c in currencies),
            ]
        )
    return out.getvalue()


def _flag(value: str, name: str) -> bool:
    folded = value.strip().casefold()
    if folded in TRUE:
        return True
    if folded in FALSE:
        return name == "active" and folded == ""  # an empty `active` keeps the item on sale
    raise FormErrors({name: f"{name} is yes or no, not {value!r}."})


def _rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"The file is too big (at most {MAX_BYTES // (1024 * 1024)} MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused("The file is not UTF-8 text: save it from the spreadsheet as CSV UTF-8.") from exc
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().casefold() for h in reader.fieldnames or []]
    if "sku" not in header or "name" not in header:
        raise ImportRefused("The file needs a header row with at least the columns sku and name.")
    reader.fieldnames = header
    rows: list[dict[str, str]] = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise ImportRefused(f"The file has more than {MAX_ROWS} rows: split it.")
        rows.append({k: (v or "") for k, v in row.items() if isinstance(k, str)})
    return header, rows


async def import_csv(data: bytes, actor_id: int) -> ImportResult:
    """Check every row, then save all of them in one transaction, or none."""
    header, rows = _rows(data)
    currencies = await enabled_codes()
    unknown = [h for h in header if h not in BASE_COLUMNS and not h.startswith("price_")]
    if unknown:
        raise ImportRefused(f"Unknown columns: {', '.join(unknown)}. The columns are those of an export.")
    price_columns = {h: h.removeprefix("price_") for h in header if h.startswith("price_")}
    errors: list[RowError] = []
    checked = []
    seen_sku: dict[str, int] = {}
    seen_code: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        sku = row.get("sku", "").strip()
        if not any(value.strip() for value in row.values()):
            continue  # a blank line
        try:
            typed = ItemFields(
                name=row.get("name", ""),
                sku=sku,
                barcode=row.get("barcode", ""),
                barcode_kind=row.get("barcode_kind", "").strip().casefold(),
                category=row.get("category", ""),
                tax_rate=row.get("tax_rate", ""),
                active=_flag(row.get("active", ""), "active"),
                favourite=_flag(row.get("favourite", ""), "favourite"),
                prices={currency: row.get(column, "") for column, currency in price_columns.items()},
            )
            item = check(typed, currencies)
        except FormErrors as exc:
            errors.extend(RowError(number, sku, message) for message in exc.errors.values())
            continue
        if item.sku in seen_sku:
            errors.append(RowError(number, sku, f"SKU {item.sku} is also on line {seen_sku[item.sku]}."))
            continue
        seen_sku[item.sku] = number
        if item.barcode:
            if item.barcode in seen_code:
                errors.append(
                    RowError(number, sku, f"Barcode {item.barcode} is also on line {seen_code[item.barcode]}.")
                )
                continue
            seen_code[item.barcode] = number
        checked.append((number, item))
    async with write_transaction(CatalogueItem._meta.db):
        existing = {
            row["sku"]: (int(row["id"]), row["barcode"])
            for row in await CatalogueItem.select(CatalogueItem.id, CatalogueItem.sku, CatalogueItem.barcode)
        }
        barcode_owner = {code: sku for sku, (_, code) in existing.items() if code}
        for number, item in checked:
            owner = barcode_owner.get(item.barcode or "")
            # A barcode may move from an item the file also changes (that row says its new code);
            # an item the file leaves alone keeps its barcode.
            if owner and owner != item.sku and owner not in seen_sku:
                errors.append(RowError(number, item.sku, f"Barcode {item.barcode} is already on item {owner}."))
        if errors:
            return ImportResult(0, 0, tuple(sorted(errors, key=lambda e: e.row)))
        created = changed = 0
        # Barcodes are unique: clear those of the changed items first, so two items may swap codes.
        changed_ids = [existing[item.sku][0] for _, item in checked if item.sku in existing]
        for start in range(0, len(changed_ids), BATCH):
            await CatalogueItem.update({CatalogueItem.barcode: None}).where(
                CatalogueItem.id.is_in(changed_ids[start : start + BATCH])
            )
        new_items = [item for _, item in checked if item.sku not in existing]
        for start in range(0, len(new_items), BATCH):
            batch = new_items[start : start + BATCH]
            await CatalogueItem.insert(
                *[CatalogueItem(**{c._meta.name: v for c, v in i.columns().items()}) for i in batch]
            )
            created += len(batch)
        stamp = now_utc()
        for _, item in checked:
            if item.sku in existing:
                await CatalogueItem.update({**item.columns(), CatalogueItem.updated_at: stamp}).where(
                    CatalogueItem.id == existing[item.sku][0]
                )
                changed += 1
        ids = {row["sku"]: int(row["id"]) for row in await CatalogueItem.select(CatalogueItem.id, CatalogueItem.sku)}
        touched = [ids[item.sku] for _, item in checked]
        listed = list(price_columns.values())
        for start in range(0, len(touched), BATCH):
            await ItemPrice.delete().where(
                ItemPrice.item.is_in(touched[start : start + BATCH]) & ItemPrice.currency.is_in(listed or [""])
            )
        prices = [
            ItemPrice(item=ids[item.sku], currency=currency, amount=amount)
            for _, item in checked
            for currency, amount in item.prices.items()
        ]
        for start in range(0, len(prices), BATCH):
            await ItemPrice.insert(*prices[start : start + BATCH])
        await audit.record(actor_id, "catalogue.imported", f"{len(checked)} items from a CSV file",
                           {"created": created, "changed": changed})  # fmt: skip
    return ImportResult(created, changed, ())
