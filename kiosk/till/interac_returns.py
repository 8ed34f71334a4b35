"""The Interac part of a return, at the till (no HTTP in here): the refund is made on a reader of the
warehouse when the customer taps the card that paid (kiosk.payments.refunds.on_reader does it).

From the return's page the cashier picks the reader (the warehouse's reader picker), watches the
progress, cancels, tries again, or gives up (the customer has not got the card: the money can then
be returned another way). Each of these is audited with who did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.audit import trail as audit
from kiosk.payments import actions as payments
from kiosk.payments.engine import Engine
from kiosk.payments.picker import location_of, picker_context
from kiosk.payments.refunds import on_reader
from kiosk.shop.lookup import ReceiptNotFound
from kiosk.stripe_account.errors import PaymentError
from kiosk.till.returns import ReturnView, return_view

NO_STRIPE = "Stripe is not configured: the refund cannot be sent to a reader."


@dataclass(frozen=True)
class Panel:
    """What the return page shows of one Interac refund: its state and, to pick a reader, the picker."""

    return_id: int
    refund: on_reader.ReaderRefundView
    picker: dict[str, Any]
    error: str = ""

    @property
    def base_url(self) -> str:
        return f"/returns/{self.return_id}/refunds/{self.refund.id}"


async def tender_of(return_id: int, refund_id: int, warehouse_id: int) -> ReturnView:
    """The return, when the refund is one of its Interac tenders (ReceiptNotFound otherwise)."""
    view = await return_view(return_id, warehouse_id)
    if not any(t.on_reader and t.refund_id == refund_id for t in view.tenders):
        raise ReceiptNotFound(return_id)
    return view


async def picker(
    engine: Engine | None, warehouse_id: int, return_id: int, refund_id: int, *, refreshing: bool = False
) -> dict[str, Any]:
    """The reader picker's context for this refund (its choice posts the refund to the reader);
    `refreshing`: the open picker's own refresh, not its opening."""
    base = f"/returns/{return_id}/refunds/{refund_id}"
    context = await picker_context(
        engine, warehouse_id, post_url=f"{base}/reader", target=f"#reader-refund-{refund_id}", refreshing=refreshing
    )
    return {**context, "refresh_url": f"{base}/readers", "note": "", "is_admin": False, "confirm_release": None}


async def panel(engine: Engine | None, warehouse_id: int, return_id: int, refund_id: int, error: str = "") -> Panel:
    refund = await on_reader.view(refund_id)
    chooser = await picker(engine, warehouse_id, return_id, refund_id) if refund.phase == "pick" else {}
    return Panel(return_id, refund, chooser, error)


async def panels(engine: Engine | None, warehouse_id: int, view: ReturnView) -> dict[int, Panel]:
    """refund id -> its panel, for every Interac tender of the return."""
    return {
        t.refund_id: await panel(engine, warehouse_id, view.id, t.refund_id)
        for t in view.tenders
        if t.on_reader and t.refund_id is not None
    }


def _subject(view: ReturnView) -> str:
    return f"receipt #{view.receipt_number} (id {view.receipt_id})"


async def send_to_reader(
    engine: Engine | None,
    view: ReturnView,
    refund_id: int,
    reader_id: str,
    warehouse_id: int,
    actor_id: int,
    holder: str,
) -> str:
    """Send the refund to the reader the cashier picked; returns what went wrong, or ""."""
    if engine is None:
        return NO_STRIPE
    refund = await on_reader.view(refund_id)
    try:
        reader = await payments.find_reader(engine, await location_of(warehouse_id) or "", reader_id)
    except LookupError:
        return "That reader is not at this warehouse's location: choose one from the list."
    except PaymentError as exc:
        return exc.message
    detail = {"return": view.number, "amount": refund.amount_text, "card": refund.card, "reader": reader.label}
    await audit.record(actor_id, "return.reader_refund", _subject(view), detail)
    try:
        await on_reader.start(engine, refund.payment_id, refund_id, reader, holder)
    except PaymentError as exc:
        return on_reader.reason_for(exc.code, exc.message, reader.label) if exc.code else exc.message
    return ""


async def cancel(engine: Engine | None, view: ReturnView, refund_id: int, actor_id: int) -> str:
    if engine is None:
        return NO_STRIPE
    refund = await on_reader.view(refund_id)
    try:
        await on_reader.cancel(engine, refund.payment_id, refund_id)
    except PaymentError as exc:
        return exc.message
    detail = {"return": view.number, "amount": refund.amount_text, "reader": refund.reader_label}
    await audit.record(actor_id, "return.reader_refund_cancel", _subject(view), detail)
    return ""


async def give_up(view: ReturnView, refund_id: int, actor_id: int) -> str:
    refund = await on_reader.view(refund_id)
    try:
        await on_reader.give_up(refund.payment_id, refund_id, actor_id)
    except PaymentError as exc:
        return exc.message
    detail = {"return": view.number, "amount": refund.amount_text, "card": refund.card}
    await audit.record(actor_id, "return.reader_refund_give_up", _subject(view), detail)
    return ""
