"""The progress poll's fast path (kiosk/payments/poll_fast_path.py): it answers 204 itself only when the till
may see the payment and the version the poll carries is still the payment's, and hands everything else
to the app, which answers it as always. The app behind it here records what reached it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser

import kiosk.db.sql
from kiosk.payments.poll_fast_path import PollFastPath
from kiosk.payments.tables import Payment
from kiosk.payments.views import payment_view
from kiosk.people.auth import IDLE_TIMEOUT, now_utc, start_session
from kiosk.people.guards import SESSION_COOKIE
from kiosk.people.tables import Session, UserWarehouse
from kiosk.shop.tables import Receipt
from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.kiosk_support import CSRF_COOKIE, make_warehouse

Message = dict[str, Any]


@dataclass
class Poll:
    """A till's open payment and what its browser sends when htmx polls the progress fragment."""

    payment_id: int
    token: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> bytes:
        return f"v={self.version}".encode()

    def request_headers(self) -> dict[str, str]:
        cookie = f"{SESSION_COOKIE}={{token}}; {CSRF_COOKIE}=csrf-token"
        headers = {"cookie": cookie, "hx-request": "true", **self.headers}
        return {name: value.replace("{token}", self.token) for name, value in headers.items()}


@dataclass
class Answer:
    sent: list[Message]
    reached_app: bool

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"]) if self.sent else 0


async def _payment_row(payment_id: int) -> Payment:
    payment = await Payment.objects().where(Payment.id == payment_id).first()
    assert payment is not None
    return payment


@pytest.fixture
async def poll(warehouse: int, cashier: int) -> Poll:
    receipt = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt, warehouse, "10.00")
    payment = Payment(receipt=receipt, amount=1000, currency="usd", state="on_reader", reader_label="Till 1")
    await payment.save()
    version = payment_view(await _payment_row(payment.id)).version
    return Poll(payment.id, await start_session(cashier), version)


async def send_through(poll: Poll, *, method: str = "GET", path: str = "", query: bytes | None = None) -> Answer:
    reached: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    sent: list[Message] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    headers = [(k.encode(), v.encode()) for k, v in poll.request_headers().items()]
    scope = {
        "type": "http",
        "method": method,
        "path": path or f"/payments/{poll.payment_id}/progress",
        "query_string": poll.query if query is None else query,
        "headers": headers,
        "state": {},
    }
    await PollFastPath(app, CSRF_COOKIE)(scope, receive, send)  # type: ignore[arg-type]
    return Answer(sent, bool(reached))


async def test_an_unchanged_poll_is_answered_before_the_app(poll: Poll) -> None:
    answer = await send_through(poll)
    assert not answer.reached_app and answer.status == 204
    assert dict(answer.sent[0]["headers"]) == {b"cache-control": b"no-store"}
    assert answer.sent[1]["body"] == b""


async def _change_state(poll: Poll) -> None:
    await Payment.update({Payment.state: "succeeded"}).where(Payment.id == poll.payment_id)


async def _change_headline(poll: Poll) -> None:
    await Payment.update({Payment.intent_status: "processing"}).where(Payment.id == poll.payment_id)


async def _expire(poll: Poll) -> None:
    await Session.update({Session.expires_at: now_utc() - timedelta(seconds=1)}, force=True)


async def _idle(poll: Poll) -> None:
    await Session.update({Session.last_seen_at: now_utc() - IDLE_TIMEOUT}, force=True)


async def _deactivate(poll: Poll) -> None:
    await BaseUser.update({BaseUser.active: False}, force=True)


async def _unlink(poll: Poll) -> None:
    await UserWarehouse.delete(force=True)


async def _move_receipt(poll: Poll) -> None:
    await Receipt.update({Receipt.warehouse: await make_warehouse("Elsewhere")}, force=True)


async def _log_out(poll: Poll) -> None:
    await Session.delete(force=True)


async def _no_change(poll: Poll) -> None:
    return None


CHANGES: dict[str, Callable[[Poll], Awaitable[None]]] = {
    "the payment ended": _change_state,
    "what the fragment shows changed": _change_headline,
    "the session expired": _expire,
    "the session is idle": _idle,
    "the user was deactivated": _deactivate,
    "the warehouse is no longer the user's": _unlink,
    "the payment is another warehouse's": _move_receipt,
    "the session was ended": _log_out,
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_whatever_the_route_must_answer_otherwise_reaches_the_app(poll: Poll, change: str) -> None:
    await CHANGES[change](poll)
    answer = await send_through(poll)
    assert answer.reached_app and not answer.sent


REQUESTS: dict[str, dict[str, Any]] = {
    "a POST": {"method": "POST"},
    "no version": {"query": b""},
    "another version": {"query": b"v=AAAAAAAAAAAA"},
    "a version too short": {"query": b"v=AAAAAAAAAAA"},
    "more than the version": {"query": b"x=1&v={version}"},
    "the version twice": {"query": b"v={version}&v={version}"},
    "the version escaped": {"query": b"%76={version}"},
    "another address": {"path": "/payments/1/progress/"},
}
HEADERS: dict[str, dict[str, str]] = {
    "not htmx": {"hx-request": ""},
    "no CSRF cookie (the middleware would set one)": {"cookie": f"{SESSION_COOKIE}={{token}}"},
    "an unknown session": {"cookie": f"{SESSION_COOKIE}=unknown; {CSRF_COOKIE}=csrf-token"},
}


@pytest.mark.parametrize("kind", list(REQUESTS) + list(HEADERS))
async def test_unusual_requests_reach_the_app(poll: Poll, kind: str) -> None:
    poll.headers = HEADERS.get(kind, {})
    request = dict(REQUESTS.get(kind, {}))
    if "query" in request:
        request["query"] = request["query"].replace(b"{version}", poll.version.encode())
    answer = await send_through(poll, **request)
    assert answer.reached_app and not answer.sent


async def test_a_database_error_is_left_to_the_route(poll: Poll, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise OSError("database unavailable")

    monkeypatch.setattr(kiosk.db.sql, "_run", broken)  # every hand-written statement, the lookup's too
    answer = await send_through(poll)
    assert answer.reached_app and not answer.sent


async def test_through_the_app_every_poll_shows_the_database(app: Litestar, poll: Poll) -> None:
    """204 while nothing changes, the outcome once it does; then the login page once logged out."""
    async with AsyncTestClient(app=app) as browser:
        url = f"/payments/{poll.payment_id}/progress?v={poll.version}"
        headers = {k: v for k, v in poll.request_headers().items() if k != "cookie"}
        browser.cookies.update({SESSION_COOKIE: poll.token, CSRF_COOKIE: "csrf-token"})
        assert (await browser.get(url, headers=headers)).status_code == 204
        await _change_state(poll)
        done = await browser.get(url, headers=headers)
        assert done.status_code == 286 and 'data-state="succeeded"' in done.text
        await Payment.update({Payment.state: "on_reader"}).where(Payment.id == poll.payment_id)
        await _log_out(poll)
        gone = await browser.get(url, headers=headers)
        assert gone.status_code == 401 and gone.headers["hx-redirect"] == "/login"
