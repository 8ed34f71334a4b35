"""`kiosk payment-log`: everything the kiosk knows about a receipt's card payments, as text.

When a cashier reports a problem they quote the receipt number (or support has a `pi_...` from the
Stripe Dashboard). This gathers, per card payment: its state and why, the reader, the PaymentIntent,
the card, each step it went through (PaymentLog), each webhook that touched it and what the webhook
did, and who holds its lease right now. Reads only; no Stripe call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.money.amounts import format_money
from kiosk.payments.tables import Payment, PaymentLease, PaymentLog, WebhookEvent
from kiosk.shop.tables import CashTender, Receipt, Warehouse


class NotFound(LookupError):
    """Nothing matches what was asked for."""


@dataclass(frozen=True)
class Query:
    """`pi_...` a PaymentIntent, `P12` a payment id, `12` (or `#12`) a receipt number."""

    text: str
    warehouse: str | None = None


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _time(value: datetime) -> str:
    return value.strftime("%H:%M:%S.%f")[:-3]


async def _receipt_ids(query: Query) -> list[int]:
    text = query.text.strip()
    if text.startswith("pi_"):
        rows = await Payment.select(Payment.receipt).where(Payment.payment_intent_id == text)
        return [int(row["receipt"]) for row in rows]
    if text[:1] in {"P", "p"} and text[1:].isdigit():
        rows = await Payment.select(Payment.receipt).where(Payment.id == int(text[1:]))
        return [int(row["receipt"]) for row in rows]
    number = text.lstrip("#")
    if not number.isdigit():
        raise NotFound(f"{text!r} is neither a receipt number, a payment (P12) nor a PaymentIntent (pi_...)")
    where: Any = Receipt.number == int(number)
    if query.warehouse:
        where = where & (Receipt.warehouse.name == query.warehouse)
    rows = await Receipt.select(Receipt.id).where(where).order_by(Receipt.id)
    return [int(row["id"]) for row in rows]


async def _receipt_lines(receipt_id: int) -> list[str]:
    receipt = await Receipt.select().where(Receipt.id == receipt_id).first()
    assert receipt is not None
    warehouse = await Warehouse.select(Warehouse.name).where(Warehouse.id == receipt["warehouse"]).first()
    cash_rows = await CashTender.select(CashTender.amount).where(CashTender.receipt == receipt_id)
    cash, currency = sum(row["amount"] for row in cash_rows), receipt["currency"]
    where = warehouse["name"] if warehouse else "?"
    return [
        f"Receipt {receipt['number']} at {where} (id {receipt_id}): {receipt['status']}",
        f"  total {format_money(receipt['total'], currency)}, cash {format_money(cash, currency)}, "
        f"opened {_stamp(receipt['opened_at'])}, closed {_stamp(receipt['closed_at'])}",
    ]


def _payment_header(payment: Payment) -> list[str]:
    lines = [
        f"  Card payment P{payment.id}: {payment.state}, {format_money(payment.amount, payment.currency)}, "
        f"{payment.capture_method} capture, attempt {payment.attempt}",
        f"    reader {payment.reader_label or '-'} ({payment.reader_id or '-'}), "
        f"PaymentIntent {payment.payment_intent_id or '(none yet)'} {payment.intent_status or ''}".rstrip(),
        f"    created {_stamp(payment.created_at)}, sent {_stamp(payment.sent_at)}, "
        f"settled {_stamp(payment.settled_at)}, next check {_stamp(payment.reconcile_after)}",
    ]
    if payment.card_brand:
        details = payment.card_details
        details = json.loads(details) if isinstance(details, str) else details
        auth = details.get("authorization_code") if isinstance(details, dict) else None
        lines.append(f"    card {payment.card_brand} ending {payment.card_last4}" + (f", auth {auth}" if auth else ""))
    if payment.failure_code or payment.failure_message:
        codes = " / ".join(filter(None, [payment.failure_code, payment.decline_code]))
        lines.append(f"    failure {codes}: {payment.failure_message or ''}".rstrip(": "))
    if payment.attention_reason:
        lines.append(f"    needs attention: {payment.attention_reason}")
    return lines


async def _payment_lines(payment: Payment) -> list[str]:
    lines = _payment_header(payment)
    lease = await PaymentLease.select().where(PaymentLease.payment == payment.id).first()
    if lease:
        lines.append(f"    lease held by {lease['holder']} until {_stamp(lease['expires_at'])}")
    steps = await PaymentLog.select().where(PaymentLog.payment == payment.id).order_by(PaymentLog.id)
    lines.append("    steps:")
    lines += [f"      {_time(row['at'])}  {row['step']:<22} {row['detail']}".rstrip() for row in steps]
    events = await WebhookEvent.select().where(WebhookEvent.payment == payment.id).order_by(WebhookEvent.id)
    lines.append("    webhooks:" if events else "    webhooks: none received")
    lines += [
        f"      {_time(row['received_at'])}  {row['type']:<36} {row['event_id']}  {row['outcome']}" for row in events
    ]
    return lines


async def payment_log(query: Query) -> list[str]:
    """The report's lines; NotFound when nothing matches."""
    receipt_ids = await _receipt_ids(query)
    if not receipt_ids:
        raise NotFound(f"no receipt or payment matches {query.text!r}")
    lines: list[str] = []
    for receipt_id in dict.fromkeys(receipt_ids):
        lines += await _receipt_lines(receipt_id)
        payments = await Payment.objects().where(Payment.receipt == receipt_id).order_by(Payment.id)
        if not payments:
            lines.append("  no card payments")
        for payment in payments:
            lines += await _payment_lines(payment)
        lines.append("")
    return lines
