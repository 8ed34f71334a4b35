"""The bench's cheap GETs (kiosk/bench/wire.py) put on the wire exactly what httpx would, and read
answers as httpx would: status, headers, the decoded body, cookies into the same jar."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from kiosk.bench.browser import Browser
from kiosk.bench.metrics import Recorder
from kiosk.bench.wire import Wire

BODY = b'<section id="payment-1" hx-get="/payments/1/progress?v=AbCdEf012_-x">Present card</section>'
ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-encoding: gzip\r\n"
    b"cache-control: no-store\r\nset-cookie: kiosk_csrf=fresh; Path=/; SameSite=lax\r\n"
    + b"content-length: %d\r\n\r\n" % len(gzip.compress(BODY))
    + gzip.compress(BODY)
)
UNCHANGED = b"HTTP/1.1 204 No Content\r\ncache-control: no-store\r\nvary: HX-Request\r\n\r\n"
POLL = "/payments/1/progress?v=AbCdEf012_-x"
HEADERS = {"HX-Request": "true", "HX-Current-URL": "http://x/receipts/1"}


@dataclass
class Server:
    """A socket that records every request and answers each with ANSWER; `close_after` answers
    on one connection it hangs up, as a server's keep-alive timeout does."""

    url: str = ""
    answer: bytes = ANSWER
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    close_after: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        answered = 0
        while not reader.at_eof():
            request = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (int(line[15:]) for line in request.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
            )
            request += await reader.readexactly(length)
            self.requests.append(request)
            writer.write(self.answer)
            await writer.drain()
            answered += 1
            if self.close_after and answered >= self.close_after:
                break
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    recording = Server()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await recording.serve(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    recording.url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}"
    async with listening:
        yield recording


def browser_client(url: str) -> httpx.AsyncClient:
    return Browser(url, Recorder()).client


async def test_the_same_request_bytes_as_httpx(server: Server) -> None:
    server.answer = UNCHANGED
    client = browser_client(server.url)
    client.cookies.set("kiosk_session", "token-1")
    client.cookies.set("kiosk_csrf", "csrf-1")
    wire = Wire(client)
    for url, headers in ((POLL, HEADERS), ("/receipts/1/summary?shown=open", {})):
        await client.get(url, headers=headers)
        unchanged = await wire.get(url, headers)
        assert unchanged.status == 204 and unchanged.body == b"" and unchanged.wire_bytes == len(UNCHANGED)
    via_httpx, via_wire = server.requests[0::2], server.requests[1::2]
    assert via_wire == via_httpx
    assert b"\r\nCookie: kiosk_session=token-1; kiosk_csrf=csrf-1\r\n" in via_wire[0]
    await wire.aclose()
    await client.aclose()


async def test_a_form_post_is_the_same_bytes_as_httpx_and_its_cookies_reach_the_jar(server: Server) -> None:
    client = browser_client(server.url)
    client.cookies.set("kiosk_session", "token-1")
    wire = Wire(client)
    form = {"amount": "12.30", "_csrf_token": "csrf-1"}
    headers = {"HX-Request": "true", "x-csrftoken": "csrf-1"}
    await client.post("/receipts/1/amount", data=form, headers=headers)
    client.cookies.delete("kiosk_csrf")  # the answer set it: back to what the wire's post is sent with
    answer = await wire.post("/receipts/1/amount", form, headers)
    via_httpx, via_wire = server.requests
    assert via_wire == via_httpx
    assert via_wire.endswith(b"\r\n\r\namount=12.30&_csrf_token=csrf-1")
    assert answer.status == 200 and answer.body == BODY
    assert client.cookies["kiosk_csrf"] == "fresh"
    await wire.aclose()
    await client.aclose()


async def test_answers_are_read_like_httpx_reads_them(server: Server) -> None:
    client = browser_client(server.url)
    wire = Wire(client)
    answer = await wire.get("/payments/1/progress", HEADERS)
    assert answer.status == 200 and answer.body == BODY and answer.wire_bytes == len(ANSWER)
    assert (b"cache-control", b"no-store") in answer.headers
    assert client.cookies["kiosk_csrf"] == "fresh"  # the jar the form posts use
    await wire.get("/payments/1/progress", HEADERS)
    assert b"\r\nCookie: kiosk_csrf=fresh\r\n" in server.requests[-1]
    await wire.aclose()
    await client.aclose()


async def test_a_connection_is_kept_and_replaced_once_the_server_hangs_up(server: Server) -> None:
    server.close_after = 2
    client = browser_client(server.url)
    wire = Wire(client)
    for _ in range(5):
        assert (await wire.get("/payments/1/progress", HEADERS)).status == 200
    assert server.connections == 3 and len(server.requests) == 5
    await wire.aclose()
    await client.aclose()


def test_every_request_is_httpx_s_bytes_whatever_the_path_and_the_jar_hold() -> None:
    """The wire builds a request around a frame it keeps per site or per URL: new receipt and
    payment URLs at every sale, cookies set by an answer or by the client itself, a cookie scoped
    to one path, URLs httpx escapes or normalizes."""
    client = browser_client("http://127.0.0.1:8000")
    wire = Wire(client)

    def httpx_bytes(method: str, url: str, form: dict[str, str] | None, headers: dict[str, str]) -> bytes:
        request = client.build_request(method, url, data=form, headers=headers)
        lines = [method.encode() + b" " + request.url.raw_path + b" HTTP/1.1"]
        lines += [name + b": " + value for name, value in request.headers.raw]
        return b"\r\n".join(lines) + b"\r\n\r\n" + (request.read() if form is not None else b"")

    urls = ["/payments/7/progress", "/receipts/8/summary?shown=open", "/", "/r?a=b%20c&d=\u00e9", "/a/../b", "/x y"]
    urls += ["/login", "/login?next=/receipts", "/loginx", "/receipts", "/receipts/8"]
    jars = [("kiosk_session", "token-1", "/"), ("kiosk_csrf", "csrf-2", "/"), ("known", "k", "/login")]
    jars += [("scoped", "s", "/receipts/"), ("kiosk_csrf", "csrf-3", "/")]
    for name, value, path in [("", "", "/"), *jars]:
        if name:
            client.cookies.set(name, value, path=path)  # the client's own jar, not an answer: no notice
        for url in urls:
            for headers in ({}, HEADERS, {"x-csrftoken": "csrf 2 "}, {"Accept": "text/html"}):
                assert wire.request_bytes(url, headers) == httpx_bytes("GET", url, None, headers)
                for form in ({}, {"amount": "12.30", "_csrf_token": "a b&c=d/\u00e9"}):
                    assert wire.post_bytes(url, form, headers) == httpx_bytes("POST", url, form, headers)
    assert b"\r\nCookie: kiosk_session=token-1; kiosk_csrf=csrf-3\r\n" in wire.request_bytes("/payments/7/progress", {})
