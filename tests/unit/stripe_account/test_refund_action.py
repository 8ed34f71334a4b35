"""A reader's refund_payment action, as Stripe sends it in terminal.reader.action_* webhooks, is read
like a payment's: the PaymentIntent it refunds, the refund it made, the metadata the POS gave it."""

from __future__ import annotations

from kiosk.stripe_account.objects import event_from


def test_a_refund_payment_webhook_names_its_intent_refund_and_metadata() -> None:
    reader = {
        "id": "tmr_1",
        "object": "terminal.reader",
        "status": "online",
        "action": {
            "type": "refund_payment",
            "status": "succeeded",
            "failure_code": None,
            "failure_message": None,
            "refund_payment": {
                "payment_intent": "pi_1",
                "charge": "ch_1",
                "amount": 500,
                "refund": "re_1",
                "metadata": {"kiosk_refund": "7", "kiosk_attempt": "2"},
            },
        },
    }
    event = event_from({"id": "evt_1", "type": "terminal.reader.action_succeeded", "data": {"object": reader}})
    assert event.reader is not None and event.reader.action is not None
    action = event.reader.action
    assert (action.type, action.status, action.payment_intent_id, action.refund_id) == (
        "refund_payment",
        "succeeded",
        "pi_1",
        "re_1",
    )
    assert action.metadata == {"kiosk_refund": "7", "kiosk_attempt": "2"}


def test_a_failed_refund_action_keeps_its_failure_code() -> None:
    action = {
        "type": "refund_payment",
        "status": "failed",
        "failure_code": "customer_canceled",
        "failure_message": "This action was canceled by the customer on the reader.",
        "refund_payment": {"payment_intent": "pi_1", "refund": None, "metadata": {}},
    }
    event = event_from(
        {
            "id": "evt_2",
            "type": "terminal.reader.action_failed",
            "data": {"object": {"id": "tmr_1", "object": "terminal.reader", "action": action}},
        }
    )
    assert event.reader is not None and event.reader.action is not None
    assert (event.reader.action.failure_code, event.reader.action.refund_id) == ("customer_canceled", None)
