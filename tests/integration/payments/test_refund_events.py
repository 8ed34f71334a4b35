"""Refund news applied to the database: matched to the kiosk's refund or recorded as made
elsewhere, never moved backwards by late news, counted once however often it arrives."""

from __future__ import annotations

from kiosk.payments.refunds import actions as refunds
from kiosk.payments.refunds import events as refund_events
from kiosk.payments.tables import Payment, Refund
from kiosk.stripe_account.objects import EventInfo, RefundInfo
from kiosk.till.receipts import add_quick_amount, open_receipt


async def captured_payment(warehouse: int, cashier: int) -> Payment:
    receipt = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt, warehouse, "20.00")
    row = Payment(receipt=receipt, amount=2000, currency="usd", state="succeeded", payment_intent_id="pi_1")
    await Payment.insert(row)
    payment = await Payment.objects().get(Payment.payment_intent_id == "pi_1")
    assert payment is not None
    return payment


def news(status: str, *, refund_id: str = "re_1", ours: int | None = None, amount: int = 500) -> RefundInfo:
    return RefundInfo(refund_id, amount, "usd", status, "requested_by_customer", "pi_1", kiosk_refund=ours)


async def test_news_is_matched_to_the_kiosk_refund_and_never_goes_backwards(warehouse: int, cashier: int) -> None:
    payment = await captured_payment(warehouse, cashier)
    rows = await Refund.insert(Refund(payment=payment.id, sequence=1, amount=500, currency="usd")).returning(Refund.id)
    ours = int(rows[0]["id"])
    await refund_events.record_refund(payment, news("succeeded", ours=ours))
    await refund_events.record_refund(payment, news("pending", ours=ours))  # late news of an earlier stage
    [row] = await Refund.select(Refund.state, Refund.stripe_refund_id)
    assert (row["state"], row["stripe_refund_id"]) == ("succeeded", "re_1")
    await refund_events.record_refund(payment, news("failed", ours=ours))
    assert (await Refund.select(Refund.state).first() or {})["state"] == "failed"
    assert await refunds.refundable(payment) == 2000  # a failed refund gave nothing back


async def test_a_refund_made_elsewhere_is_recorded_once_however_often_it_is_reported(
    warehouse: int, cashier: int
) -> None:
    payment = await captured_payment(warehouse, cashier)
    event = EventInfo(
        "evt_1", "charge.refunded", 1, refunds=(news("succeeded", refund_id="re_9"),), charge_refunded=500
    )
    for _ in range(3):
        await refund_events.apply(payment, event)
    assert await Refund.count() == 1
    fresh = await Payment.objects().get(Payment.id == payment.id)
    assert fresh is not None and fresh.amount_refunded == 500
    assert await refunds.refunded(fresh) == 500 and await refunds.refundable(fresh) == 1500


async def test_stripes_total_covers_refunds_an_event_does_not_list(warehouse: int, cashier: int) -> None:
    payment = await captured_payment(warehouse, cashier)
    await refund_events.apply(payment, EventInfo("evt_2", "charge.refunded", 2, charge_refunded=700))
    await refund_events.apply(payment, EventInfo("evt_1", "charge.refunded", 1, charge_refunded=300))  # older
    fresh = await Payment.objects().get(Payment.id == payment.id)
    assert fresh is not None and fresh.amount_refunded == 700
    assert await refunds.refundable(fresh) == 1300
