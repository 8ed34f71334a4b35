"""Which of a sale's writes wait for the disk (kiosk/db/durability.py): what Stripe is about to be
told, and the cash in the drawer, is on the disk first; a receipt just opened, the move to "on the
reader" and Stripe's events of the sale may be taken back by a power cut (Stripe holds the truth and
the reconciler asks again), so on SQLite their commits do not wait for the disk."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.db.durability import is_recoverable
from kiosk.payments import events as events_module
from kiosk.payments import sql as payments_sql
from kiosk.payments import store
from kiosk.payments.tables import WebhookEvent
from kiosk.stripe_account.objects import event_from
from kiosk.till import receipts
from kiosk.till.receipts import open_sale, take_cash
from tests.payments_support import Kiosk, wait_state, wait_until


async def test_stripe_hears_of_a_payment_only_after_it_is_durable_and_its_news_are_recoverable(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, bool]] = []

    def spy(module: Any, name: str, what: Any) -> None:
        original = getattr(module, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            seen.append((what(*args, **kwargs) if callable(what) else what, is_recoverable()))
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)

    spy(receipts, "open_receipt", "receipt opened")
    spy(payments_sql, "insert_payment_row", "payment row")
    spy(store, "transition_row", lambda payment_id, target, *a, **k: f"moved to {target}")
    spy(payments_sql, "insert_event", lambda event_id, type_, *a: f"event {type_}")
    gateway = kiosk.engine.gateway
    spy(gateway, "create_intent", "Stripe: create")
    spy(gateway, "process_on_reader", "Stripe: process")

    sale = await open_sale(kiosk.warehouse_id, kiosk.user_id, "12.00")
    assert sale.refused is None
    payment = await kiosk.start(sale.receipt_id, amount=1200)
    await kiosk.tap(kiosk.readers[0])
    await wait_state(payment.id, "succeeded")

    sale_events = {"terminal.reader.action_succeeded", "payment_intent.succeeded", "charge.succeeded"}

    async def recorded() -> bool | None:
        rows = await WebhookEvent.select(WebhookEvent.type).where(WebhookEvent.payment == payment.id)
        return True if sale_events <= {row["type"] for row in rows} else None

    await wait_until(recorded, what="the sale's events recorded")
    # Before each Stripe call, the write it relies on was made in a durable transaction (events,
    # such as `payment_intent.created`, may come in between: they are checked below).
    flow = [(step, recoverable) for step, recoverable in seen if not step.startswith("event ")]
    assert flow[:6] == [
        ("receipt opened", True),  # no money on it yet: its first tender takes it to the disk
        ("payment row", False),
        ("Stripe: create", False),
        ("moved to intent_created", False),
        ("Stripe: process", False),
        ("moved to on_reader", True),
    ]
    events = {step.removeprefix("event "): recoverable for step, recoverable in seen if step.startswith("event ")}
    assert sale_events <= events.keys()
    assert all(events.values())  # every event of the sale (and `payment_intent.created`, if sent)


async def test_cash_is_written_to_the_disk_before_the_till_says_so(
    warehouse: int, cashier: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    original = receipts.lock_receipt

    async def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(is_recoverable())
        return await original(*args, **kwargs)

    monkeypatch.setattr(receipts, "lock_receipt", spy)
    sale = await open_sale(warehouse, cashier, "5.00")
    taken = await take_cash(sale.receipt_id, warehouse, cashier, "5.00")
    assert taken.change == 0
    assert seen and not any(seen)


def test_refund_news_is_durable_and_a_card_payments_news_recoverable() -> None:
    """A refund made in Stripe's Dashboard on a settled payment is not looked for again: its news
    waits for the disk. A card payment's news leaves the payment due for a check until settled."""
    refund = {"id": "re_1", "object": "refund", "payment_intent": "pi_1", "amount": 500, "status": "succeeded"}
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "status": "succeeded"}
    intent = {"id": "pi_1", "object": "payment_intent", "status": "succeeded", "amount": 1200}

    def event(type_: str, obj: dict[str, Any]) -> Any:
        return event_from({"id": f"evt_{type_}", "type": type_, "created": 1, "data": {"object": obj}})

    assert not events_module._recoverable(event("refund.created", refund))
    assert not events_module._recoverable(event("charge.refunded", {**charge, "refunded": True}))
    assert events_module._recoverable(event("payment_intent.succeeded", intent))
    assert events_module._recoverable(event("charge.succeeded", charge))
