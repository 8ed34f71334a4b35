"""What the till pages show about receipts: today's list, one receipt, and its printed form.

Read-only; scoped to a warehouse like kiosk.receipts. Amounts stay int minor units with their
currency (templates format them with the `money` filter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.auth import now_utc
from kiosk.payment_tables import Payment
from kiosk.receipts import CARD_RELEASED, CARD_SETTLED, OPEN, Balance, balance, has_tenders, receipt_row
from kiosk.tables import CashTender, Receipt, ReceiptLine, Warehouse

# The EMV fields a card receipt prints, in the order printed, with the short labels receipts use.
CARD_FIELDS = (
    ("application_preferred_name", "Application"),
    ("dedicated_file_name", "AID"),
    ("authorization_code", "Auth code"),
    ("authorization_response_code", "ARC"),
    ("application_cryptogram", "Cryptogram"),
    ("terminal_verification_results", "TVR"),
    ("transaction_status_information", "TSI"),
    ("cardholder_verification_method", "Verified by"),
    ("account_type", "Account"),
    ("read_method", "Entry"),
)


@dataclass(frozen=True)
class ReceiptSummary:
    id: int
    number: int
    status: str
    total: int
    currency: str
    opened_at: datetime
    card_running: bool
    earlier: bool  # opened before today, still open


@dataclass(frozen=True)
class CardTender:
    amount: int
    brand: str
    last4: str
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class ReceiptPage:
    id: int
    number: int
    status: str
    currency: str
    warehouse_name: str
    opened_at: datetime
    closed_at: datetime | None
    lines: list[dict[str, Any]]
    cash: list[dict[str, Any]]
    cards: list[CardTender]
    balance: Balance
    editable: bool

    @property
    def change(self) -> int:
        return sum(int(c["change"]) for c in self.cash)


def local_midnight(now: datetime | None = None) -> datetime:
    """Start of today in the server's time zone: what a cashier means by "today"."""
    local = (now or now_utc()).astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def todays_receipts(warehouse_id: int) -> list[ReceiptSummary]:
    """Today's receipts, newest first, plus older ones still open (a payment may be running on one)."""
    midnight = local_midnight()
    rows = (
        await Receipt.select()
        .where((Receipt.warehouse == warehouse_id) & ((Receipt.opened_at >= midnight) | (Receipt.status == OPEN)))
        .order_by(Receipt.number, ascending=False)
    )
    ids = [row["id"] for row in rows]
    running_states = list(CARD_SETTLED | CARD_RELEASED)
    running = await Payment.select(Payment.receipt).where(
        Payment.receipt.is_in(ids or [0]) & Payment.state.not_in(running_states)
    )
    with_running = {row["receipt"] for row in running}
    return [
        ReceiptSummary(
            id=row["id"],
            number=row["number"],
            status=row["status"],
            total=row["total"],
            currency=row["currency"],
            opened_at=row["opened_at"].astimezone(),
            card_running=row["status"] == OPEN and row["id"] in with_running,
            earlier=row["opened_at"] < midnight,
        )
        for row in rows
    ]


def card_fields(details: Any) -> list[tuple[str, str]]:
    """Labelled EMV fields from a payment's stored card details; Stripe nests most of them under
    `receipt`, so one level of nesting is read too. Missing fields are simply not printed."""
    if not isinstance(details, dict):
        return []
    flat = {**details, **(details.get("receipt") or {})}
    fields = []
    for key, label in CARD_FIELDS:
        value = flat.get(key)
        if value not in (None, ""):
            fields.append((label, str(value).replace("_", " ") if key == "read_method" else str(value)))
    return fields


async def settled_cards(receipt_id: int) -> list[CardTender]:
    rows = (
        await Payment.select(Payment.amount, Payment.card_brand, Payment.card_last4, Payment.card_details)
        .where((Payment.receipt == receipt_id) & Payment.state.is_in(list(CARD_SETTLED)))
        .order_by(Payment.id)
        .output(load_json=True)
    )
    return [
        CardTender(
            amount=row["amount"],
            brand=(row["card_brand"] or "card").title(),
            last4=row["card_last4"] or "",
            fields=card_fields(row["card_details"]),
        )
        for row in rows
    ]


async def receipt_page(receipt_id: int, warehouse_id: int) -> ReceiptPage:
    """Everything the receipt and print pages show; ReceiptNotFound outside this warehouse."""
    row = await receipt_row(receipt_id, warehouse_id)
    warehouse = await Warehouse.select(Warehouse.name).where(Warehouse.id == warehouse_id).first()
    lines = await ReceiptLine.select().where(ReceiptLine.receipt == receipt_id).order_by(ReceiptLine.id)
    cash = await CashTender.select().where(CashTender.receipt == receipt_id).order_by(CashTender.id)
    return ReceiptPage(
        id=row["id"],
        number=row["number"],
        status=row["status"],
        currency=row["currency"],
        warehouse_name=warehouse["name"] if warehouse else "",
        opened_at=row["opened_at"].astimezone(),
        closed_at=row["closed_at"].astimezone() if row["closed_at"] else None,
        lines=[{**line, "amount": line["quantity"] * line["unit_amount"]} for line in lines],
        cash=cash,
        cards=await settled_cards(receipt_id),
        balance=await balance(receipt_id),
        editable=row["status"] == OPEN and not await has_tenders(receipt_id),
    )
