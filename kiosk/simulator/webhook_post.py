"""One webhook request as Stripe sends it: the event as JSON, signed with the endpoint's secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any

import msgspec

from kiosk.simulator import versions
from kiosk.simulator.core import new_id
from kiosk.simulator.webhook_http import SendError, WebhookHttp

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]

# Secrets live in their own table so that no rendering of a webhook_endpoint can leak them.
SECRETS_KIND = "webhook_endpoint_secret"
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header: HMAC-SHA256 of ``"<t>.<body>"`` keyed with the whsec_ secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def pretty_json(obj: JSON) -> bytes:
    """``json.dumps(obj, indent=2)``, as Stripe's webhook bodies are laid out, byte for byte: the C
    encoder, then msgspec's C formatter for the indentation (json's own indenting encoder is pure
    Python, a fifth of the simulator's CPU under load)."""
    return msgspec.json.format(json.dumps(obj).encode(), indent=2)


def endpoint_secret(sim: Simulator, endpoint_id: str) -> str:
    return str(sim.table(SECRETS_KIND)[endpoint_id]["secret"])


async def post_event(
    client: WebhookHttp, sim: Simulator, endpoint: JSON, event: JSON, bad_signature: bool, answer_within: float
) -> tuple[int | None, str | None]:
    """POST ``event`` to ``endpoint`` within ``answer_within`` seconds: the status it answered, or
    None and why it could not be reached. ``bad_signature`` signs with a made-up secret (a forgery).
    The event is rendered in the endpoint's ``api_version``, or the account's default without one."""
    version = endpoint.get("api_version") or sim.default_api_version
    shown = event if version == event["api_version"] and not versions.reshapes(version) else None
    body = pretty_json(shown or versions.event_in(sim, event, version))
    secret = new_id("whsec", 32) if bad_signature else endpoint_secret(sim, endpoint["id"])
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        # Wall-clock time, not the simulator's clock: receivers check it against their own.
        "Stripe-Signature": sign(body, secret, int(time.time())),
    }
    try:
        return await client.post(endpoint["url"], body, headers, answer_within), None
    except SendError as exc:
        return None, str(exc)
