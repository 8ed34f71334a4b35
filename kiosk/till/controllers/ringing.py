"""The till's items: search as the cashier types, a scanner's code, a favourite pressed, a line's
quantity and discount, a discount on the receipt. Scoped to the till's warehouse like the rest of
the till: another warehouse's receipt is 404."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from kiosk.catalogue import items as catalogue
from kiosk.forms import see_other
from kiosk.shop.lookup import ReceiptNotFound, receipt_row
from kiosk.till import ringing
from kiosk.till.controllers.till import AnyRequest, CurrentTill, receipt_context, screen_follows
from kiosk.till.receipts import ReceiptError


@dataclass
class ScanForm:
    code: str = ""


@dataclass
class LineChangeForm:
    quantity: str = "1"
    discount: str = ""
    kind: str = "percent"
    reason: str = ""


@dataclass
class DiscountForm:
    discount: str = ""
    kind: str = "percent"
    reason: str = ""


async def _refused(till: Any, receipt_id: int, key: str, message: str, typed: dict[str, str]) -> Template:
    context = await receipt_context(till, receipt_id, errors={key: message}, typed=typed)
    return Template("pages/receipt.html", context=context, status_code=400)


class RingingController(Controller):
    """Items onto the till's open receipt."""

    path = "/receipts/{receipt_id:int}"

    @get("/items", include_in_schema=False)
    async def find(self, till: CurrentTill, receipt_id: FromPath[int], code: FromQuery[str] = "") -> Template:
        """Matches for what is typed so far (the search box's fragment)."""
        # Once per keystroke: the receipt's id and currency are all the fragment needs.
        try:
            receipt = await receipt_row(receipt_id, till.warehouse.id)
        except ReceiptNotFound as exc:
            raise NotFoundException() from exc
        query = code.strip()[:100]
        found = await catalogue.search(query, receipt["currency"]) if query else []
        return Template("partials/item_results.html", context={"receipt": receipt, "found": found, "query": query})

    @post("/scan", include_in_schema=False)
    async def scan(
        self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[ScanForm]
    ) -> Response[Any]:
        """A scanner's burst of keys and Enter (or a code typed and Enter): the item is added. An
        unknown code is said plainly and stays in the box, so the scan is not lost."""
        try:
            rung = await ringing.scan(receipt_id, till.warehouse.id, data.code)
        except ReceiptNotFound as exc:
            raise NotFoundException() from exc
        except ReceiptError as error:
            return await _refused(till, receipt_id, "scan", str(error), asdict(data))
        screen_follows(request, till, receipt_id)  # the customer's screen shows the new line
        return see_other(f"/receipts/{receipt_id}?added={rung.item_id}#item-code")

    @post("/items/{item_id:int}", include_in_schema=False)
    async def add(
        self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int], item_id: FromPath[int]
    ) -> Response[Any]:
        try:
            await ringing.add_item(receipt_id, till.warehouse.id, item_id)
        except ReceiptNotFound as exc:
            raise NotFoundException() from exc
        except ReceiptError as error:
            return await _refused(till, receipt_id, "scan", str(error), {})
        screen_follows(request, till, receipt_id)
        return see_other(f"/receipts/{receipt_id}?added={item_id}#item-code")

    @post("/lines/{line_id:int}/change", include_in_schema=False)
    async def change_line(
        self,
        request: AnyRequest,
        till: CurrentTill,
        receipt_id: FromPath[int],
        line_id: FromPath[int],
        data: URLEncodedBody[LineChangeForm],
    ) -> Response[Any]:
        try:
            await ringing.change_line(
                receipt_id, till.warehouse.id, line_id, data.quantity, data.discount, data.kind, data.reason
            )
        except ReceiptNotFound as exc:
            raise NotFoundException() from exc
        except ReceiptError as error:
            return await _refused(till, receipt_id, f"line-{line_id}", str(error), asdict(data))
        screen_follows(request, till, receipt_id)
        return see_other(f"/receipts/{receipt_id}#lines")

    @post("/discount", include_in_schema=False)
    async def discount(
        self, request: AnyRequest, till: CurrentTill, receipt_id: FromPath[int], data: URLEncodedBody[DiscountForm]
    ) -> Response[Any]:
        try:
            await ringing.set_receipt_discount(receipt_id, till.warehouse.id, data.discount, data.kind, data.reason)
        except ReceiptNotFound as exc:
            raise NotFoundException() from exc
        except ReceiptError as error:
            return await _refused(till, receipt_id, "discount", str(error), asdict(data))
        screen_follows(request, till, receipt_id)
        return see_other(f"/receipts/{receipt_id}#lines")
