"""What happens to one ``/v1`` request, in Stripe's order, independent of the web framework.

key check (401) → API version (400) → call counted → injected 500/429 fault → route of the pinned
SDK (404) → params decoded, an older version's parameters taken out, the rest checked against the
SDK's TypedDict (400) → idempotency (replay or 400) → handler → the answer in the request's version.
Everything runs on the event loop thread, one request at a time, so the state needs no locks.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.simulator import forms, params, versions
from kiosk.simulator.api import HANDLERS, Call
from kiosk.simulator.core import RESTRICTED_KEYS, Simulator, new_id
from kiosk.simulator.errors import StripeError, authentication, invalid
from kiosk.simulator.idempotency import IdempotencyStore, Stored, fingerprint
from kiosk.simulator.routes import ROUTES

JSON = dict[str, Any]
log = logging.getLogger("kiosk.simulator")

_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, using "
    "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
    "for details, or we can help at https://support.stripe.com/."
)
_PUBLISHABLE = (
    "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a "
    "list of your API keys at https://dashboard.stripe.com/account/apikeys."
)
_LIVE = "This is a test-mode Stripe simulator: live mode keys (sk_live_..., rk_live_...) are refused. Use a test key."


@dataclass
class Answer:
    """The HTTP answer to one API request, its JSON body already serialized.

    Serializing at once matters: handlers return the live objects of the account, and a stored
    idempotent answer must stay the answer of that moment.
    """

    status: int
    content: str
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, status: int, body: JSON) -> Answer:
        return cls(status, json.dumps(body, separators=(",", ":")))

    @classmethod
    def error(cls, error: StripeError) -> Answer:
        return cls.of(error.status, error.body())


def _masked(key: str) -> str:
    prefix = key[: key.find("_", key.find("_") + 1) + 1] if key.count("_") >= 2 else ""
    return prefix + "*" * max(len(key) - len(prefix) - 4, 0) + key[-4:]


def _presented_key(authorization: str | None) -> str | None:
    """The API key of ``Authorization: Bearer KEY`` or of HTTP basic auth with the key as user name."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip() or None
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or None
    return None


def authenticate(sim: Simulator, authorization: str | None) -> str:
    """The caller's test-mode key, or Stripe's 401.

    Only the keys the account has are accepted: the secret keys the simulator was started with
    (``Simulator.api_keys``) and the restricted keys made on it (``restricted_keys.restrict_key``).
    """
    key = _presented_key(authorization)
    if key is None:
        raise authentication(_NO_KEY)
    if key.startswith(("sk_live_", "rk_live_")):
        raise authentication(_LIVE)
    if key.startswith("pk_"):
        raise authentication(_PUBLISHABLE)
    if key not in sim.api_keys and key not in sim.table(RESTRICTED_KEYS):
        # Stripe knows the keys of its accounts only: a well-formed key it never issued is refused too.
        raise authentication(f"Invalid API Key provided: {_masked(key)}")
    return key


def _take_fault(sim: Simulator) -> StripeError | None:
    faults = sim.api_faults
    if faults.count <= 0 or faults.status not in (429, 500):
        return None
    faults.count -= 1
    if faults.status == 429:
        return StripeError(
            status=429,
            code="rate_limit",
            message="Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
        )
    return StripeError(status=500, type="api_error", message="An unknown error occurred")


def _unrecognized(method: str, path: str) -> StripeError:
    return invalid(
        f"Unrecognized request URL ({method.upper()}: {path}). Please see https://stripe.com/docs or we can help "
        "at https://support.stripe.com/.",
        status=404,
    )


def _reshaped(call: Call) -> bool:
    """Whether an answer needs ``versions.present``: an older version, or events (each in its own)."""
    return versions.reshapes(call.api_version) or call.template.startswith("/v1/events")


class Pipeline:
    """Serves the ``/v1`` API of one simulator."""

    def __init__(self, sim: Simulator, idempotency: IdempotencyStore) -> None:
        self.sim = sim
        self.idempotency = idempotency

    def serve(self, method: str, path: str, headers: Mapping[str, str], query: str, body: bytes) -> Answer:
        """Answer one request; ``headers`` are looked up in lower case."""
        request_id = new_id("req", 14)
        answer, version = self._answer(method.lower(), path, headers, query, body, request_id)
        answer.headers["Request-Id"] = request_id
        answer.headers["Stripe-Version"] = version
        return answer

    def _answer(
        self, method: str, path: str, headers: Mapping[str, str], query: str, body: bytes, request_id: str
    ) -> tuple[Answer, str]:
        """The answer and the version it is in (the account's default until the request's is known)."""
        version = self.sim.default_api_version
        try:
            api_key = authenticate(self.sim, headers.get("authorization"))
            version = versions.served(self.sim, headers.get("stripe-version"))
            matched = ROUTES.match(method, path)
            if matched is not None:
                self.sim.api_calls[matched[0].key] += 1
            fault = _take_fault(self.sim)
            if fault is not None:
                raise fault
            if matched is None or (method, matched[0].template) not in HANDLERS:
                raise _unrecognized(method, path)
            route, path_params = matched
            raw = forms.decode(body if method == "post" else query)
            checked = dict(raw)  # ``raw`` itself stays whole: the idempotency fingerprint is of all of it
            older = versions.adapt_request(route, checked, version)
            typed = params.validate(route, checked) | older
            versions.older_defaults(route, typed, version)
        except StripeError as error:
            return Answer.error(error), version
        key = headers.get("idempotency-key") if method == "post" else None
        call = Call(
            self.sim, method, route.template, path_params, typed, api_key, request_id, key, dict(headers), version
        )
        if key is None:
            return self._run(call), version
        # Bound to the very URL: the same key on another object's update is another request.
        return self._idempotent(call, f"POST {path}", raw), version

    def _idempotent(self, call: Call, endpoint: str, raw: JSON) -> Answer:
        assert call.idempotency_key is not None
        key, now = call.idempotency_key, self.sim.clock()
        try:
            if len(key) > 255:
                raise invalid("Invalid Idempotency-Key: must be 255 characters or fewer.")
            stored = self.idempotency.lookup(call.api_key, key, endpoint, raw, now)
        except StripeError as error:
            return Answer.error(error)
        if stored is not None:
            headers = {"Idempotent-Replayed": "true", "Original-Request": stored.request_id, "Idempotency-Key": key}
            return Answer(stored.status, stored.content, headers)
        answer = self._run(call)
        if answer.status < 500:  # a crash of the simulator itself is not an answer worth replaying
            entry = Stored(endpoint, fingerprint(raw), answer.status, answer.content, call.request_id, now)
            self.idempotency.save(call.api_key, key, entry)
        answer.headers["Idempotency-Key"] = key
        return answer

    def _in_version(self, call: Call, body: JSON) -> JSON:
        """The handler's answer (newest shape) as the request's version has it."""
        if not _reshaped(call):
            return body
        shown: JSON = copy.deepcopy(body)
        versions.present(self.sim, shown, call.api_version)
        return shown

    def _run(self, call: Call) -> Answer:
        try:
            return Answer.of(200, self._in_version(call, HANDLERS[(call.method, call.template)](call)))
        except StripeError as error:
            if versions.reshapes(call.api_version):
                return Answer.of(error.status, versions.present(self.sim, error.body(), call.api_version))
            return Answer.error(error)
        except Exception:
            log.exception("simulator handler failed: %s %s", call.method.upper(), call.template)
            return Answer.error(StripeError(status=500, type="api_error", message="An unknown error occurred"))
