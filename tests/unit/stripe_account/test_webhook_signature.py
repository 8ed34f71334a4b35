"""Stripe's webhook signature, checked with hmac: what Stripe signs is accepted, nothing else is."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
import stripe

from kiosk.stripe_account.signature import BadSignature, verify

SECRET = "whsec_test_secret"
BODY = b'{"id": "evt_1", "object": "event", "type": "charge.succeeded", "created": 1}'
TOLERANCE = 300


def v1(payload: bytes, stamp: int, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()


def test_a_header_made_by_stripes_own_library_is_accepted() -> None:
    header = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET)
    verify(BODY, header, SECRET, TOLERANCE)


def test_one_matching_signature_among_several_is_enough() -> None:
    now = int(time.time())
    header = f"t={now},v1={v1(BODY, now, 'whsec_rolled')},v0=abc,v1={v1(BODY, now)}"
    verify(BODY, header, SECRET, TOLERANCE)


def test_a_signature_just_inside_the_tolerance_is_accepted() -> None:
    now = 1_800_000_000
    verify(BODY, f"t={now - TOLERANCE},v1={v1(BODY, now - TOLERANCE)}", SECRET, TOLERANCE, now=now)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "v1=00",
        "t=1800000000",
        "t=soon,v1=00",
        f"t=1800000000,v1={v1(BODY, 1_800_000_000, 'whsec_other')}",  # another endpoint's secret
        f"t=1800000000,v0={v1(BODY, 1_800_000_000)}",  # only the v1 scheme counts
        f"t=1800000001,v1={v1(BODY, 1_800_000_000)}",  # the timestamp is part of what is signed
        f"t={1_800_000_000 - TOLERANCE - 1},v1={v1(BODY, 1_800_000_000 - TOLERANCE - 1)}",  # too old: a replay
        "t=1800000000,v1=\u00e9",
    ],
)
def test_bad_missing_or_old_signatures_are_refused(header: str | None) -> None:
    with pytest.raises(BadSignature):
        verify(BODY, header, SECRET, TOLERANCE, now=1_800_000_000)


def test_a_body_changed_after_signing_is_refused() -> None:
    now = int(time.time())
    with pytest.raises(BadSignature):
        verify(BODY.replace(b"succeeded", b"refunded"), f"t={now},v1={v1(BODY, now)}", SECRET, TOLERANCE)


def test_no_secret_accepts_nothing() -> None:
    now = int(time.time())
    with pytest.raises(BadSignature):
        verify(BODY, f"t={now},v1={v1(BODY, now, '')}", "", TOLERANCE)
