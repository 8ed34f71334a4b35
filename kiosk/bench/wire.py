"""A tablet's GET requests on plain keep-alive connections: the bench's own load must stay cheap.

httpx spends about a millisecond of the bench's CPU on every request, twice what the kiosk spends
answering a poll; with hundreds of tablets on the same two cores the load generator then delays the
answers it measures. The GETs (page loads, fragment polls, assets) go out here instead: the same
request bytes httpx would send (request line, its default headers in its order, the request's own
headers, the Cookie header of its jar: httpx builds them; tests/integration/test_bench_wire.py compares
the bytes), on at most six connections per tablet like a browser, parsed by httptools (the C parser
uvicorn uses). Form posts too: httpx builds their bytes (its form encoding, its headers), this
module sends them. Cookies that answers set go into the httpx jar, which builds every request.
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from dataclasses import dataclass, field
from http.cookiejar import Cookie
from typing import Any
from urllib.parse import urlencode

import httptools
import httpx

# A browser opens at most this many connections to one host.
MAX_CONNECTIONS = 6
# Drop an idle connection before the server does (uvicorn closes idle ones after 5 s), as httpx does.
KEEPALIVE_SECONDS = 4.0
TIMEOUT_SECONDS = 30.0
READ_SIZE = 65536
CACHED_REQUESTS = 64
# A path (and query) httpx sends as it is: no escapes to normalize, no dot segments, nothing to quote.
_PLAIN_TARGET = re.compile(r"/[A-Za-z0-9/_.~=&?-]*")


class WireError(Exception):
    """The connection failed or the answer could not be read."""


class _ClosedBeforeAnswer(Exception):
    """The server had closed a kept connection: nothing of an answer arrived."""


@dataclass
class RawAnswer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes  # decoded (gzip, deflate)
    wire_bytes: int  # status line, headers and body as they came over the connection


@dataclass
class _Parse:
    """httptools callbacks: collect one response."""

    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    parser: httptools.HttpResponseParser | None = None
    keep_alive: bool = False
    done: bool = False

    def on_headers_complete(self) -> None:
        # Asked here: once the message is complete the parser is ready for the next one.
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.done = True


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self, now: float) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing() and now - self.idle_since < KEEPALIVE_SECONDS

    def close(self) -> None:
        self.writer.close()


def _decoded(body: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    encoding = next((v.strip().lower() for n, v in headers if n.lower() == b"content-encoding"), b"identity")
    if encoding == b"gzip":
        return zlib.decompress(body, wbits=zlib.MAX_WBITS | 16)
    if encoding == b"deflate":
        return zlib.decompress(body)
    if encoding != b"identity":
        raise WireError(f"unexpected content-encoding {encoding!r}")
    return body


class Wire:
    """The GET side of one tablet's browser, sharing `client`'s default headers and cookie jar."""

    def __init__(self, client: httpx.AsyncClient, max_connections: int = MAX_CONNECTIONS) -> None:
        self.client = client
        url = client.base_url
        self.host, self.port = str(url.host), url.port or 80
        self.idle: list[_Connection] = []
        self.slots = asyncio.Semaphore(max_connections)
        # Per URL, what httpx puts around a request's own headers: its path, Host and default
        # headers before them, the Cookie header of its jar after them (httpx's merge of headers
        # and cookies costs a third of a millisecond a request); forgotten whenever the cookie jar
        # may have changed. One frame serves every plain path outside the paths of narrower
        # cookies (the kiosk's URLs name a new receipt and payment at every sale).
        self._frames: dict[str, tuple[bytes, bytes, bytes]] = {}
        self._site: tuple[bytes, bytes, float] | None = None  # (before, Cookie line, valid until)
        self._held: tuple[Any, ...] = ()  # the jar's cookies the frames were made with
        self._plain_base = client.base_url.raw_path == b"/"
        self._defaults = frozenset(name.lower() for name in client.headers) | {"host", "cookie"}

    def cookies_changed(self) -> None:
        self._frames.clear()
        self._site = None

    def _site_frame(self, jar: list[Cookie], target: str) -> tuple[bytes, bytes, float] | None:
        """The frame of "/" when it is also ``target``'s: the cookie jar sends the cookies of path
        "/" to any path of the host, in the same order, and a cookie of a narrower path (the
        login page's) to neither, as long as ``target`` is not under that path; until the first
        cookie expires."""
        path = target.partition("?")[0]
        if any(c.path != "/" and path.startswith(c.path) for c in jar):
            return None
        if self._site is None or time.time() >= self._site[2]:
            _, before, cookie = self._frame("/", cached=False)
            until = min((float(c.expires) for c in jar if c.expires is not None), default=float("inf"))
            self._site = (before, cookie, until)
        return self._site

    def _frame(self, target: str, cached: bool = True) -> tuple[bytes, bytes, bytes]:
        """(the path as httpx sends it, the header lines before the request's own, the Cookie line)."""
        if cached:
            jar = list(self.client.cookies.jar)
            held = tuple((c.name, c.value, c.domain, c.path, c.secure, c.expires) for c in jar)
            if held != self._held:  # the jar changed (an answer set a cookie, or the client did)
                self.cookies_changed()
                self._held = held
            if self._plain_base and _PLAIN_TARGET.fullmatch(target) and "/." not in target:
                site = self._site_frame(jar, target)
                if site is not None:
                    return target.encode(), site[0], site[1]
        frame = self._frames.get(target) if cached else None
        if frame is None:
            if len(self._frames) >= CACHED_REQUESTS:
                self._frames.clear()
            request = self.client.build_request("GET", target)
            raw = request.headers.raw
            cookie = b"".join(b"\r\n" + name + b": " + value for name, value in raw if name.lower() == b"cookie")
            before = b"".join(b"\r\n" + name + b": " + value for name, value in raw if name.lower() != b"cookie")
            frame = (request.url.raw_path, before, cookie)
            if cached:
                self._frames[target] = frame
        return frame

    def _own(self, headers: dict[str, str]) -> bytes | None:
        """The request's own header lines as httpx encodes them; None when httpx would merge one
        into its defaults (then httpx builds the request)."""
        lines = []
        for name, value in headers.items():
            if name.lower() in self._defaults or not (name.isascii() and value.isascii()):
                return None
            lines.append(f"\r\n{name}: {value}")
        return "".join(lines).encode("ascii")

    def request_bytes(self, target: str, headers: dict[str, str]) -> bytes:
        """What httpx sends for this GET: the request line, Host, its default headers, the
        request's own headers, then the Cookie header of its jar."""
        own = self._own(headers)
        if own is None:
            request = self.client.build_request("GET", target, headers=headers)
            lines = [b"GET " + request.url.raw_path + b" HTTP/1.1"]
            lines += [name + b": " + value for name, value in request.headers.raw]
            return b"\r\n".join(lines) + b"\r\n\r\n"
        path, before, cookie = self._frame(target)
        return b"GET " + path + b" HTTP/1.1" + before + own + cookie + b"\r\n\r\n"

    async def get(self, target: str, headers: dict[str, str]) -> RawAnswer:
        return await self._send("GET", target, self.request_bytes(target, headers))

    def post_bytes(self, target: str, form: dict[str, str], headers: dict[str, str]) -> bytes:
        """What httpx sends for this form post: as a GET, then its Content-Length and Content-Type
        after the Cookie header, and the form urlencoded as httpx encodes it (an empty form, a
        header of httpx's own or a value that is no string: httpx builds it)."""
        own = self._own(headers)
        if own is None or not form or not all(type(value) is str for value in form.values()):
            request = self.client.build_request("POST", target, data=form, headers=headers)
            lines = [b"POST " + request.url.raw_path + b" HTTP/1.1"]
            lines += [name + b": " + value for name, value in request.headers.raw]
            return b"\r\n".join(lines) + b"\r\n\r\n" + request.read()
        path, before, cookie = self._frame(target)
        body = urlencode(form).encode()
        length = b"\r\nContent-Length: %d\r\nContent-Type: application/x-www-form-urlencoded" % len(body)
        return b"POST " + path + b" HTTP/1.1" + before + own + cookie + length + b"\r\n\r\n" + body

    async def post(self, target: str, form: dict[str, str], headers: dict[str, str]) -> RawAnswer:
        """A form post: the bytes httpx would send for it (body included), sent on these connections."""
        return await self._send("POST", target, self.post_bytes(target, form, headers))

    async def _send(self, method: str, target: str, data: bytes) -> RawAnswer:
        async with self.slots:
            try:
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    answer = await self._exchange(data)
            except (OSError, TimeoutError, httptools.HttpParserError, zlib.error) as exc:
                raise WireError(f"{type(exc).__name__} on {method} {target}") from exc
        if any(name.lower() == b"set-cookie" for name, _ in answer.headers):
            self._keep_cookies(method, target, answer)
        return answer

    async def _exchange(self, data: bytes) -> RawAnswer:
        """One request and its answer; a kept connection the server closed meanwhile is replaced
        once. Browsers send a request again in that case, a post too: a connection closed before
        one byte of an answer is one the server closed while idle, without reading the request."""
        connection, reused = await self._connection()
        try:
            return await self._round_trip(connection, data)
        except _ClosedBeforeAnswer:
            if not reused:
                raise WireError("the server closed the connection without an answer") from None
            connection, _ = await self._connection(fresh=True)
            return await self._round_trip(connection, data)

    async def _connection(self, fresh: bool = False) -> tuple[_Connection, bool]:
        loop = asyncio.get_running_loop()
        while self.idle and not fresh:
            kept = self.idle.pop()
            if kept.usable(loop.time()):
                return kept, True
            kept.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Connection(reader, writer), False

    async def _round_trip(self, connection: _Connection, data: bytes) -> RawAnswer:
        parse = _Parse()
        parser = parse.parser = httptools.HttpResponseParser(parse)
        connection.writer.write(data)
        received = 0
        try:
            while not parse.done:
                chunk = await connection.reader.read(READ_SIZE)
                if not chunk:
                    raise _ClosedBeforeAnswer() if received == 0 else WireError("the answer was cut short")
                received += len(chunk)
                parser.feed_data(chunk)
        except BaseException:
            connection.close()
            raise
        if parse.keep_alive:
            connection.idle_since = asyncio.get_running_loop().time()
            self.idle.append(connection)
        else:
            connection.close()
        body = _decoded(b"".join(parse.chunks), parse.headers)
        return RawAnswer(parser.get_status_code(), parse.headers, body, received)

    def _keep_cookies(self, method: str, target: str, answer: RawAnswer) -> None:
        request = httpx.Request(method, self.client.base_url.join(target))
        self.client.cookies.extract_cookies(httpx.Response(answer.status, headers=answer.headers, request=request))
        self.cookies_changed()

    async def aclose(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()
