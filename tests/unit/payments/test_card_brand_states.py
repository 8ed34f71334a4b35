"""Accepted card brands without a database or Stripe: the list as stored, the two steps' moves, what
a collected card means, which collect news is current, and what the cashier reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.forms import FormErrors
from kiosk.payments import brands
from kiosk.payments.events import _change_for
from kiosk.payments.states import ACTIVE, UNRESOLVED, can_move, from_action
from kiosk.payments.tables import Payment
from kiosk.payments.views import payment_view
from kiosk.stripe_account.objects import CardInfo, EventInfo, ReaderAction, ReaderInfo, action_from, intent_from

SENT = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


class Form(dict[str, list[str]]):
    """A submitted form's repeated fields, as Litestar's FormMultiDict answers `getall`."""

    def getall(self, name: str, default: list[str]) -> list[str]:
        return self.get(name, default)


def test_every_brand_ticked_is_stored_as_no_restriction() -> None:
    assert brands.encode(brands.ALL) == "" and brands.encode(reversed(brands.ALL)) == ""
    assert brands.encode(["amex", "visa"]) == "visa,amex"
    assert brands.decode("") == brands.ALL and brands.decode("visa,bogus") == ("visa",)
    assert brands.accepts("", "amex") and brands.accepts("visa,amex", "amex")
    assert not brands.accepts("visa", "amex") and not brands.accepts("visa", None)


def test_an_empty_or_unknown_brand_list_is_refused() -> None:
    with pytest.raises(FormErrors) as empty:
        brands.parse(Form())
    assert empty.value.errors == {"brands": brands.EMPTY}
    with pytest.raises(FormErrors) as unknown:
        brands.parse(Form(brands=["visa", "maestro"]))
    assert unknown.value.errors == {"brands": brands.UNKNOWN}
    assert brands.parse(Form(brands=["mastercard", "visa"])) == ("visa", "mastercard")


def test_the_refusal_names_the_brand_as_people_say_it() -> None:
    assert brands.refusal("amex") == "American Express is not accepted here — ask for another card."
    assert brands.refusal("eftpos_au") == "eftpos is not accepted here — ask for another card."
    assert brands.refusal(None) == "This card is not accepted here — ask for another card."


def test_the_two_steps_hold_the_reader_and_move_only_forward() -> None:
    assert {"collecting", "collected"} <= ACTIVE and {"collecting", "collected"} <= UNRESOLVED
    assert can_move("intent_created", "collecting") and can_move("collecting", "collected")
    assert can_move("collected", "on_reader") and can_move("collected", "declined")
    assert can_move("collected", "succeeded")  # the confirm's webhook outran the kiosk's record
    assert not can_move("on_reader", "collected") and not can_move("succeeded", "collected")
    assert not can_move("collected", "collecting") and not can_move("declined", "collected")


def collect(status: str, brand: str | None = "amex", intent: str = "pi_1") -> ReaderAction:
    card = CardInfo(brand, "0005", None) if brand else None
    return ReaderAction("collect_payment_method", status, intent, card=card)


def test_a_collected_card_is_not_money() -> None:
    change = from_action(collect("succeeded"), "automatic")
    assert change is not None and change.state == "collected"
    assert (change.fields["card_brand"], change.fields["card_last4"]) == ("amex", "0005")
    assert from_action(collect("in_progress"), "automatic") is None
    failed = from_action(ReaderAction("collect_payment_method", "failed", "pi_1", "customer_canceled"), "automatic")
    assert failed is not None and failed.state == "declined"
    confirmed = from_action(ReaderAction("confirm_payment_intent", "succeeded", "pi_1"), "manual")
    assert confirmed is not None and confirmed.state == "requires_capture"


def test_the_brand_is_read_from_the_action_or_the_intents_payment_method() -> None:
    pm = {"id": "pm_1", "type": "card_present", "card_present": {"brand": "jcb", "last4": "0505"}}
    parsed = action_from(
        {
            "type": "collect_payment_method",
            "status": "succeeded",
            "collect_payment_method": {"payment_intent": "pi_1", "payment_method": pm},
        }
    )
    assert parsed is not None and parsed.payment_intent_id == "pi_1" and parsed.card == CardInfo("jcb", "0505", None)
    confirm = action_from(
        {
            "type": "confirm_payment_intent",
            "status": "in_progress",
            "confirm_payment_intent": {"payment_intent": "pi_1"},
        }
    )
    assert confirm is not None and confirm.payment_intent_id == "pi_1" and confirm.card is None
    intent = intent_from({"id": "pi_1", "status": "requires_confirmation", "payment_method": pm})
    assert intent.collected == CardInfo("jcb", "0505", None)
    assert intent_from({"id": "pi_1", "status": "requires_confirmation", "payment_method": "pm_1"}).collected is None


def collecting_row() -> Payment:
    return Payment(
        state="collecting", payment_intent_id="pi_1", reader_id="tmr_1", sent_at=SENT, accepted_brands="visa"
    )


def collect_event(created: datetime) -> EventInfo:
    reader = ReaderInfo("tmr_1", "Counter 1", "simulated_wisepos_e", True, "tml_1", collect("succeeded"))
    return EventInfo("evt_1", "terminal.reader.action_succeeded", int(created.timestamp()), reader=reader)


def test_a_card_collected_by_an_earlier_attempt_is_never_decided_again() -> None:
    assert _change_for(collecting_row(), collect_event(SENT.replace(hour=11))) == "card collected by an earlier attempt"
    unsure = _change_for(collecting_row(), collect_event(SENT))
    assert not isinstance(unsure, str) and unsure.state is None and unsure.check_now
    current = _change_for(collecting_row(), collect_event(SENT.replace(second=20)))
    assert not isinstance(current, str) and current.state == "collected"


def test_what_the_cashier_reads_in_the_two_steps() -> None:
    base = {"receipt": 1, "reader_label": "Counter 1", "accepted_brands": "visa,mastercard"}
    waiting = payment_view(Payment(state="collecting", **base))
    assert waiting.headline == "Present card on Counter 1" and waiting.can_cancel and not waiting.final
    checking = payment_view(Payment(state="collected", card_brand="visa", **base))
    assert checking.headline == "Checking the card…" and not checking.can_retry
    paying = payment_view(Payment(state="on_reader", card_brand="visa", card_last4="4242", **base))
    assert paying.headline == "Processing…" and paying.detail == "Visa is being authorized."
    refused = payment_view(Payment(state="declined", card_brand="amex", failure_code="card_brand_not_accepted", **base))
    assert refused.headline == "Card not accepted" and refused.can_retry and refused.final
    assert refused.detail == "American Express is not accepted here — ask for another card."
