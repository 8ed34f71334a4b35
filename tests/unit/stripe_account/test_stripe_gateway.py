"""The gateway's pure parts: Stripe errors mapped by code, objects parsed leniently, webhook
signatures checked on the raw body."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import stripe

from kiosk.stripe_account import errors
from kiosk.stripe_account.gateway import InvalidSignature, StripeGateway, map_error
from kiosk.stripe_account.objects import event_from, intent_from, reader_from

SECRET = "whsec_test"


def invalid(code: str) -> stripe.InvalidRequestError:
    body = {"error": {"type": "invalid_request_error", "code": code, "message": "m"}}
    return stripe.InvalidRequestError("m", None, code=code, http_status=400, json_body=body)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("terminal_reader_busy", errors.ReaderBusy),
        ("terminal_reader_offline", errors.ReaderOffline),
        ("terminal_reader_timeout", errors.ReaderTimeout),
        ("intent_invalid_state", errors.IntentInvalidState),
        ("payment_intent_unexpected_state", errors.IntentInvalidState),
        ("terminal_reader_hardware_fault", errors.ReaderError),
        ("parameter_unknown", errors.StripeRejected),
    ],
)
def test_reader_and_intent_errors_map_by_code(code: str, kind: type[errors.PaymentError]) -> None:
    mapped = map_error(invalid(code))
    assert type(mapped) is kind and mapped.code == code


def test_transport_errors_are_unavailable_and_429_is_rate_limited() -> None:
    assert isinstance(map_error(stripe.APIConnectionError("down")), errors.StripeUnavailable)
    assert isinstance(map_error(stripe.APIError("boom", http_status=500)), errors.StripeUnavailable)
    assert isinstance(map_error(stripe.RateLimitError("slow down", http_status=429)), errors.RateLimited)


def test_card_error_keeps_the_decline_code() -> None:
    body = {"error": {"type": "card_error", "code": "card_declined", "decline_code": "lost_card", "message": "m"}}
    mapped = map_error(stripe.CardError("m", None, "card_declined", http_status=402, json_body=body))
    assert isinstance(mapped, errors.CardDeclined) and mapped.decline_code == "lost_card"


def test_reader_action_and_card_details_parse() -> None:
    reader = reader_from(
        {
            "id": "tmr_1",
            "label": "Counter 1",
            "device_type": "simulated_wisepos_e",
            "status": "online",
            "location": "tml_1",
            "action": {
                "type": "process_payment_intent",
                "status": "failed",
                "failure_code": "card_declined",
                "process_payment_intent": {"payment_intent": "pi_1"},
                "api_error": {"decline_code": "expired_card"},
            },
        }
    )
    assert reader.online and reader.action_for("pi_1") is not None and reader.action_for("pi_2") is None
    assert reader.action is not None and reader.action.decline_code == "expired_card"
    intent = intent_from(
        {
            "id": "pi_1",
            "status": "succeeded",
            "amount": 1000,
            "currency": "usd",
            "latest_charge": {
                "id": "ch_1",
                "payment_method_details": {
                    "card_present": {
                        "brand": "visa",
                        "last4": "4242",
                        "read_method": "contactless_emv",
                        "receipt": {"authorization_code": "123456", "application_preferred_name": "Visa Credit"},
                    }
                },
            },
        }
    )
    assert intent.card is not None and (intent.card.brand, intent.card.last4) == ("visa", "4242")
    assert intent.card.details == {
        "authorization_code": "123456",
        "application_preferred_name": "Visa Credit",
        "read_method": "contactless_emv",
    }


def signed(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    stamp = at or int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


EVENT = json.dumps(
    {
        "id": "evt_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": 1,
        "data": {"object": {"id": "pi_1", "object": "payment_intent", "status": "succeeded"}},
    }
).encode()


def test_webhook_signature_is_checked_on_the_raw_body() -> None:
    gateway = StripeGateway("sk_test_x", api_base="http://127.0.0.1:9", webhook_secret=SECRET)
    event = gateway.parse_event(EVENT, signed(EVENT))
    assert event.id == "evt_1" and event.intent is not None and event.intent.status == "succeeded"
    assert event_from(json.loads(EVENT)).intent == event.intent
    for signature in (None, "", signed(EVENT, "whsec_other"), signed(EVENT, at=int(time.time()) - 3600)):
        with pytest.raises(InvalidSignature):
            gateway.parse_event(EVENT, signature)
    with pytest.raises(InvalidSignature):
        gateway.parse_event(EVENT.replace(b"succeeded", b"canceled"), signed(EVENT))
