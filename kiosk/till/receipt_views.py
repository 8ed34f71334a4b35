"""What the till pages show about receipts: today's list, one receipt, and its printed form.

Read-only; scoped to a warehouse like kiosk.till.receipts. Amounts stay int minor units with their
currency (templates format them with the `money` filter).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk.catalogue.taxes import format_rate
from kiosk.customers.protection import CARD_DATA, saving_of
from kiosk.db import sql
from kiosk.payments import sql as payments_sql
from kiosk.payments.decline_messages import READER_OFFLINE, READER_TIMEOUT
from kiosk.payments.refunds.views import ReceiptRefunds, receipt_refunds_of
from kiosk.payments.settlement import CARD_RELEASED, CARD_SETTLED, Balance, balance_of
from kiosk.payments.tables import Payment
from kiosk.people.auth import now_utc
from kiosk.people.permissions import returns_allowed
from kiosk.shop import sql as shop_sql
from kiosk.shop.lookup import ReceiptNotFound
from kiosk.shop.tables import OPEN, PAID, Receipt
from kiosk.till import sql as till_sql
from kiosk.till.returns import ReturnView, cash_handed_back, returns_of

# What today's list says of an open card payment that waits for the cashier rather than the customer.
CARD_NOTES = {"declined": "Card declined", "needs_attention": "Card needs attention"}
# A declined attempt that never reached a card: nothing was asked of the customer's bank.
NOT_A_DECLINE = {
    READER_OFFLINE: "Card not charged: reader offline",
    READER_TIMEOUT: "Card not charged: reader did not answer",
}
# Approved before Stripe told which card paid (a read of Stripe brings brand, last4 and the EMV
# fields within seconds): the receipt and print pages keep refreshing this long for them.
CARD_DETAILS_WAIT_SECONDS = 90.0
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
    card_state: str | None  # the state of a card payment still open on this open receipt
    earlier: bool  # opened before today, still open
    card_code: str | None = None  # that payment's failure code, if any

    @property
    def card_running(self) -> bool:
        return self.card_state is not None

    @property
    def card_needs_cashier(self) -> bool:
        return self.card_state in CARD_NOTES

    @property
    def card_note(self) -> str:
        if self.card_state == "declined" and self.card_code in NOT_A_DECLINE:
            return NOT_A_DECLINE[self.card_code]
        return CARD_NOTES.get(self.card_state or "", "Card payment running")


@dataclass(frozen=True)
class CardTender:
    amount: int
    brand: str
    last4: str
    fields: list[tuple[str, str]]
    waiting: bool  # approved moments ago; brand, last4 and EMV fields are still on their way
    # The tip the customer added on the reader and what Stripe took in all (amount_received), as
    # Stripe reported them; `charged` is None until Stripe has said.
    tip: int = 0
    charged: int | None = None

    @property
    def taken(self) -> int:
        return self.amount if self.charged is None else self.charged


@dataclass(frozen=True)
class TaxLine:
    """One tax rate's part of a receipt: what it is charged on (net), the tax, and the gross."""

    rate: int
    net: int
    tax: int
    gross: int

    @property
    def label(self) -> str:
        return format_rate(self.rate)


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
    # Money given back on its card payments (refunds, canceled authorizations).
    refunds: ReceiptRefunds
    # The printed receipt's header (the warehouse's settings): the shop as customers know it.
    shop_name: str = ""
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    # Returns taken at the till (kiosk/till/returns.py), and the cash they handed back.
    returns: tuple[ReturnView, ...] = ()
    cash_returned: int = 0
    # The sums (kiosk/catalogue/pricing.py): net + tax = total, tax by rate; the receipt's discount.
    net_total: int = 0
    tax_total: int = 0
    taxes: tuple[TaxLine, ...] = ()
    discount_percent: int = 0
    discount_fixed: int = 0
    discount_reason: str = ""
    # The receipt's card payments, oldest first, as read for the page (its card section uses them).
    payments: tuple[Payment, ...] = field(default=(), repr=False, compare=False)

    @property
    def subtotal(self) -> int:
        """Before any discount: quantity x price of every line."""
        return sum(int(line["subtotal"]) for line in self.lines)

    @property
    def receipt_discount(self) -> int:
        return sum(int(line["receipt_discount"]) for line in self.lines)

    @property
    def discounted(self) -> bool:
        return any(line["discount"] or line["receipt_discount"] for line in self.lines)

    @property
    def taxed(self) -> bool:
        return any(tax.rate for tax in self.taxes)

    @property
    def change(self) -> int:
        return sum(int(c["change"]) for c in self.cash)

    @property
    def outcome(self) -> str:
        """What the foot of the printed receipt says: open, voided, paid, partly_refunded, refunded,
        or not_charged (every card authorization on it canceled before capture)."""
        if self.status != PAID:
            return self.status
        if self.refunds.state == "refunded":
            released = all(line.state == "released" for line in self.refunds.lines)
            return "not_charged" if released else "refunded"
        if self.cash_returned and self.kept == 0:
            return "refunded"
        return "partly_refunded" if self.refunds.state == "partially_refunded" or self.cash_returned else PAID

    @property
    def kept(self) -> int:
        """What the shop keeps of the receipt once refunds are taken off (a canceled authorization
        was never counted as paid)."""
        refunded = sum(line.amount for line in self.refunds.lines if line.state != "released")
        return max(self.balance.taken - refunded - self.cash_returned, 0)

    @property
    def card_details_waiting(self) -> bool:
        return any(card.waiting for card in self.cards)

    @property
    def shape(self) -> str:
        """Which forms the receipt page shows (lines and Void; cash) and whether a card's details
        are still missing. When a card payment changes it (started, canceled, settled, its details
        in), the summary asks for a reload so no stale form or half-known card stays."""
        waiting = "_card_waiting" if self.card_details_waiting else ""
        if self.status != OPEN:
            return self.status + waiting
        if self.editable:
            return OPEN + waiting
        return ("open_fixed" if self.balance.tenderable > 0 else "open_held") + waiting


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
    running = (
        await Payment.select(Payment.receipt, Payment.state, Payment.failure_code)
        .where(Payment.receipt.is_in(ids or [0]) & Payment.state.not_in(running_states))
        .order_by(Payment.id)
    )
    card_states = {row["receipt"]: row["state"] for row in running}  # the latest payment wins
    card_codes = {row["receipt"]: row["failure_code"] for row in running}
    return [
        ReceiptSummary(
            id=row["id"],
            number=row["number"],
            status=row["status"],
            total=row["total"],
            currency=row["currency"],
            opened_at=row["opened_at"].astimezone(),
            card_state=card_states.get(row["id"]) if row["status"] == OPEN else None,
            earlier=row["opened_at"] < midnight,
            card_code=card_codes.get(row["id"]),
        )
        for row in rows
    ]


def awaiting_card_details(card_brand: str | None, settled_at: datetime | None) -> bool:
    """A settled card payment whose card Stripe has not told yet, approved moments ago."""
    if card_brand or settled_at is None:
        return False
    return (now_utc() - settled_at).total_seconds() < CARD_DETAILS_WAIT_SECONDS


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


def settled_cards_of(payments: list[Payment]) -> list[CardTender]:
    """The receipt's settled card tenders, from its card payments (oldest first)."""
    return [
        CardTender(
            amount=p.amount,
            brand=(p.card_brand or "card").title(),
            last4=p.card_last4 or "",
            fields=card_fields(json.loads(p.card_details) if isinstance(p.card_details, str) else p.card_details),
            waiting=awaiting_card_details(p.card_brand, p.settled_at),
            tip=p.tip_amount or 0,
            charged=p.amount_charged,
        )
        for p in payments
        if p.state in CARD_SETTLED
    ]


@dataclass(frozen=True)
class PageReads:
    """What the till's receipt page reads with the receipt (kiosk/till/sql.py `RECEIPT`), for the
    sections of other rooms: the receipt's customer link, whether cards may be saved, and whether
    the cashier may take returns."""

    customer_id: int | None = None
    save_card: bool = False
    saving: bool = False
    may_return: bool = False


async def receipt_page(receipt_id: int, warehouse_id: int, *, with_lines: bool = True) -> ReceiptPage:
    """Everything the receipt and print pages show; ReceiptNotFound outside this warehouse. Its
    rows are read once (kiosk/till/sql.py, kiosk/payments/sql.py) and every figure worked out from
    them; `with_lines=False` (the summary) leaves the lines out."""
    page, _ = await receipt_page_reads(receipt_id, warehouse_id, with_lines=with_lines)
    return page


async def receipt_page_reads(
    receipt_id: int, warehouse_id: int, user_id: int = 0, *, with_lines: bool = True
) -> tuple[ReceiptPage, PageReads]:
    """`receipt_page`, and what the page shows of other rooms, read with it (`user_id`: the cashier
    whose right to take returns is read)."""
    # The receipt's row says which of its other rows exist: only those are read, all on one of the
    # pool's connections (kiosk/db/sql.py `one_connection`, PostgreSQL).
    async with sql.one_connection():
        row = await till_sql.receipt_with_warehouse(receipt_id, warehouse_id, CARD_DATA, user_id)
        if row is None:
            raise ReceiptNotFound(receipt_id)
        lines = await shop_sql.receipt_lines(receipt_id) if with_lines and row["has_lines"] else []
        cash = await till_sql.cash_tenders(receipt_id) if row["has_cash"] else []
        payments = await payments_sql.of_receipt(receipt_id) if row["has_payments"] else []
        refunds = await receipt_refunds_of(payments, int(row["total"]), any_refund=bool(row["has_refunds"]))
    # Returns are taken of paid receipts only (kiosk/till/returns.py): an open one has none.
    taken_back = await returns_of(receipt_id) if row["status"] != OPEN and row["has_returns"] else []
    reads = PageReads(
        customer_id=row["rc_customer"],
        save_card=bool(row["rc_save_card"]),
        saving=saving_of(row["setting"]),
        may_return=returns_allowed(row["u_active"], row["u_admin"], row["u_returns"]),
    )
    return _page_of(row, lines, cash, payments, refunds, taken_back), reads


def _page_of(
    row: dict[str, Any],
    lines: list[dict[str, Any]],
    cash: list[dict[str, Any]],
    payments: list[Payment],
    refunds: ReceiptRefunds,
    taken_back: list[ReturnView],
) -> ReceiptPage:
    tenders = bool(cash) or any(p.state not in CARD_RELEASED for p in payments)
    return ReceiptPage(
        id=row["id"],
        number=row["number"],
        status=row["status"],
        currency=row["currency"],
        warehouse_name=row["w_name"],
        opened_at=row["opened_at"].astimezone(),
        closed_at=row["closed_at"].astimezone() if row["closed_at"] else None,
        # A line's amount is as its price was entered, less its own discount; the receipt's discount
        # and tax (added on top of net prices) come in the totals below the lines.
        lines=[
            {
                **line,
                "subtotal": line["quantity"] * line["unit_amount"],
                "amount": line["quantity"] * line["unit_amount"] - line["discount"],
            }
            for line in lines
        ],
        cash=cash,
        cards=settled_cards_of(payments),
        balance=balance_of(row["currency"], row["total"], [c["amount"] for c in cash], payments),
        editable=row["status"] == OPEN and not tenders,
        refunds=refunds,
        shop_name=row["w_receipt_name"] or row["w_name"],
        address_lines=tuple(line for line in str(row["w_address"]).splitlines() if line.strip()),
        phone=row["w_phone"],
        returns=tuple(taken_back),
        cash_returned=cash_handed_back(taken_back),
        net_total=row["net_total"],
        tax_total=row["tax_total"],
        taxes=_taxes(lines),
        discount_percent=row["discount_percent"],
        discount_fixed=row["discount_fixed"],
        discount_reason=row["discount_reason"],
        payments=tuple(payments),
    )


def _taxes(lines: list[dict[str, Any]]) -> tuple[TaxLine, ...]:
    """The receipt's tax by rate, from its lines as they were priced (never worked out again: a
    closed receipt keeps the sums it was charged)."""
    rates: dict[int, list[int]] = {}
    for line in lines:
        sums = rates.setdefault(int(line["tax_rate"]), [0, 0, 0])
        sums[0] += int(line["net"])
        sums[1] += int(line["tax"])
        sums[2] += int(line["gross"])
    return tuple(TaxLine(rate, *sums) for rate, sums in sorted(rates.items()))
