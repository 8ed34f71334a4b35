"""The card start's hand-written SQL (kiosk/payments/sql.py, "Starting a card payment"), on SQLite and
PostgreSQL alike: one read finds the receipt's open card tender and what a new payment fixes on its
row, and the rows a start writes come back exactly as a later read of the database gives them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kiosk.db.tables import Setting
from kiosk.payments import sql, store
from kiosk.payments.actions import SETTINGS
from kiosk.payments.states import REQUIRES_CAPTURE, UNRESOLVED
from kiosk.payments.tables import Payment, PaymentLog
from kiosk.shop.tables import Warehouse
from kiosk.till.receipts import add_quick_amount, open_receipt


async def receipt_for(warehouse: int, cashier: int, amount: str = "20.00") -> int:
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, amount)
    return receipt_id


async def card(receipt_id: int, amount: int, state: str, **extra: object) -> int:
    rows = await Payment.insert(Payment(receipt=receipt_id, amount=amount, currency="usd", state=state, **extra))
    return int(rows[0]["id"])


async def reads(receipt_id: int) -> tuple[dict[str, Any], dict[str, str]] | None:
    return await sql.start_reads(receipt_id, sorted(UNRESOLVED), REQUIRES_CAPTURE, SETTINGS)


def columns(payment: Payment) -> dict[str, Any]:
    return {column._meta.name: getattr(payment, column._meta.name) for column in Payment._meta.columns}


async def test_a_start_reads_the_open_tender_the_tips_and_the_plain_settings_at_once(
    warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    found = await reads(receipt_id)
    assert found is not None
    facts, stored = found
    assert (facts["tipping"], facts["customer_link"], facts["open_payment"]) == ("off", None, None)
    assert stored == {}

    await Warehouse.update({Warehouse.tipping: "percentages"}).where(Warehouse.id == warehouse)
    await Setting.insert(
        Setting(name="payments.capture_mode", value="manual", encrypted=False),
        # An encrypted value is ciphertext: never taken for the setting's value.
        Setting(name="payments.customer_cancellation", value="c2VjcmV0", encrypted=True),
    )
    # An authorization kept for an admin's capture is done at the till; a declined card is still open.
    await card(receipt_id, 500, REQUIRES_CAPTURE, keep_for_capture=True)
    declined = await card(receipt_id, 1500, "declined")
    await card(receipt_id, 100, "canceled")
    found = await reads(receipt_id)
    assert found is not None
    facts, stored = found
    assert (facts["tipping"], facts["open_payment"]) == ("percentages", declined)
    assert stored == {"payments.capture_mode": "manual"}

    assert await reads(receipt_id + 1000) is None  # no such receipt


async def test_the_rows_a_start_writes_are_answered_as_the_database_holds_them(warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier)
    now = datetime.now(UTC)
    values = {
        "receipt": receipt_id,
        "amount": 2000,
        "currency": "usd",
        "state": "creating",
        "capture_method": "automatic",
        "keep_for_capture": False,
        "customer_cancellation": True,
        "accepted_brands": "visa,mastercard",
        "reader_id": "tmr_1",
        "reader_label": "Counter 1",
        "tipping": True,
        "created_by": cashier,
        "sent_at": now,
        "reconcile_after": now,
        "receipt_email": "a@example.com",
        "stripe_customer": "",
        "save_card": False,
    }
    async with store.atomic():
        written = await sql.insert_payment_row(values, now)
    stored = await store.load(int(written.id))
    assert stored is not None
    assert columns(written) == columns(stored)
    assert (written.state, written.attempt, written.tipping, written.amount) == ("creating", 1, True, 2000)

    moved = await store.transition_row(
        int(written.id), "intent_created", {"payment_intent_id": "pi_1", "sent_at": now}, step="intent_created"
    )
    assert moved is not None
    stored = await store.load(int(written.id))
    assert stored is not None
    assert columns(moved) == columns(stored)
    assert (moved.state, moved.payment_intent_id) == ("intent_created", "pi_1")
    log = await PaymentLog.select(PaymentLog.step).where(PaymentLog.payment == written.id)
    assert log == [{"step": "intent_created"}]

    # A move its state does not allow writes nothing and answers nothing.
    assert await store.transition_row(int(written.id), "creating", {"card_brand": "visa"}, step="x") is None
    after = await store.load(int(written.id))
    assert after is not None and (after.state, after.card_brand) == ("intent_created", None)


async def test_the_start_transaction_sees_an_open_tender_as_the_read_before_it(warehouse: int, cashier: int) -> None:
    receipt_id = await receipt_for(warehouse, cashier)

    async def is_open() -> bool:
        return await sql.has_unresolved(receipt_id, UNRESOLVED, REQUIRES_CAPTURE)

    assert not await is_open()
    await card(receipt_id, 500, REQUIRES_CAPTURE, keep_for_capture=True)  # kept for an admin's capture
    await card(receipt_id, 100, "canceled")
    assert not await is_open()
    await card(receipt_id, 1500, "needs_attention")
    assert await is_open()
