"""The card payment state machine, pure: states, allowed moves, and what Stripe's news means.

creating → intent_created → on_reader → (succeeded | requires_capture → captured)
                                        | declined (retryable: back to intent_created)
                                        | canceled | needs_attention (we cannot tell; ask Stripe)

With a restriction on card brands (two steps), the reader first only reads the card:
intent_created → collecting → collected → on_reader (confirm_payment_intent sent) → as above
                            | declined (card_brand_not_accepted: the reader's action canceled)
Nothing can be charged before the kiosk confirms a `collected` card of an accepted brand.

Webhooks and reads of Stripe are hints turned into a `Change`; a change is applied only when the
move is allowed from the state the row is in *at write time*, so late, duplicate or out-of-order
news can never move a payment backwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiosk.stripe_account.objects import CardInfo, IntentInfo, ReaderAction

CREATING = "creating"
INTENT_CREATED = "intent_created"
ON_READER = "on_reader"
# Two steps: collect_payment_method is on the reader (waiting for the card; nothing can be charged).
COLLECTING = "collecting"
# Two steps: the reader read the card (its brand recorded); the kiosk confirms it or refuses it.
COLLECTED = "collected"
SUCCEEDED = "succeeded"
REQUIRES_CAPTURE = "requires_capture"
CAPTURED = "captured"
DECLINED = "declined"
CANCELED = "canceled"
NEEDS_ATTENTION = "needs_attention"

STATES = (
    CREATING,
    INTENT_CREATED,
    ON_READER,
    COLLECTING,
    COLLECTED,
    SUCCEEDED,
    REQUIRES_CAPTURE,
    CAPTURED,
    DECLINED,
    CANCELED,
    NEEDS_ATTENTION,
)
# Reader actions of the two steps, and the failure code of a card whose brand the shop refuses.
COLLECT_ACTION = "collect_payment_method"
CONFIRM_ACTION = "confirm_payment_intent"
BRAND_NOT_ACCEPTED = "card_brand_not_accepted"
# The payment is being sent to, or is on, a reader: it holds the reader's lease.
ACTIVE = frozenset({CREATING, INTENT_CREATED, ON_READER, COLLECTING, COLLECTED})
# Nothing can change any more.
FINAL = frozenset({SUCCEEDED, CAPTURED, CANCELED})
# Stripe confirmed the money was taken.
SETTLED = frozenset({SUCCEEDED, CAPTURED})
# Stripe has authorized the money: a move into one of these may close the receipt (counts_as_paid).
RECEIPT_SETTLED = frozenset({SUCCEEDED, REQUIRES_CAPTURE, CAPTURED})
# Waiting for the reader's result: Stripe's word on it may be noted without moving the payment.
CHECKABLE = frozenset({ON_READER, COLLECTING, NEEDS_ATTENTION})
# The card tender is still open: a new "+ Card" on the receipt resumes it rather than charging twice.
UNRESOLVED = frozenset(
    {CREATING, INTENT_CREATED, ON_READER, COLLECTING, COLLECTED, DECLINED, NEEDS_ATTENTION, REQUIRES_CAPTURE}
)


def is_unresolved(state: str, kept_for_capture: bool) -> bool:
    """Still open at the till; an authorization kept for an admin to capture is done there."""
    return state in UNRESOLVED and not (state == REQUIRES_CAPTURE and kept_for_capture)


def counts_as_paid(state: str, kept_for_capture: bool) -> bool:
    """The receipt counts it as paid: money taken, or an authorization kept for capture (one that
    is being captured at once counts once captured)."""
    return state in SETTLED or (state == REQUIRES_CAPTURE and kept_for_capture)


_AUTHORIZED = frozenset({SUCCEEDED, REQUIRES_CAPTURE, CAPTURED, CANCELED})
MOVES: dict[str, frozenset[str]] = {
    CREATING: frozenset({INTENT_CREATED, NEEDS_ATTENTION, CANCELED}),
    # (COLLECTED straight from intent_created: the collect's webhook outran the kiosk's own record.)
    INTENT_CREATED: frozenset({ON_READER, COLLECTING, COLLECTED, DECLINED, NEEDS_ATTENTION}) | _AUTHORIZED,
    ON_READER: frozenset({DECLINED, NEEDS_ATTENTION}) | _AUTHORIZED,
    COLLECTING: frozenset({COLLECTED, DECLINED, NEEDS_ATTENTION}) | _AUTHORIZED,
    # Confirmed (on_reader), or refused (declined); authorized when the confirm's answer comes first.
    COLLECTED: frozenset({ON_READER, DECLINED, NEEDS_ATTENTION}) | _AUTHORIZED,
    # A retry is a new attempt on the same PaymentIntent.
    DECLINED: frozenset({INTENT_CREATED, NEEDS_ATTENTION}) | _AUTHORIZED,
    NEEDS_ATTENTION: frozenset({CREATING, INTENT_CREATED, ON_READER, COLLECTING, COLLECTED, DECLINED}) | _AUTHORIZED,
    REQUIRES_CAPTURE: frozenset({CAPTURED, CANCELED}),
    SUCCEEDED: frozenset(),
    CAPTURED: frozenset(),
    CANCELED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return target in MOVES.get(current, frozenset())


def sources_of(target: str) -> list[str]:
    """Every state from which `target` may be reached (for conditional updates)."""
    return [state for state, targets in MOVES.items() if target in targets]


@dataclass(frozen=True)
class Change:
    """What Stripe's news means for a payment: a new state (or None) and columns to record."""

    state: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    # Ask Stripe right away (e.g. connection_error: the intent may be authorized after all).
    check_now: bool = False
    note: str = ""
    # With no state move: write the fields only to a payment still in one of these states.
    only_in: frozenset[str] | None = None


def failure_fields(code: str | None, decline_code: str | None, message: str | None) -> dict[str, Any]:
    return {"failure_code": code, "decline_code": decline_code, "failure_message": message}


def card_fields(card: CardInfo | None) -> dict[str, Any]:
    if card is None:
        return {}
    details: dict[str, Any] = dict(card.details)
    if card.generated_card:  # the card saved for the customer (setup_future_usage): kept as a saved card
        details.update(generated_card=card.generated_card, exp_month=card.exp_month, exp_year=card.exp_year)
    fields: dict[str, Any] = {"card_brand": card.brand, "card_last4": card.last4, "card_details": details}
    if card.capture_before:
        fields["capture_before"] = datetime.fromtimestamp(card.capture_before, UTC)
    return fields


def authorized_state(capture_method: str, intent_status: str) -> str | None:
    """The payment state an authorized intent status means, given how the payment captures."""
    if intent_status == "requires_capture":
        return REQUIRES_CAPTURE
    if intent_status == "succeeded":
        return CAPTURED if capture_method == "manual" else SUCCEEDED
    return None


def money_fields(intent: IntentInfo) -> dict[str, Any]:
    """What Stripe took and the tip in it, from Stripe's own numbers (never assumed): only once
    Stripe has taken something (an intent before authorization says nothing about the tip)."""
    if intent.charged is None:
        return {}
    return {"tip_amount": intent.tip, "amount_charged": intent.charged}


# Columns written even when the state does not move (the news came after the state move).
DETAIL_COLUMNS = frozenset({"tip_amount", "amount_charged", "capture_before"})


def from_intent(intent: IntentInfo, capture_method: str) -> Change | None:
    """A final or authorized intent decides the payment; anything else needs the reader's view."""
    fields = {"intent_status": intent.status, **card_fields(intent.card), **money_fields(intent)}
    state = authorized_state(capture_method, intent.status)
    if state is not None:
        return Change(state, fields, note=f"intent {intent.status}")
    if intent.status == "canceled":
        return Change(CANCELED, fields, note="intent canceled")
    return None


def from_action(action: ReaderAction, capture_method: str) -> Change | None:
    """The outcome of our reader action; None while it is still in progress. A collect that
    succeeded has only read the card: the payment is `collected`, with the card's brand if the
    action carries it, and the kiosk decides (kiosk/payments/driver.py: settle_collected)."""
    if action.type == COLLECT_ACTION and action.status == "succeeded":
        fields: dict[str, Any] = {**failure_fields(None, None, None), "intent_status": "requires_confirmation"}
        if action.card is not None:
            fields.update(card_brand=action.card.brand, card_last4=action.card.last4)
        return Change(COLLECTED, fields, note=f"card collected: {action.card.brand if action.card else 'unknown'}")
    if action.status == "succeeded":
        state = REQUIRES_CAPTURE if capture_method == "manual" else SUCCEEDED
        return Change(state, note="reader action succeeded")
    if action.status != "failed":
        return None
    if action.failure_code == "connection_error":
        # The reader lost its connection while authorizing: the intent may be authorized anyway. The
        # payment stays where it is, saying that the kiosk is checking, until the intent is read.
        fields = failure_fields(action.failure_code, None, action.failure_message)
        return Change(None, fields, check_now=True, note="connection_error: re-read the intent", only_in=CHECKABLE)
    fields = failure_fields(action.failure_code, action.decline_code, action.failure_message)
    return Change(DECLINED, fields, note=f"reader action failed: {action.failure_code}")


def from_failed_intent(intent: IntentInfo) -> Change:
    """A failed attempt reported by the intent itself (payment_intent.payment_failed)."""
    fields = failure_fields(intent.error_code or "card_declined", intent.decline_code, intent.error_message)
    return Change(DECLINED, {"intent_status": intent.status, **fields}, note="intent payment_failed")
