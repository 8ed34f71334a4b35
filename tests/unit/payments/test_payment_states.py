"""The payment state machine without a database or Stripe: moves, and what Stripe's news means."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.payments.decline_messages import UNKNOWN, cashier_message
from kiosk.payments.events import _change_for
from kiosk.payments.states import (
    ACTIVE,
    CHECKABLE,
    FINAL,
    MOVES,
    STATES,
    can_move,
    from_action,
    from_intent,
    sources_of,
)
from kiosk.payments.tables import Payment
from kiosk.payments.views import payment_view
from kiosk.stripe_account.objects import CardInfo, EventInfo, IntentInfo, ReaderAction, ReaderInfo

SENT = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_final_states_never_move() -> None:
    for state in FINAL:
        assert all(not can_move(state, target) for target in STATES)


@pytest.mark.parametrize("late", ["declined", "on_reader", "intent_created", "needs_attention", "creating"])
def test_news_arriving_after_success_cannot_undo_it(late: str) -> None:
    assert not can_move("succeeded", late) and not can_move("captured", late)


def test_every_state_is_reachable_and_sources_agree_with_moves() -> None:
    reachable = {target for targets in MOVES.values() for target in targets} | {"creating"}
    assert reachable == set(STATES)
    for target in STATES:
        assert all(target in MOVES[source] for source in sources_of(target))


def test_a_decline_is_retryable_on_the_same_intent() -> None:
    assert can_move("declined", "intent_created") and "declined" not in ACTIVE


def action(status: str, failure: str | None = None, decline: str | None = None, intent: str = "pi_1") -> ReaderAction:
    return ReaderAction("process_payment_intent", status, intent, failure, "message", decline)


def test_reader_results_become_changes() -> None:
    assert from_action(action("in_progress"), "automatic") is None
    assert from_action(action("succeeded"), "automatic").state == "succeeded"  # type: ignore[union-attr]
    assert from_action(action("succeeded"), "manual").state == "requires_capture"  # type: ignore[union-attr]
    declined = from_action(action("failed", "card_declined", "insufficient_funds"), "automatic")
    assert declined is not None and declined.state == "declined"
    assert declined.fields["decline_code"] == "insufficient_funds"


def test_connection_error_asks_stripe_instead_of_declining() -> None:
    change = from_action(action("failed", "connection_error"), "automatic")
    assert change is not None and change.state is None and change.check_now


def test_intent_statuses_become_changes() -> None:
    card = CardInfo("visa", "4242", None, {"authorization_code": "123456"})
    paid = from_intent(IntentInfo("pi_1", "succeeded", 1000, "usd", "automatic", card=card), "automatic")
    assert paid is not None and paid.state == "succeeded" and paid.fields["card_last4"] == "4242"
    captured = from_intent(IntentInfo("pi_1", "succeeded", 1000, "usd", "manual"), "manual")
    assert captured is not None and captured.state == "captured"
    waiting = IntentInfo("pi_1", "requires_payment_method", 1000, "usd", "automatic")
    assert from_intent(waiting, "automatic") is None


def row(state: str = "on_reader", reader: str = "tmr_1") -> Payment:
    return Payment(state=state, payment_intent_id="pi_1", reader_id=reader, sent_at=SENT, capture_method="automatic")


def reader_event(created: datetime, act: ReaderAction, reader: str = "tmr_1") -> EventInfo:
    info = ReaderInfo(reader, "Counter 1", "simulated_wisepos_e", True, "tml_1", act)
    return EventInfo("evt_1", "terminal.reader.action_failed", int(created.timestamp()), reader=info)


def test_an_action_about_another_intent_changes_nothing() -> None:
    event = reader_event(SENT, action("succeeded", intent="pi_other"))
    assert _change_for(row(), event) == "action about another PaymentIntent"


def test_an_action_from_a_reader_the_payment_left_changes_nothing() -> None:
    event = reader_event(SENT.replace(minute=5), action("failed", "card_declined"), reader="tmr_old")
    assert _change_for(row(), event) == "from a reader this payment has left"


def test_failures_older_than_the_current_attempt_are_ignored() -> None:
    event = reader_event(SENT.replace(second=0, minute=0, hour=11), action("failed", "card_declined"))
    assert _change_for(row(), event) == "failure of an earlier attempt"


def test_a_failure_in_the_second_of_the_send_is_checked_with_stripe() -> None:
    change = _change_for(row(), reader_event(SENT, action("failed", "card_declined")))
    assert not isinstance(change, str) and change.state is None and change.check_now


def test_a_later_failure_declines() -> None:
    change = _change_for(row(), reader_event(SENT.replace(second=30), action("failed", "card_declined")))
    assert not isinstance(change, str) and change.state == "declined"


def test_decline_codes_get_plain_language() -> None:
    assert "Not enough money" in cashier_message("card_declined", "insufficient_funds")
    assert "expired" in cashier_message("expired_card", None)
    assert "customer canceled" in cashier_message("customer_canceled", None)
    assert "Another till" in cashier_message("kiosk_reader_leased", None)
    assert cashier_message("something_new", None) == UNKNOWN


def test_while_the_intent_is_reread_after_connection_error_the_cashier_is_told_the_kiosk_is_checking() -> None:
    change = from_action(action("failed", "connection_error"), "automatic")
    assert change is not None and change.fields["failure_code"] == "connection_error"
    assert change.only_in == CHECKABLE  # noted on a payment still waiting, never on a finished one
    waiting = Payment(state="on_reader", receipt=1, reader_label="Counter 1", **change.fields)
    view = payment_view(waiting)
    assert view.headline == "Checking with Stripe…" and not view.final
    assert "checking with Stripe whether the card was charged" in view.detail
    assert "not charged" not in view.detail


def test_a_reader_offline_is_not_a_decline() -> None:
    refused = Payment(state="declined", receipt=1, reader_label="Counter 1", failure_code="terminal_reader_offline")
    view = payment_view(refused)
    assert view.headline == "Not charged" and "Counter 1 did not get the payment" in view.detail and view.reader_offline
    gone = payment_view(
        Payment(state="on_reader", receipt=1, reader_label="Counter 1", failure_code="terminal_reader_offline")
    )
    assert gone.headline == "Counter 1 is offline" and "goes on when the reader reconnects" in gone.detail
    assert gone.can_cancel and not gone.final
