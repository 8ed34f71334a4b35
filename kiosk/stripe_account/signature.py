"""Stripe's webhook signature, checked on the raw body with the standard library.

`Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`: each `v1` is HMAC-SHA256, keyed with the
endpoint's secret, of `"<t>.<raw body>"`. The event is genuine when one of them matches, and fresh
when `t` is no older than the tolerance (a replayed old delivery is refused). Other schemes (`v0`)
are ignored, as Stripe's own libraries do. https://docs.stripe.com/webhooks#verify-manually
"""

from __future__ import annotations

import hmac
import time


class BadSignature(ValueError):
    """The header is missing, malformed, matches no signature, or is too old."""


def verify(payload: bytes, header: str | None, secret: str, tolerance: int, now: float | None = None) -> None:
    """Raise BadSignature unless `header` signs `payload` with `secret` within `tolerance` seconds."""
    if not header:
        raise BadSignature("no Stripe-Signature header")
    if not secret.strip():
        raise BadSignature("no webhook secret is configured")
    stamp: int | None = None
    signatures: list[bytes] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and stamp is None:
            try:
                stamp = int(value)
            except ValueError:
                raise BadSignature("the signature's timestamp is not a number") from None
        elif key == "v1":
            try:
                signatures.append(value.encode("ascii"))
            except UnicodeEncodeError:
                raise BadSignature("the signature is not ASCII") from None
    if stamp is None:
        raise BadSignature("the signature has no timestamp")
    if not signatures:
        raise BadSignature("no v1 signature")
    signed = b"%d." % stamp + payload
    expected = hmac.digest(secret.encode("utf-8"), signed, "sha256").hex().encode("ascii")  # OpenSSL's one-shot
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise BadSignature("no signature matches the payload")
    if stamp < (time.time() if now is None else now) - tolerance:
        raise BadSignature(f"the signature is older than {tolerance} s")
