"""/receipts/{id}/saved-card: charge the receipt customer's saved card (no card present)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template

from kiosk.forms import FormErrors
from kiosk.payments.controllers.progress import engine_of
from kiosk.payments.saved_cards import charge_saved_card, customer_cards_context
from kiosk.people.auth import Till, now_utc
from kiosk.shop.lookup import ReceiptNotFound, receipt_row
from kiosk.stripe_account.errors import PaymentError

CurrentTill = NamedDependency[Till]


@dataclass
class SavedCardForm:
    card_id: str = ""


async def _fragment(receipt_id: int, error: str) -> Template:
    context = await customer_cards_context(receipt_id, now_utc().date())
    return Template("partials/saved_cards.html", context={**context, "saved_card_error": error})


async def _mine(till: Till, receipt_id: int) -> None:
    try:
        await receipt_row(receipt_id, till.warehouse.id)
    except ReceiptNotFound as exc:
        raise NotFoundException() from exc


class SavedCardController(Controller):
    path = "/receipts/{receipt_id:int}/saved-card"

    @get("/", include_in_schema=False)
    async def show(self, till: CurrentTill, receipt_id: FromPath[int]) -> Template:
        """The fragment again, when the receipt's customer changed (the `customer-changed` event)."""
        await _mine(till, receipt_id)
        return await _fragment(receipt_id, "")

    @post("/", include_in_schema=False)
    async def charge(
        self,
        request: Request[Any, Any, Any],
        till: CurrentTill,
        receipt_id: FromPath[int],
        data: URLEncodedBody[SavedCardForm],
    ) -> Response[Any]:
        await _mine(till, receipt_id)
        engine = engine_of(request)
        try:
            if engine is None:
                raise PaymentError("Card payments are not set up on this kiosk.")
            outcome = await charge_saved_card(
                engine, receipt_id, int(data.card_id or 0), till.user_id, now_utc().date()
            )
        except FormErrors as exc:
            return await _fragment(receipt_id, next(iter(exc.errors.values())))
        except (PaymentError, ValueError) as exc:
            return await _fragment(receipt_id, getattr(exc, "message", "") or "That card cannot be charged.")
        if not outcome.approved:
            return await _fragment(receipt_id, outcome.message)
        # Approved: the whole receipt changed (paid, the card tender): the page is drawn again.
        return Response(content="", headers={"HX-Redirect": f"/receipts/{receipt_id}"})
