"""/admin/catalogue: the shop's items (search, create, edit), the catalogue as CSV both ways, and
/admin/catalogue/taxes: how each warehouse prices and rounds tax. Admins only (the app-wide guard)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from kiosk.catalogue import csv_io, items, pricing
from kiosk.catalogue.barcodes import KINDS
from kiosk.catalogue.taxes import EXCLUSIVE, INCLUSIVE, PER_LINE, PER_RECEIPT, plain_rate
from kiosk.forms import FormErrors, see_other, text
from kiosk.money.amounts import format_decimal
from kiosk.money.currencies import enabled_codes
from kiosk.people.auth import Login
from kiosk.people.guards import admin_area

Admin = NamedDependency[Login]
FLASH = {
    "created": "Item created.",
    "saved": "Item saved.",
    "taxes": "Tax rules saved.",
}
BARCODE_KINDS = [("", "Tell from the code"), *KINDS.items()]
PRICES = [(INCLUSIVE, "Prices include tax (the shelf price is what the customer pays)"),
          (EXCLUSIVE, "Prices exclude tax (tax is added at the till)")]  # fmt: skip
ROUNDING = [(PER_LINE, "On each line"), (PER_RECEIPT, "Once per tax rate on the whole receipt")]


def _typed(form: Any, currencies: list[str]) -> items.ItemFields:
    return items.ItemFields(
        name=text(form, "name"),
        sku=text(form, "sku"),
        barcode=text(form, "barcode"),
        barcode_kind=text(form, "barcode_kind"),
        category=text(form, "category"),
        tax_rate=text(form, "tax_rate"),
        active=text(form, "active") == "yes",
        favourite=text(form, "favourite") == "yes",
        prices={c: text(form, f"price_{c}") for c in currencies},
    )


def _as_typed(item: items.ItemView) -> items.ItemFields:
    return items.ItemFields(
        name=item.name,
        sku=item.sku,
        barcode=item.barcode,
        barcode_kind=item.barcode_kind,
        category=item.category,
        tax_rate="" if item.tax_rate is None else plain_rate(item.tax_rate),
        active=item.active,
        favourite=item.favourite,
        prices={c: format_decimal(a, c) for c, a in item.prices.items()},
    )


async def _item_page(item_id: int | None, typed: items.ItemFields, errors: dict[str, str], status: int = 200,
                     done: str | None = None) -> Template:  # fmt: skip
    context = {
        "item_id": item_id,
        "typed": typed,
        "errors": errors,
        "currencies": await enabled_codes(),
        "barcode_kinds": BARCODE_KINDS,
        "flash": FLASH.get(done or ""),
    }
    return Template("admin/catalogue_item.html", context=context, status_code=status)


async def _list_page(q: str = "", page: int = 1, done: str | None = None, status: int = 200,
                     report: csv_io.ImportResult | None = None, import_error: str = "") -> Template:  # fmt: skip
    total = await items.count(q)
    pages = max((total + items.PAGE_SIZE - 1) // items.PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    found = await items.search(q, active_only=False, limit=items.PAGE_SIZE, offset=(page - 1) * items.PAGE_SIZE)
    context = {
        "found": found,
        "q": q,
        "page": page,
        "pages": pages,
        "total": total,
        "currencies": await enabled_codes(),
        "flash": FLASH.get(done or "")
        or (f"Imported: {report.created} new, {report.changed} changed." if report and report.saved else None),
        "report": report,
        "import_error": import_error,
    }
    return Template("admin/catalogue.html", context=context, status_code=status)


class CatalogueController(Controller):
    """The shop's items (admins only)."""

    path = "/admin/catalogue"
    guards = [admin_area]

    @get("/", include_in_schema=False)
    async def index(
        self, q: FromQuery[str] = "", page: FromQuery[int] = 1, done: FromQuery[str | None] = None
    ) -> Template:
        return await _list_page(q.strip()[:100], page, done)

    @get("/new", include_in_schema=False)
    async def new(self) -> Template:
        return await _item_page(None, items.ItemFields(), {})

    @post("/new", include_in_schema=False)
    async def create(self, request: Request[Any, Any, Any], admin: Admin) -> Response[Any]:
        currencies = await enabled_codes()
        typed = _typed(await request.form(), currencies)
        try:
            item_id = await items.save(typed, admin.user_id)
        except FormErrors as exc:
            return await _item_page(None, typed, exc.errors, 400)
        return see_other(f"/admin/catalogue/{item_id}?done=created")

    @get("/{item_id:int}", include_in_schema=False)
    async def show(self, item_id: FromPath[int], done: FromQuery[str | None] = None) -> Template:
        try:
            item = await items.item(item_id)
        except items.ItemNotFound as exc:
            raise NotFoundException() from exc
        return await _item_page(item_id, _as_typed(item), {}, done=done)

    @post("/{item_id:int}", include_in_schema=False)
    async def save(self, request: Request[Any, Any, Any], admin: Admin, item_id: FromPath[int]) -> Response[Any]:
        typed = _typed(await request.form(), await enabled_codes())
        try:
            await items.save(typed, admin.user_id, item_id)
        except items.ItemNotFound as exc:
            raise NotFoundException() from exc
        except FormErrors as exc:
            return await _item_page(item_id, typed, exc.errors, 400)
        return see_other(f"/admin/catalogue/{item_id}?done=saved")

    @get("/export.csv", include_in_schema=False)
    async def export(self) -> Response[str]:
        name = f"catalogue-{date.today().isoformat()}.csv"
        return Response(
            await csv_io.export_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @post("/import", include_in_schema=False)
    async def import_file(self, request: Request[Any, Any, Any], admin: Admin) -> Response[Any]:
        upload = (await request.form()).get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await _list_page(status=400, import_error="Choose a CSV file to import.")
        try:
            result = await csv_io.import_csv(await upload.read(), admin.user_id)
        except csv_io.ImportRefused as exc:
            return await _list_page(status=400, import_error=str(exc))
        if not result.saved:
            return await _list_page(status=400, report=result)
        return await _list_page(report=result)

    @get("/taxes", include_in_schema=False)
    async def taxes(self, done: FromQuery[str | None] = None) -> Template:
        return await _taxes_page(done=done)

    @post("/taxes/{warehouse_id:int}", include_in_schema=False)
    async def set_taxes(
        self, request: Request[Any, Any, Any], admin: Admin, warehouse_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        typed = {k: text(form, k) for k in ("prices", "rounding", "default_rate")}
        try:
            await pricing.set_rules(
                warehouse_id, typed["prices"], typed["rounding"], typed["default_rate"], admin.user_id
            )
        except LookupError as exc:
            raise NotFoundException() from exc
        except FormErrors as exc:
            return await _taxes_page(400, errors={warehouse_id: exc.errors}, typed={warehouse_id: typed})
        return see_other(f"/admin/catalogue/taxes?done=taxes#warehouse-{warehouse_id}")


async def _taxes_page(status: int = 200, done: str | None = None, **extra: Any) -> Template:
    context = {
        "warehouses": await pricing.all_rules(),
        "prices_options": PRICES,
        "rounding_options": ROUNDING,
        "errors": {},
        "typed": {},
        "flash": FLASH.get(done or ""),
        **extra,
    }
    return Template("admin/catalogue_taxes.html", context=context, status_code=status)
