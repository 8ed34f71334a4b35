"""What the payments engine needs from Stripe's objects, parsed from their JSON form.

API responses (via `to_dict()`) and webhook events (raw JSON) share these parsers, so a reader seen
in an event and a reader read from the API mean exactly the same thing to the state machine.
Fields are read leniently (`.get`): a missing optional field means "not known", never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

# EMV and authorization fields a printed receipt shows (charge.payment_method_details.card_present.receipt).
RECEIPT_FIELDS = (
    "application_preferred_name",
    "dedicated_file_name",
    "authorization_code",
    "authorization_response_code",
    "application_cryptogram",
    "terminal_verification_results",
    "transaction_status_information",
    "account_type",
    "cardholder_verification_method",
)


# The reader actions about a PaymentIntent: one step, or collect then confirm (accepted card brands).
PAYMENT_ACTIONS = ("process_payment_intent", "collect_payment_method", "confirm_payment_intent")
# The in-person refund (Interac): its details name the PaymentIntent refunded, and the refund once made.
REFUND_ACTION = "refund_payment"


@dataclass(frozen=True)
class CardInfo:
    brand: str | None
    last4: str | None
    capture_before: int | None  # unix seconds, manual capture only
    details: dict[str, str] = field(default_factory=dict)
    # The reusable `card` PaymentMethod Stripe made from a card_present one (setup_future_usage),
    # and the card's expiry (what a saved card shows).
    generated_card: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True)
class ReaderAction:
    """The reader's current or last action; only the PaymentIntent actions concern payments."""

    type: str
    status: str  # in_progress | succeeded | failed
    payment_intent_id: str | None
    failure_code: str | None = None
    failure_message: str | None = None
    decline_code: str | None = None
    # collect_payment_method: the card it read (brand, last4), when the action carries it.
    card: CardInfo | None = None
    # refund_payment: the refund it made (once succeeded), and the metadata the POS gave it.
    refund_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # process_setup_intent (a kiosk reader task saving a card without paying): its SetupIntent.
    setup_intent_id: str | None = None


@dataclass(frozen=True)
class ReaderInfo:
    id: str
    label: str
    device_type: str
    online: bool
    location: str | None
    action: ReaderAction | None

    def action_for(self, intent_id: str | None) -> ReaderAction | None:
        """The reader's action if it is about this PaymentIntent; any other action is not ours."""
        if intent_id and self.action and self.action.payment_intent_id == intent_id:
            return self.action
        return None

    @property
    def busy(self) -> bool:
        return self.action is not None and self.action.status == "in_progress"


@dataclass(frozen=True)
class IntentInfo:
    id: str
    status: str
    amount: int
    currency: str
    capture_method: str
    error_code: str | None = None
    decline_code: str | None = None
    error_message: str | None = None
    card: CardInfo | None = None
    # The charge's id when Stripe answered it unexpanded (its card details need another read).
    charge_id: str | None = None
    # The card collected for it (`payment_method` expanded): brand and last4 before any charge.
    collected: CardInfo | None = None
    # amount_details.tip.amount: the tip the customer chose on the reader (included in `amount`).
    tip: int = 0
    amount_received: int = 0
    amount_capturable: int = 0

    @property
    def charged(self) -> int | None:
        """What Stripe took for this intent: received once captured, held while authorized; None
        before a card was authorized (Stripe has taken nothing yet)."""
        if self.amount_received:
            return self.amount_received
        if self.status == "requires_capture" and self.amount_capturable:
            return self.amount_capturable
        return None


@dataclass(frozen=True)
class RefundInfo:
    """A refund of a card payment; `kiosk_refund` is our Refund row's id (from its metadata)."""

    id: str
    amount: int
    currency: str
    status: str  # pending | requires_action | succeeded | failed | canceled
    reason: str | None
    payment_intent_id: str | None
    failure_reason: str | None = None
    kiosk_refund: int | None = None


@dataclass(frozen=True)
class EventInfo:
    id: str
    type: str
    created: int
    reader: ReaderInfo | None = None
    intent: IntentInfo | None = None
    # A charge or refund event: (its PaymentIntent id, the card it was paid with).
    charge_intent_id: str | None = None
    charge_card: CardInfo | None = None
    # A refund event's refund, or the refunds a charge event lists (when Stripe includes them).
    refunds: tuple[RefundInfo, ...] = ()
    # A charge event about a captured charge: how much of the captured money has been refunded.
    charge_refunded: int | None = None


def _id_of(value: Any) -> str | None:
    """An expandable field: an id string, or the expanded object carrying `id`."""
    if isinstance(value, dict):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def card_from_payment_method(pm: Any) -> CardInfo | None:
    """Brand and last4 of a card_present (or interac_present) PaymentMethod object; None for an id."""
    if not isinstance(pm, dict):
        return None
    card = pm.get("card_present") or pm.get("interac_present") or pm.get("card")
    if not isinstance(card, dict):
        return None
    return CardInfo(brand=_str(card.get("brand")), last4=_str(card.get("last4")), capture_before=None)


def action_from(data: JSON | None) -> ReaderAction | None:
    if not data:
        return None
    kind = str(data.get("type", ""))
    details = (data.get(kind) or {}) if kind in (*PAYMENT_ACTIONS, REFUND_ACTION) else {}
    api_error = data.get("api_error") or {}
    metadata = details.get("metadata") if kind == REFUND_ACTION else None
    return ReaderAction(
        type=kind,
        status=str(data.get("status", "")),
        payment_intent_id=_id_of(details.get("payment_intent")),
        failure_code=_str(data.get("failure_code")),
        failure_message=_str(data.get("failure_message")),
        decline_code=_str(api_error.get("decline_code")),
        card=card_from_payment_method(details.get("payment_method")),
        refund_id=_id_of(details.get("refund")),
        metadata={str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict) else {},
        setup_intent_id=_id_of((data.get(kind) or {}).get("setup_intent")) if kind == "process_setup_intent" else None,
    )


def reader_from(data: JSON) -> ReaderInfo:
    return ReaderInfo(
        id=str(data["id"]),
        label=str(data.get("label") or data["id"]),
        device_type=str(data.get("device_type") or ""),
        online=data.get("status") == "online",
        location=_id_of(data.get("location")),
        action=action_from(data.get("action")),
    )


def card_from_charge(charge: JSON | None) -> CardInfo | None:
    """Brand, last4 and receipt fields of a card_present (or Canada's interac_present) charge,
    never the card number."""
    methods = (charge or {}).get("payment_method_details") or {}
    # A saved card charged off-session is a plain `card` charge.
    details = methods.get("card_present") or methods.get("interac_present") or methods.get("card")
    if not details:
        return None
    receipt = details.get("receipt") or {}
    fields = {name: str(receipt[name]) for name in RECEIPT_FIELDS if receipt.get(name)}
    if details.get("read_method"):
        fields["read_method"] = str(details["read_method"])
    return CardInfo(
        brand=_str(details.get("brand")),
        last4=_str(details.get("last4")),
        capture_before=details.get("capture_before"),
        details=fields,
        generated_card=_id_of(details.get("generated_card")),
        exp_month=_int_or_none(details.get("exp_month")),
        exp_year=_int_or_none(details.get("exp_year")),
    )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def intent_from(data: JSON, charge: JSON | None = None) -> IntentInfo:
    """A PaymentIntent; `charge` is its latest charge when read separately."""
    error = data.get("last_payment_error") or {}
    latest = data.get("latest_charge")
    if charge is None and isinstance(latest, dict):
        charge = latest
    return IntentInfo(
        id=str(data["id"]),
        status=str(data.get("status", "")),
        amount=int(data.get("amount") or 0),
        currency=str(data.get("currency") or ""),
        capture_method=str(data.get("capture_method") or "automatic"),
        error_code=_str(error.get("code")),
        decline_code=_str(error.get("decline_code")),
        error_message=_str(error.get("message")),
        card=card_from_charge(charge),
        charge_id=_id_of(latest),
        collected=card_from_payment_method(data.get("payment_method")),
        tip=_tip_of(data),
        amount_received=int(data.get("amount_received") or 0),
        amount_capturable=int(data.get("amount_capturable") or 0),
    )


def _tip_of(intent: JSON) -> int:
    """amount_details.tip.amount, 0 when Stripe reports no tip (amount_details or tip null/empty)."""
    tip = ((intent.get("amount_details") or {}).get("tip")) or {}
    return int(tip.get("amount") or 0) if isinstance(tip, dict) else 0


def refund_from(data: JSON) -> RefundInfo:
    ours = str((data.get("metadata") or {}).get("kiosk_refund") or "")
    return RefundInfo(
        id=str(data["id"]),
        amount=int(data.get("amount") or 0),
        currency=str(data.get("currency") or ""),
        status=str(data.get("status") or "pending"),
        reason=_str(data.get("reason")),
        payment_intent_id=_id_of(data.get("payment_intent")),
        failure_reason=_str(data.get("failure_reason")),
        kiosk_refund=int(ours) if ours.isdigit() else None,
    )


def _captured_refunded(charge: JSON) -> int | None:
    """Money refunded out of what was captured (an uncaptured remainder released also counts as
    `amount_refunded` at Stripe); None for a charge never captured."""
    if not charge.get("captured"):
        return None
    released = int(charge.get("amount") or 0) - int(charge.get("amount_captured") or 0)
    return max(int(charge.get("amount_refunded") or 0) - released, 0)


def _listed_refunds(charge: JSON) -> tuple[RefundInfo, ...]:
    listed = charge.get("refunds")
    rows = listed.get("data") if isinstance(listed, dict) else None
    return tuple(refund_from(r) for r in rows or [] if isinstance(r, dict) and r.get("id"))


def event_from(data: JSON) -> EventInfo:
    """A webhook event; only the objects the payments engine reacts to are parsed."""
    obj = (data.get("data") or {}).get("object") or {}
    kind = obj.get("object")
    event_id, type_, created = str(data["id"]), str(data.get("type", "")), int(data.get("created") or 0)
    if kind == "terminal.reader":
        return EventInfo(event_id, type_, created, reader=reader_from(obj))
    if kind == "payment_intent":
        return EventInfo(event_id, type_, created, intent=intent_from(obj))
    if kind == "charge":
        # Only a charge that took the money names the card of the payment (not a declined card's).
        card = card_from_charge(obj) if obj.get("status") == "succeeded" else None
        return EventInfo(
            event_id,
            type_,
            created,
            charge_intent_id=_id_of(obj.get("payment_intent")),
            charge_card=card,
            refunds=_listed_refunds(obj),
            charge_refunded=_captured_refunded(obj),
        )
    if kind == "refund":
        refund = refund_from(obj)
        return EventInfo(event_id, type_, created, charge_intent_id=refund.payment_intent_id, refunds=(refund,))
    return EventInfo(event_id, type_, created)
