"""Refunds in Stripe's events, parsed: what was refunded of the captured money, and whose refund."""

from __future__ import annotations

from kiosk.stripe_account.objects import event_from

CHARGE = {
    "id": "ch_1",
    "object": "charge",
    "amount": 2000,
    "amount_captured": 2000,
    "amount_refunded": 500,
    "captured": True,
    "status": "succeeded",
    "payment_intent": "pi_1",
    "refunds": {
        "object": "list",
        "data": [
            {"id": "re_1", "object": "refund", "amount": 500, "currency": "usd", "status": "succeeded",
             "reason": "duplicate", "payment_intent": "pi_1", "metadata": {"kiosk_refund": "7"}},
        ],
    },
}  # fmt: skip


def event(obj: dict[str, object], kind: str = "charge.refunded") -> dict[str, object]:
    return {"id": "evt_1", "type": kind, "created": 1, "data": {"object": obj}}


def test_a_charge_refunded_event_lists_its_refunds_and_the_refunded_total() -> None:
    info = event_from(event(CHARGE))
    assert info.charge_intent_id == "pi_1" and info.charge_refunded == 500
    [refund] = info.refunds
    assert (refund.id, refund.amount, refund.status, refund.reason, refund.kiosk_refund) == (
        "re_1", 500, "succeeded", "duplicate", 7,
    )  # fmt: skip


def test_a_released_authorization_is_not_a_refund() -> None:
    released = {**CHARGE, "captured": False, "amount_captured": 0, "amount_refunded": 2000, "refunds": None}
    info = event_from(event(released))
    assert info.charge_refunded is None and info.refunds == ()


def test_a_partial_capture_releases_the_rest_without_refunding_it() -> None:
    partial = {**CHARGE, "amount_captured": 1500, "amount_refunded": 500, "refunds": {"data": []}}
    assert event_from(event(partial)).charge_refunded == 0


def test_a_refund_event_names_its_payment_intent_and_a_foreign_refund_has_no_kiosk_id() -> None:
    refund = {"id": "re_2", "object": "refund", "amount": 300, "currency": "usd", "status": "pending",
              "payment_intent": "pi_9", "metadata": {}}  # fmt: skip
    info = event_from(event(refund, "refund.created"))
    assert info.charge_intent_id == "pi_9"
    assert [(r.id, r.status, r.kiosk_refund) for r in info.refunds] == [("re_2", "pending", None)]
