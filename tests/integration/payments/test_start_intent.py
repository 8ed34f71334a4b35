"""What a card start asks Stripe for: the PaymentIntent names the receipt as the till shows it (its
number in the description, the receipt, payment and warehouse in its metadata), on every start."""

from __future__ import annotations

from typing import Any

from kiosk.shop.tables import Receipt
from tests.payments_support import Kiosk


async def number_of(receipt_id: int) -> int:
    row = await Receipt.select(Receipt.number).where(Receipt._meta.primary_key == receipt_id).first()
    assert row is not None
    return int(row["number"])


async def test_the_intent_names_the_receipt_by_its_number_and_warehouse(kiosk: Kiosk) -> None:
    receipts = [await kiosk.receipt("10.00") for _ in range(2)]
    for n, receipt_id in enumerate(receipts):
        started = await kiosk.start(receipt_id, reader=n)
        assert started.state == "on_reader" and started.payment_intent_id
        intent_id = started.payment_intent_id
        intent: Any = await kiosk.stripe(lambda client, i=intent_id: client.v1.payment_intents.retrieve(i))
        assert intent.description == f"Receipt {await number_of(receipt_id)}"
        assert intent.metadata.to_dict() == {
            "receipt": str(receipt_id),
            "payment": str(started.id),
            "kiosk_payment_key": str(started.key),
            "warehouse": str(kiosk.warehouse_id),
        }
    assert await number_of(receipts[1]) == await number_of(receipts[0]) + 1
