"""The gateway's HTTP client (kiosk/stripe_account/http_client.py) against a plain HTTP server that
plays Stripe: what reaches Stripe, and how a lost connection and Stripe's errors come back."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest

from kiosk.stripe_account import errors
from kiosk.stripe_account.gateway import StripeGateway
from kiosk.stripe_account.objects import IntentInfo

INTENT = {
    "id": "pi_1",
    "object": "payment_intent",
    "status": "requires_payment_method",
    "amount": 1000,
    "currency": "usd",
    "capture_method": "automatic",
    "metadata": {"payment": "7"},
    "latest_charge": None,
}
DECLINE = {
    "error": {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    }
}


@dataclass
class FakeStripe:
    """Answers each POST with the next of `answers` (None: drop the connection without answering)."""

    answers: list[tuple[int, dict[str, object]] | None]
    seen: list[tuple[str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.seen.append((lines[0], headers, parse_qs(body.decode())))
                answer = self.answers.pop(0)
                if answer is None:
                    writer.close()
                    return
                status, data = answer
                payload = json.dumps(data).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\nrequest-id: req_{len(self.seen)}\r\n"
                    f"content-length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


async def _serving(stripe: Any) -> AsyncIterator[tuple[Any, str]]:
    """`stripe` answering on a free port of 127.0.0.1, and its URL."""
    server = await asyncio.start_server(stripe.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield stripe, f"http://127.0.0.1:{port}"


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeStripe, str]]:
    async for served in _serving(FakeStripe([])):
        yield served


async def _create(gateway: StripeGateway) -> IntentInfo:
    return await gateway.create_intent(
        amount=1000,
        currency="usd",
        capture_method="automatic",
        metadata={"payment": "7"},
        description="Receipt 12",
        idempotency_key="key-7:create",
    )


async def test_a_dropped_connection_is_sent_again_with_the_same_key_and_charges_once(
    fake: tuple[FakeStripe, str],
) -> None:
    stripe, url = fake
    stripe.answers = [None, (200, INTENT)]
    gateway = StripeGateway("sk_test_x", api_base=url)
    try:
        intent = await _create(gateway)
    finally:
        await gateway.aclose()
    assert intent.id == "pi_1" and intent.amount == 1000
    assert [line for line, _, _ in stripe.seen] == ["POST /v1/payment_intents HTTP/1.1"] * 2
    keys = {headers["idempotency-key"] for _, headers, _ in stripe.seen}
    assert keys == {"key-7:create"}
    for _, headers, form in stripe.seen:  # the whole request each time: what Stripe is asked to charge
        assert headers["authorization"] == "Bearer sk_test_x"
        assert form["amount"] == ["1000"] and form["currency"] == ["usd"] and form["description"] == ["Receipt 12"]
        assert form["metadata[payment]"] == ["7"] and form["allowed_payment_method_types[0]"] == ["card_present"]


async def test_a_decline_reaches_the_cashier_with_its_reason(fake: tuple[FakeStripe, str]) -> None:
    stripe, url = fake
    stripe.answers = [(402, DECLINE)]
    gateway = StripeGateway("sk_test_x", api_base=url)
    try:
        with pytest.raises(errors.CardDeclined) as refused:
            await _create(gateway)
    finally:
        await gateway.aclose()
    assert refused.value.decline_code == "insufficient_funds" and len(stripe.seen) == 1


@dataclass
class RawStripe:
    """Answers each request with the next of `answers` written as raw bytes (b"": say nothing and
    keep the connection open), then closes the connection when `close_after` says so; counts the
    connections it accepted."""

    answers: list[bytes]
    close_after: bool = False
    connections: int = 0
    requests: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.requests += 1
                answer = self.answers.pop(0)
                if not answer:  # silent until the client gives up and drops the connection
                    await reader.read()
                    return
                writer.write(answer)
                await writer.drain()
                if self.close_after:
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _chunked(status: int, data: dict[str, object]) -> bytes:
    payload = json.dumps(data).encode()
    half = len(payload) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (payload[:half], payload[half:]))
    return f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".encode() + (
        chunks + b"0\r\n\r\n"
    )


def _plain(status: int, data: dict[str, object], *, close: bool = False) -> bytes:
    payload = json.dumps(data).encode()
    extra = "connection: close\r\n" if close else ""
    head = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}content-length: {len(payload)}\r\n\r\n"
    return head.encode() + payload


@pytest.fixture
async def raw() -> AsyncIterator[tuple[RawStripe, str]]:
    async for served in _serving(RawStripe([])):
        yield served


async def test_an_answer_sent_in_chunks_is_read_whole_and_the_connection_kept_for_the_next_call(
    raw: tuple[RawStripe, str],
) -> None:
    stripe, url = raw
    stripe.answers = [_chunked(200, INTENT), _plain(200, {**INTENT, "id": "pi_2"})]
    gateway = StripeGateway("sk_test_x", api_base=url)
    try:
        first, second = await _create(gateway), await _create(gateway)
    finally:
        await gateway.aclose()
    assert (first.id, first.amount, second.id) == ("pi_1", 1000, "pi_2")
    assert (stripe.requests, stripe.connections) == (2, 1)


async def test_a_connection_stripe_closes_after_answering_is_not_used_again(raw: tuple[RawStripe, str]) -> None:
    stripe, url = raw
    stripe.answers = [_plain(200, INTENT, close=True), _plain(200, {**INTENT, "id": "pi_2"})]
    gateway = StripeGateway("sk_test_x", api_base=url)
    try:
        first = await _create(gateway)
        await asyncio.sleep(0.05)  # the close reaches the kiosk while its connection is idle
        second = await _create(gateway)
    finally:
        await gateway.aclose()
    assert (first.id, second.id) == ("pi_1", "pi_2")
    assert (stripe.requests, stripe.connections) == (2, 2)  # nothing lost, nothing sent twice


async def test_a_stripe_that_stops_answering_gives_up_and_the_cashier_is_told(
    raw: tuple[RawStripe, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stripe, url = raw
    stripe.answers = [b"", b"", b""]  # silence, each time the SDK sends it again
    monkeypatch.setattr("kiosk.stripe_account.gateway.HTTP_TIMEOUT_SECONDS", 0.2)
    gateway = StripeGateway("sk_test_x", api_base=url)
    try:
        with pytest.raises(errors.StripeUnavailable):
            await _create(gateway)
    finally:
        await gateway.aclose()
    assert stripe.requests == 3  # the first try and the SDK's two retries, each with the same key


async def test_the_sdks_log_lines_are_written_when_wanted_and_not_formatted_when_not(
    fake: tuple[FakeStripe, str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kiosk/stripe_account/sdk_logging.py: with the `stripe` logger at DEBUG an operator reads the
    SDK's own lines (the request, the answer's code and body); left at its default, no line is made."""
    import stripe._util

    stripe_, url = fake
    stripe_.answers = [(200, INTENT), (200, INTENT)]
    made: list[object] = []
    logfmt = stripe._util.logfmt
    monkeypatch.setattr(stripe._util, "logfmt", lambda props: made.append(props) or logfmt(props))
    gateway = StripeGateway("sk_test_x", api_base=url)
    try:
        with caplog.at_level(logging.WARNING, logger="stripe"):
            await _create(gateway)
        assert made == [] and not [r for r in caplog.records if r.name == "stripe"]
        with caplog.at_level(logging.DEBUG, logger="stripe"):
            await _create(gateway)
    finally:
        await gateway.aclose()
    lines = [r.getMessage() for r in caplog.records if r.name == "stripe"]
    assert any("Request to Stripe api" in line and "/v1/payment_intents" in line for line in lines)
    assert any("Stripe API response" in line and "response_code=200" in line for line in lines)
    assert any("API response body" in line and "pi_1" in line for line in lines)
