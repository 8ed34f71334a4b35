"""Returns at the till: money given back on a paid receipt of the warehouse (no HTTP in here).

A cashier allowed to take returns (kiosk.people.permissions) finds a paid receipt (by its number,
or by the last 4 digits of the card that paid it) and returns all of what is left, chosen lines
with their quantities, or an amount. `plan_return` checks the choice and says exactly what would
happen, saving nothing; `take_return` does what the cashier confirmed.

How the money goes back (`split`), as a POS does it: to the receipt's cards first, each up to what
is left of what it was charged (oldest payment first), then in cash, up to the cash taken and not
yet handed back. A card part is a refund of that card payment through Stripe
(kiosk.payments.refunds: the same rows, idempotency keys and "given back" sums as an admin's
refund); a cash part is handed over the counter and recorded. Interac payments, which Stripe
refunds only in person, are refunded on a reader: their Refund row is written with the return
(`in_person`), and the cashier then sends it to a reader from the return's page, where the customer
taps the same card (kiosk.payments.refunds.on_reader: its progress, cancel, failures, "Try again").

Nothing is returned twice: the return, its lines and its parts (the card refunds' rows included)
are written in one transaction holding the receipt, after what is left has been counted again
under that hold, so two tills, or two presses, cannot both give back the same money; the
confirmation's one-time key makes a second press find the first return. The card refunds are sent
to Stripe after the commit, each with its own idempotency key, so a crash on the way is mended by
sending again (`send_again`): Stripe answers with the refund it already made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kiosk.audit import trail as audit
from kiosk.customers import attach, directory
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors
from kiosk.money.amounts import MoneyError, format_money, parse_amount
from kiosk.payments.engine import Engine
from kiosk.payments.refunds import actions as refunds
from kiosk.payments.refunds import on_reader
from kiosk.payments.refunds.events import CREATING, LIVE
from kiosk.payments.refunds.views import STATE_LABELS
from kiosk.payments.states import SETTLED
from kiosk.payments.tables import Payment, Refund
from kiosk.people.auth import now_utc
from kiosk.people.permissions import NOT_ALLOWED_RETURNS, may_take_returns
from kiosk.shop.lookup import ReceiptNotFound, lock_receipt, receipt_row
from kiosk.shop.tables import OPEN, PAID, VOIDED, CashTender, Receipt, ReceiptLine, Warehouse
from kiosk.till import sql as till_sql
from kiosk.till.tables import AMOUNT, CARD, CASH, EVERYTHING, LINES, ReceiptReturn, ReturnLine, ReturnTender

SCOPES = (EVERYTHING, LINES, AMOUNT)
INTERAC = "interac"
# What a reader refund's tender says before Stripe has made it.
READER_STEPS = {
    "": "To refund on a reader",
    "sending": "On the reader",
    "on_reader": "On the reader",
    "failed": "Not refunded yet",
}
# Receipts found by a card's last 4 digits: the newest this many.
FOUND_AT_MOST = 20
CHANGED = "This receipt changed since the question was asked (another return or refund): check it again."


class ReturnRefused(ValueError):
    """The receipt cannot be returned (not paid, nothing left); the message is for the cashier."""


@dataclass(frozen=True)
class LineLeft:
    """A line of the receipt and how many of it can still be returned."""

    id: int
    description: str
    quantity: int
    unit_amount: int
    returned: int
    gross: int = 0  # what the customer paid for the whole line (discounts taken off, tax in)

    @property
    def left(self) -> int:
        return max(self.quantity - self.returned, 0)

    def worth(self, quantity: int) -> int:
        """What `quantity` more of the line gives back: its share of what was paid for the line,
        discounts and tax included. Shares telescope, so returning every unit, in any number of
        returns, gives back exactly what the line cost."""

        def paid_for(units: int) -> int:
            return self.gross * units // self.quantity if self.quantity else 0

        return paid_for(self.returned + quantity) - paid_for(self.returned)


@dataclass(frozen=True)
class Source:
    """A tender money can go back to: a card payment, or the receipt's cash."""

    kind: str  # card | cash
    payment_id: int | None
    label: str  # "Visa •••• 4242", "Cash"
    paid: int
    left: int
    note: str = ""  # why nothing can go back to it here
    on_reader: bool = False  # Interac: refunded in person, the customer taps the card on a reader


@dataclass(frozen=True)
class Part:
    kind: str
    payment_id: int | None
    label: str
    amount: int
    on_reader: bool = False


@dataclass(frozen=True)
class TenderView:
    kind: str
    label: str
    amount: int
    state: str  # a refund's state for a card; "handed_back" for cash
    failure: str | None = None
    refund_id: int | None = None
    on_reader: bool = False  # an Interac refund, made when the customer taps the card on a reader
    step: str = ""  # where that reader refund stands (kiosk.payments.refunds.on_reader)

    @property
    def state_label(self) -> str:
        if self.kind == CASH:
            return "Handed back in cash"
        if self.on_reader and self.state == CREATING:
            return READER_STEPS.get(self.step, self.step)
        return STATE_LABELS.get(self.state, self.state)

    @property
    def given_back(self) -> bool:
        return self.kind == CASH or self.state in LIVE

    @property
    def unconfirmed(self) -> bool:
        return self.kind == CARD and self.state == CREATING


@dataclass(frozen=True)
class ReturnView:
    """One return, as its page and its slip show it."""

    id: int
    number: int
    receipt_id: int
    receipt_number: int
    kind: str
    amount: int
    currency: str
    created_at: datetime
    cashier: str
    lines: list[dict[str, Any]]
    tenders: list[TenderView]

    @property
    def unconfirmed(self) -> bool:
        return any(t.unconfirmed for t in self.tenders)

    @property
    def failed(self) -> bool:
        return any(not t.given_back for t in self.tenders)

    @property
    def only_reader_refunds_pending(self) -> bool:
        """What is not confirmed yet is only Interac refunds, done when the card is tapped on a reader."""
        return all(t.on_reader for t in self.tenders if t.unconfirmed)

    @property
    def given_back(self) -> int:
        return sum(t.amount for t in self.tenders if t.given_back)


@dataclass(frozen=True)
class Returnable:
    """A paid receipt as the return form shows it: its lines, its tenders, its returns so far."""

    id: int
    number: int
    currency: str
    total: int
    opened_at: datetime
    lines: list[LineLeft]
    sources: list[Source]
    returns: list[ReturnView]

    @property
    def left(self) -> int:
        return sum(s.left for s in self.sources)

    @property
    def lines_left(self) -> bool:
        return any(line.left for line in self.lines)


@dataclass(frozen=True)
class ReturnRequest:
    """What the cashier chose (or confirmed: `minor` and `split` are what the question showed)."""

    scope: str = ""
    quantities: Mapping[int, str] = field(default_factory=dict)
    amount: str = ""
    request_key: str = ""
    minor: int | None = None
    split: str | None = None


@dataclass(frozen=True)
class ReturnPlan:
    """What a return would do, for the cashier to confirm: nothing is saved yet."""

    receipt: Returnable
    scope: str
    amount: int
    lines: list[tuple[LineLeft, int]]  # (line, quantity returned)
    parts: list[Part]

    @property
    def split_code(self) -> str:
        """The split as the confirmation carries it back, to check it still holds."""
        return ",".join(f"{p.kind}:{p.payment_id or ''}:{p.amount}" for p in self.parts)

    @property
    def how(self) -> str:
        """ "$10.00 back to Visa •••• 4242 and $2.50 in cash" """
        said = [
            f"{format_money(p.amount, self.receipt.currency)} "
            + ("in cash" if p.kind == CASH else f"back to {p.label}" + (" on a reader" if p.on_reader else ""))
            for p in self.parts
        ]
        return " and ".join(said)

    @property
    def question(self) -> str:
        return f"Return {format_money(self.amount, self.receipt.currency)}: {self.how}?"


def split(amount: int, sources: list[Source]) -> list[Part]:
    """Cards first (each up to what is left of it, in payment order), then cash."""
    parts = []
    rest = amount
    for source in [s for s in sources if s.kind == CARD] + [s for s in sources if s.kind == CASH]:
        take = min(rest, source.left)
        if take > 0:
            parts.append(Part(source.kind, source.payment_id, source.label, take, source.on_reader))
            rest -= take
    return parts


def _card_label(payment: Payment) -> str:
    return refunds.card_label(payment)


async def _sources(receipt_id: int) -> list[Source]:
    payments = (
        await Payment.objects()
        .where((Payment.receipt == receipt_id) & Payment.state.is_in(["succeeded", "captured", "requires_capture"]))
        .order_by(Payment.id)
    )
    sources = []
    for payment in payments:
        if payment.state not in SETTLED:
            note = "Authorized, not captured yet: an admin captures or cancels it (Payments)."
            sources.append(Source(CARD, payment.id, _card_label(payment), payment.amount, 0, note))
        elif (payment.card_brand or "").lower() == INTERAC:
            left = await refunds.refundable(payment)
            sources.append(Source(CARD, payment.id, _card_label(payment), payment.amount, left, on_reader=True))
        else:
            left = await refunds.refundable(payment)
            sources.append(Source(CARD, payment.id, _card_label(payment), payment.amount, left))
    cash = sum(
        int(r["amount"]) for r in await CashTender.select(CashTender.amount).where(CashTender.receipt == receipt_id)
    )
    if cash:
        handed = await ReturnTender.select(ReturnTender.amount).where(
            (ReturnTender.receipt_return.receipt == receipt_id) & (ReturnTender.kind == CASH)
        )
        sources.append(Source(CASH, None, "Cash", cash, max(cash - sum(int(r["amount"]) for r in handed), 0)))
    return sources


async def _lines(receipt_id: int) -> list[LineLeft]:
    rows = await ReceiptLine.select().where(ReceiptLine.receipt == receipt_id).order_by(ReceiptLine.id)
    taken = await ReturnLine.select(ReturnLine.line, ReturnLine.quantity).where(
        ReturnLine.receipt_return.receipt == receipt_id
    )
    returned: dict[int, int] = {}
    for row in taken:
        returned[int(row["line"])] = returned.get(int(row["line"]), 0) + int(row["quantity"])
    return [
        LineLeft(
            int(r["id"]),
            r["description"],
            int(r["quantity"]),
            int(r["unit_amount"]),
            returned.get(r["id"], 0),
            int(r["gross"]),
        )
        for r in rows
    ]


def refusal(row: Mapping[str, Any]) -> str | None:
    """Why a receipt cannot be returned at all, or None."""
    if row["status"] == OPEN:
        return f"Receipt #{row['number']} is not paid yet: nothing can be returned on it."
    if row["status"] == VOIDED:
        return f"Receipt #{row['number']} was voided: nothing was paid, so nothing can be returned."
    if row["status"] != PAID:
        return f"Receipt #{row['number']} is {row['status']}: nothing can be returned on it."
    return None


async def returnable(receipt_id: int, warehouse_id: int) -> Returnable:
    """The receipt as the return form shows it. ReceiptNotFound outside this warehouse;
    ReturnRefused when it is not a paid receipt."""
    row = await receipt_row(receipt_id, warehouse_id)
    if problem := refusal(row):
        raise ReturnRefused(problem)
    return Returnable(
        id=int(row["id"]),
        number=int(row["number"]),
        currency=row["currency"],
        total=int(row["total"]),
        opened_at=row["opened_at"].astimezone(),
        lines=await _lines(receipt_id),
        sources=await _sources(receipt_id),
        returns=await returns_of(receipt_id),
    )


def _line_quantities(
    receipt: Returnable, typed: Mapping[int, str], errors: dict[str, str]
) -> list[tuple[LineLeft, int]]:
    chosen = []
    for line in receipt.lines:
        text = (typed.get(line.id) or "").strip()
        if not text or text == "0":
            continue
        if not text.isdigit():
            errors[f"line-{line.id}"] = "Enter how many are returned, as a whole number."
        elif int(text) > line.left:
            errors[f"line-{line.id}"] = (
                f"At most {line.left} of this line can still be returned." if line.left else "All of it was returned."
            )
        else:
            chosen.append((line, int(text)))
    if not chosen and not errors:
        errors["lines"] = "Choose how many of which lines are returned."
    return chosen


def _typed_amount(receipt: Returnable, text: str, errors: dict[str, str]) -> int:
    if not text.strip():
        errors["amount"] = f"Enter the amount to return (up to {format_money(receipt.left, receipt.currency)})."
        return 0
    try:
        amount = parse_amount(text, receipt.currency)
    except MoneyError as exc:
        errors["amount"] = str(exc)
        return 0
    if amount <= 0:
        errors["amount"] = "The amount must be more than zero."
    return amount


def plan(receipt: Returnable, request: ReturnRequest) -> ReturnPlan:
    """Check the choice against what is left of the receipt; FormErrors by field (nothing saved)."""
    left = receipt.left
    if left <= 0:
        notes = [s.note for s in receipt.sources if s.note]
        raise FormErrors({"_form": notes[0] if notes else "Everything paid on this receipt was given back already."})
    errors: dict[str, str] = {}
    lines: list[tuple[LineLeft, int]] = []
    if request.scope == EVERYTHING:
        amount = left
        lines = [(line, line.left) for line in receipt.lines if line.left]
    elif request.scope == LINES:
        lines = _line_quantities(receipt, request.quantities, errors)
        amount = sum(line.worth(quantity) for line, quantity in lines)
    elif request.scope == AMOUNT:
        amount = _typed_amount(receipt, request.amount, errors)
    else:
        raise FormErrors({"scope": "Choose what is returned: everything, chosen lines, or an amount."})
    if not errors and amount > left:
        field_name = "lines" if request.scope == LINES else "amount"
        errors[field_name] = f"At most {format_money(left, receipt.currency)} can still be returned on this receipt."
    if errors:
        raise FormErrors(errors)
    return ReturnPlan(receipt, request.scope, amount, lines, split(amount, receipt.sources))


async def plan_return(receipt_id: int, warehouse_id: int, request: ReturnRequest, actor_id: int) -> ReturnPlan:
    """What the return would do (the question before it is made); FormErrors when it cannot."""
    if not await may_take_returns(actor_id):
        raise FormErrors({"_form": NOT_ALLOWED_RETURNS})
    try:
        receipt = await returnable(receipt_id, warehouse_id)
    except ReturnRefused as exc:
        raise FormErrors({"_form": str(exc)}) from exc
    return plan(receipt, request)


async def take_return(
    engine: Engine | None, receipt_id: int, warehouse_id: int, request: ReturnRequest, actor_id: int
) -> int:
    """Record the return the cashier confirmed (its card refunds, its cash handed back, the audit
    entry) in one transaction holding the receipt, then send the card refunds to Stripe. Returns
    the return's id: the first one's when the same confirmation comes twice."""
    if not request.request_key or request.minor is None or request.split is None:
        raise FormErrors({"_form": "This confirmation is incomplete: choose what is returned again."})
    async with write_transaction(Receipt._meta.db):
        await lock_receipt(receipt_id)
        done = await ReceiptReturn.objects().get(ReceiptReturn.request_key == request.request_key)
        if done is not None:
            if int(done.receipt) != receipt_id:
                raise FormErrors({"_form": "This confirmation belongs to another receipt."})
            return int(done.id)
        chosen = await plan_return(receipt_id, warehouse_id, request, actor_id)
        if chosen.amount != request.minor or chosen.split_code != request.split:
            raise FormErrors({"_form": CHANGED})
        if engine is None and any(p.kind == CARD for p in chosen.parts):
            raise FormErrors({"_form": "Stripe is not configured: no card can be refunded."})
        return_id, refund_ids = await _record(chosen, request.request_key, actor_id)
    for refund_id in refund_ids:
        assert engine is not None
        await refunds.send_refund(engine, refund_id)
    return return_id


async def _record(chosen: ReturnPlan, request_key: str, actor_id: int) -> tuple[int, list[int]]:
    receipt = chosen.receipt
    number = len(receipt.returns) + 1
    card = sum(p.amount for p in chosen.parts if p.kind == CARD)
    row = ReceiptReturn(
        receipt=receipt.id,
        number=number,
        kind=chosen.scope,
        amount=chosen.amount,
        card_amount=card,
        cash_amount=chosen.amount - card,
        currency=receipt.currency,
        request_key=request_key,
        created_by=actor_id,
        created_at=now_utc(),
    )
    return_id = int((await ReceiptReturn.insert(row).returning(ReceiptReturn.id))[0]["id"])
    if chosen.lines:
        await ReturnLine.insert(
            *(
                ReturnLine(
                    receipt_return=return_id,
                    line=line.id,
                    description=line.description,
                    quantity=quantity,
                    amount=line.worth(quantity),
                )
                for line, quantity in chosen.lines
            )
        )
    refund_ids = []
    note = f"Return {number} of receipt #{receipt.number}"
    for part in chosen.parts:
        refund_id = None
        if part.kind == CARD and part.payment_id is not None:
            refund_id = await refunds.add_refund(part.payment_id, part.amount, note, actor_id, in_person=part.on_reader)
            if not part.on_reader:  # a reader refund waits for the cashier to pick the reader
                refund_ids.append(refund_id)
        tender = ReturnTender(
            receipt_return=return_id, kind=part.kind, amount=part.amount, payment=part.payment_id, refund=refund_id
        )
        await ReturnTender.insert(tender)
    detail = {
        "return": number,
        "amount": format_money(chosen.amount, receipt.currency),
        "what": chosen.scope,
        "lines": [f"{quantity} x {line.description}" for line, quantity in chosen.lines],
        "how": chosen.how,
    }
    await audit.record(actor_id, "return.create", f"receipt #{receipt.number} (id {receipt.id})", detail)
    return return_id, refund_ids


async def send_again(engine: Engine, return_id: int, warehouse_id: int, actor_id: int) -> ReturnView:
    """After a lost answer or a crash: read the return's card refunds from Stripe and send again,
    with their same idempotency keys, those Stripe does not know. Audited."""
    view = await return_view(return_id, warehouse_id)
    payments = await ReturnTender.select(ReturnTender.payment).where(
        (ReturnTender.receipt_return == return_id) & (ReturnTender.kind == CARD)
    )
    for payment_id in sorted({int(row["payment"]) for row in payments}):
        await refunds.check_with_stripe(engine, payment_id)
    for tender in view.tenders:
        if tender.on_reader and tender.refund_id is not None:
            row = await Refund.select(Refund.payment).where(Refund.id == tender.refund_id).first()
            assert row is not None
            await on_reader.check(engine, int(row["payment"]), tender.refund_id)
    subject = f"receipt #{view.receipt_number} (id {view.receipt_id})"
    await audit.record(actor_id, "return.check", subject, {"return": view.number})
    return await return_view(return_id, warehouse_id)


async def returns_of(receipt_id: int) -> list[ReturnView]:
    """The receipt's returns, oldest first."""
    return [await _view(return_id) for return_id in await till_sql.return_ids(receipt_id)]


async def todays_returns(warehouse_id: int, since: datetime) -> list[ReturnView]:
    """The warehouse's returns made since `since` (the till's midnight), newest first."""
    rows = (
        await ReceiptReturn.select(ReceiptReturn.id)
        .where((ReceiptReturn.receipt.warehouse == warehouse_id) & (ReceiptReturn.created_at >= since))
        .order_by(ReceiptReturn.id, ascending=False)
    )
    return [await _view(int(row["id"])) for row in rows]


async def return_view(return_id: int, warehouse_id: int) -> ReturnView:
    """One return of this warehouse; ReceiptNotFound otherwise."""
    row = await ReceiptReturn.select(ReceiptReturn.receipt).where(ReceiptReturn.id == return_id).first()
    if row is None:
        raise ReceiptNotFound(return_id)
    await receipt_row(int(row["receipt"]), warehouse_id)
    return await _view(return_id)


async def _view(return_id: int) -> ReturnView:
    row = (
        await ReceiptReturn.select(
            *ReceiptReturn.all_columns(), ReceiptReturn.receipt.number, ReceiptReturn.created_by.username
        )
        .where(ReceiptReturn.id == return_id)
        .first()
    )
    assert row is not None
    lines = await ReturnLine.select().where(ReturnLine.receipt_return == return_id).order_by(ReturnLine.id)
    tenders = await ReturnTender.select().where(ReturnTender.receipt_return == return_id).order_by(ReturnTender.id)
    views = []
    for tender in tenders:
        if tender["kind"] == CASH:
            views.append(TenderView(CASH, "Cash", int(tender["amount"]), "handed_back"))
            continue
        payment = await Payment.objects().get(Payment.id == tender["payment"])
        refund = await Refund.objects().get(Refund.id == tender["refund"])
        label = _card_label(payment) if payment else "Card"
        state = refund.state if refund else CREATING
        failure = refund.failure_message if refund else None
        in_person = bool(refund and refund.in_person)
        step = refund.reader_step if refund else ""
        amount = int(tender["amount"])
        views.append(TenderView(CARD, label, amount, state, failure, tender["refund"], in_person, step))
    return ReturnView(
        id=int(row["id"]),
        number=int(row["number"]),
        receipt_id=int(row["receipt"]),
        receipt_number=int(row["receipt.number"]),
        kind=row["kind"],
        amount=int(row["amount"]),
        currency=row["currency"],
        created_at=row["created_at"].astimezone(),
        cashier=row["created_by.username"] or "(deleted user)",
        lines=list(lines),
        tenders=views,
    )


@dataclass(frozen=True)
class Found:
    """A receipt found for a return."""

    id: int
    number: int
    status: str
    total: int
    currency: str
    opened_at: datetime
    cards: str  # "Visa •••• 4242" of its card payments
    problem: str | None  # why it cannot be returned (not paid, voided)
    customer: str = ""  # the receipt's customer, when found by customer


async def _found(rows: list[dict[str, Any]]) -> list[Found]:
    ids = [int(r["id"]) for r in rows] or [0]
    payments = await Payment.objects().where(Payment.receipt.is_in(ids) & Payment.state.is_in(list(SETTLED)))
    cards: dict[int, list[str]] = {}
    for payment in payments:
        cards.setdefault(int(payment.receipt), []).append(_card_label(payment))
    return [
        Found(
            int(r["id"]),
            int(r["number"]),
            r["status"],
            int(r["total"]),
            r["currency"],
            r["opened_at"].astimezone(),
            ", ".join(cards.get(int(r["id"]), [])),
            refusal(r),
        )
        for r in rows
    ]


async def find_by_number(warehouse_id: int, text: str) -> list[Found]:
    """The warehouse's receipt with this number (FormErrors on "number" when it is none)."""
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit():
        raise FormErrors({"number": "Enter the receipt number, as printed on it (e.g. 12)."})
    rows = await Receipt.select().where((Receipt.warehouse == warehouse_id) & (Receipt.number == int(cleaned)))
    if not rows:
        raise FormErrors({"number": f"No receipt #{int(cleaned)} in this warehouse."})
    return await _found(rows)


async def find_by_last4(warehouse_id: int, text: str) -> list[Found]:
    """The warehouse's receipts paid by a card ending in these 4 digits, newest first."""
    cleaned = re.sub(r"\s", "", text)
    if not re.fullmatch(r"\d{4}", cleaned):
        raise FormErrors({"last4": "Enter the last 4 digits of the card (e.g. 4242)."})
    paid_by = await Payment.select(Payment.receipt).where(
        (Payment.card_last4 == cleaned) & Payment.state.is_in(list(SETTLED))
    )
    ids = sorted({int(r["receipt"]) for r in paid_by}) or [0]
    rows = (
        await Receipt.select()
        .where((Receipt.warehouse == warehouse_id) & Receipt.id.is_in(ids))
        .order_by(Receipt.id, ascending=False)
        .limit(FOUND_AT_MOST)
    )
    if not rows:
        raise FormErrors({"last4": f"No receipt of this warehouse was paid by a card ending in {cleaned}."})
    return await _found(rows)


async def find_by_customer(warehouse_id: int, text: str) -> list[Found]:
    """The warehouse's receipts of the customers whose name, email or phone match what was typed
    (the customer attached to the receipt at the till), newest first."""
    typed = text.strip()
    if len(typed) < 2:
        raise FormErrors({"customer": "Type at least 2 letters of the customer's name, email or phone."})
    customers = await directory.search(typed, directory.PAGE_LIMIT)
    if not customers:
        raise FormErrors({"customer": f"No customer matches “{typed}”."})
    ids = await attach.receipts_of_customers([c.id for c in customers]) or [0]
    rows = (
        await Receipt.select()
        .where((Receipt.warehouse == warehouse_id) & Receipt.id.is_in(ids))
        .order_by(Receipt.id, ascending=False)
        .limit(FOUND_AT_MOST)
    )
    if not rows:
        names = ", ".join(c.name for c in customers[:3])
        raise FormErrors({"customer": f"No receipt of this warehouse is for {names}."})
    found = await _found(rows)
    names_by_receipt = await attach.customer_names_of(ids)
    return [replace(f, customer=names_by_receipt.get(f.id, "")) for f in found]


@dataclass(frozen=True)
class SlipHeader:
    """The printed header, as on the warehouse's receipts."""

    shop_name: str
    warehouse_name: str
    address_lines: tuple[str, ...]
    phone: str


async def slip_header(warehouse_id: int) -> SlipHeader:
    row = (
        await Warehouse.select(Warehouse.name, Warehouse.receipt_name, Warehouse.address, Warehouse.phone)
        .where(Warehouse.id == warehouse_id)
        .first()
    ) or {"name": "", "receipt_name": "", "address": "", "phone": ""}
    lines = tuple(line for line in str(row["address"]).splitlines() if line.strip())
    return SlipHeader(row["receipt_name"] or row["name"], row["name"], lines, row["phone"])


def cash_handed_back(views: list[ReturnView]) -> int:
    """What the returns gave back in cash."""
    return sum(t.amount for view in views for t in view.tenders if t.kind == CASH)
