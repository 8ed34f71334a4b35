"""The webhook path's hand-written SQL (kiosk/payments/sql.py, kiosk/readers/sql.py), on SQLite and
PostgreSQL alike: a state move closes the receipt exactly when its tenders cover the total, an event
is recorded once with what it did, a reader's older news never overwrites newer, and an idle
reconciler finds nothing to do until something is due."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import cast

from kiosk.payments import sql, store
from kiosk.payments.engine import Engine
from kiosk.payments.events import record_event
from kiosk.payments.tables import Payment, PaymentLog, WebhookEvent
from kiosk.readers.snapshot import remember_reader
from kiosk.readers.tables import ReaderStatus
from kiosk.shop.tables import Receipt
from kiosk.stripe_account.objects import CardInfo, EventInfo, ReaderAction, ReaderInfo
from kiosk.till.receipts import add_quick_amount, open_receipt, take_cash


async def receipt_for(warehouse: int, cashier: int, amount: str = "20.00") -> int:
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, amount)
    return receipt_id


async def card(receipt_id: int, amount: int, state: str = "on_reader", **extra: object) -> int:
    rows = await Payment.insert(Payment(receipt=receipt_id, amount=amount, currency="usd", state=state, **extra))
    return int(rows[0]["id"])


async def status(receipt_id: int) -> str:
    row = await Receipt.select(Receipt.status, Receipt.closed_at).where(Receipt.id == receipt_id).first()
    assert row is not None
    assert (row["closed_at"] is not None) == (row["status"] == "paid")
    return str(row["status"])


async def test_the_last_payment_settling_closes_the_receipt_with_cash_and_cards(warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier, "30.00")
    await take_cash(receipt_id, warehouse, cashier, "5.00")
    first = await card(receipt_id, 1500)
    second = await card(receipt_id, 1000)
    assert await store.transition(first, "succeeded", step="test")
    assert await status(receipt_id) == "open"  # 5.00 cash + 15.00 card of 30.00
    assert not await store.transition(first, "succeeded", step="test")  # already there: nothing written
    assert await store.transition(second, "succeeded", {"card_brand": "visa"}, step="test", detail="by webhook")
    assert await status(receipt_id) == "paid"
    log = await PaymentLog.select(PaymentLog.step, PaymentLog.detail).where(PaymentLog.payment == second)
    assert log == [{"step": "test", "detail": "→ succeeded. by webhook"}]
    row = await Payment.select(Payment.card_brand, Payment.state).where(Payment.id == second).first()
    assert row == {"card_brand": "visa", "state": "succeeded"}


async def test_an_authorization_counts_as_paid_only_when_kept_for_capture(warehouse: int, cashier: int) -> None:
    captured_later = await receipt_for(warehouse, cashier)
    payment = await card(captured_later, 2000, capture_method="manual")
    assert await store.transition(payment, "requires_capture", step="test")
    assert await status(captured_later) == "open"  # being captured at once: paid once captured
    assert await store.transition(payment, "captured", step="test")
    assert await status(captured_later) == "paid"
    kept = await receipt_for(warehouse, cashier)
    held = await card(kept, 2000, capture_method="manual", keep_for_capture=True)
    assert await store.transition(held, "requires_capture", step="test")
    assert await status(kept) == "paid"


async def test_a_declined_or_canceled_payment_never_closes_the_receipt(warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    payment = await card(receipt_id, 2000)
    assert await store.transition(payment, "declined", {"decline_code": "insufficient_funds"}, step="test")
    assert await status(receipt_id) == "open"
    log = await PaymentLog.select(PaymentLog.code).where(PaymentLog.payment == payment)
    assert log == [{"code": "insufficient_funds"}]


async def test_card_details_written_by_update_read_back_as_json(warehouse: int, cashier: int) -> None:
    payment = await card(await receipt_for(warehouse, cashier), 2000, state="succeeded")
    assert await store.update(payment, {"card_details": {"read_method": "contactless_emv"}, "card_last4": "4242"})
    assert not await store.update(payment, {"card_last4": "0000"}, only_in=["on_reader"])
    row = await Payment.select(Payment.card_details, Payment.card_last4).where(Payment.id == payment).first()
    assert row is not None and row["card_last4"] == "4242"
    assert json.loads(row["card_details"]) == {"read_method": "contactless_emv"}


def charge_event(event_id: str, intent_id: str) -> EventInfo:
    card_info = CardInfo(brand="visa", last4="4242", capture_before=None)
    return EventInfo(event_id, "charge.succeeded", 1_800_000_000, charge_intent_id=intent_id, charge_card=card_info)


async def test_an_event_is_recorded_once_with_what_it_did(warehouse: int, cashier: int) -> None:
    payment = await card(await receipt_for(warehouse, cashier), 2000, state="succeeded", payment_intent_id="pi_sql")
    engine = cast(Engine, None)  # a charge's card needs no engine: no Stripe call, no state move
    assert await record_event(engine, charge_event("evt_sql_1", "pi_sql")) == "noted: card details"
    assert await record_event(engine, charge_event("evt_sql_1", "pi_sql")) == "duplicate"
    assert await record_event(engine, charge_event("evt_sql_2", "pi_other")) == "not a kiosk payment"
    rows = await WebhookEvent.select(WebhookEvent.event_id, WebhookEvent.payment, WebhookEvent.outcome).order_by(
        WebhookEvent.id
    )
    assert rows == [
        {"event_id": "evt_sql_1", "payment": payment, "outcome": "noted: card details"},
        {"event_id": "evt_sql_2", "payment": None, "outcome": "not a kiosk payment"},
    ]
    found = await Payment.select(Payment.card_brand, Payment.card_last4).where(Payment.id == payment).first()
    assert found == {"card_brand": "visa", "card_last4": "4242"}


def reader(online: bool, status_: str) -> ReaderInfo:
    action = ReaderAction(type="process_payment_intent", status=status_, payment_intent_id="pi_r")
    return ReaderInfo("tmr_sql", "Counter 1", "simulated_wisepos_e", online, "tml_1", action)


async def test_older_news_of_a_reader_never_overwrites_newer(db: str) -> None:
    now = datetime.now(UTC)
    await remember_reader(reader(True, "succeeded"), now)
    await remember_reader(reader(False, "in_progress"), now - timedelta(seconds=5))
    rows = await ReaderStatus.select(ReaderStatus.online, ReaderStatus.action_status, ReaderStatus.action_intent)
    assert rows == [{"online": True, "action_status": "succeeded", "action_intent": "pi_r"}]
    await remember_reader(reader(False, "failed"), now + timedelta(seconds=1))
    rows = await ReaderStatus.select(ReaderStatus.online, ReaderStatus.action_status, ReaderStatus.location_id)
    assert rows == [{"online": False, "action_status": "failed", "location_id": "tml_1"}]


async def test_the_idle_reconciler_finds_nothing_until_a_payment_is_due(warehouse: int, cashier: int) -> None:
    now = store.now()
    assert await sql.next_due("this-host/ns/") == sql.Due(None, False)
    receipt = await receipt_for(warehouse, cashier)
    later = await card(receipt, 2000, reconcile_after=now + timedelta(seconds=30))
    sooner = await card(receipt, 500, reconcile_after=now + timedelta(seconds=10))
    due = await sql.next_due("this-host/ns/")
    # The look tells when the loop must look again: the sooner payment's time, to the microsecond.
    assert due == sql.Due(now + timedelta(seconds=10), False)
    assert not due.now(now) and due.now(now + timedelta(seconds=11))
    await store.update(sooner, {"reconcile_after": None})
    assert (await sql.next_due("this-host/ns/")).earliest == now + timedelta(seconds=30)
    await store.update(later, {"reconcile_after": None})
    assert await sql.next_due("this-host/ns/") == sql.Due(None, False)


async def test_the_event_completing_a_settled_payments_details_leaves_stripe_unasked(
    warehouse: int, cashier: int
) -> None:
    later = store.now() + timedelta(seconds=4)
    settled = await card(
        await receipt_for(warehouse, cashier), 2000, "succeeded", payment_intent_id="pi_done", amount_charged=2000
    )
    to_capture = await card(
        await receipt_for(warehouse, cashier), 2000, "requires_capture", payment_intent_id="pi_cap", amount_charged=2000
    )
    for payment_id in (settled, to_capture):
        await store.update(payment_id, {"reconcile_after": later})
    engine = cast(Engine, None)
    await record_event(engine, charge_event("evt_done", "pi_done"))
    await record_event(engine, charge_event("evt_cap", "pi_cap"))
    rows = await Payment.select(Payment.id, Payment.reconcile_after, Payment.card_brand).order_by(Payment.id)
    assert [(row["card_brand"], row["reconcile_after"] is None) for row in rows] == [("visa", True), ("visa", False)]


async def test_a_readers_late_news_of_a_settled_payment_moves_nothing_but_is_kept(warehouse: int, cashier: int) -> None:
    """The reader's action_succeeded after payment_intent.succeeded: the payment stays as it is
    (one move in its log), and the event and what it says of the reader are both recorded."""
    receipt_id = await receipt_for(warehouse, cashier)
    payment = await card(receipt_id, 2000, payment_intent_id="pi_r", reader_id="tmr_sql")
    assert await store.transition(payment, "succeeded", step="webhook payment_intent.succeeded")
    news = EventInfo(
        "evt_reader_late", "terminal.reader.action_succeeded", 1_800_000_000, reader=reader(True, "succeeded")
    )
    assert await record_event(cast(Engine, None), news) == "no change"
    log = await PaymentLog.select(PaymentLog.step).where(PaymentLog.payment == payment)
    assert log == [{"step": "webhook payment_intent.succeeded"}]
    assert await status(receipt_id) == "paid"
    rows = await WebhookEvent.select(WebhookEvent.payment, WebhookEvent.outcome).where(
        WebhookEvent.event_id == "evt_reader_late"
    )
    assert rows == [{"payment": payment, "outcome": "no change"}]
    seen = await ReaderStatus.select(ReaderStatus.reader_id, ReaderStatus.action_status, ReaderStatus.online)
    assert seen == [{"reader_id": "tmr_sql", "action_status": "succeeded", "online": True}]
    assert await record_event(cast(Engine, None), news) == "duplicate"
