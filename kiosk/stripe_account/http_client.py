"""The SDK's HTTP client, made cheap per call: HTTP/1.1 on the event loop's own connections.

Every Stripe call of a sale passes here (create the intent, send it to the reader). The SDK's
`HTTPXClient` hands each request to `httpx.AsyncClient`, and under it httpcore's pool, anyio's
streams and h11: layers whose bookkeeping (locks, cancel scopes, a socket's attributes rebuilt to
ask whether it is readable, an event object per step) cost several times the request itself. Here
a request is one write on a kept connection (an `asyncio.Protocol`) and its answer is parsed by
httptools (the C parser uvicorn serves with); the loop tells a connection at once when Stripe
closes it, so no idle connection is ever polled. The same TLS settings (Stripe's CA bundle, or none
when the SDK says not to verify), the same timeout, connections kept for the next call as httpx
keeps them; any failure is the SDK's retryable `APIConnectionError` (`_handle_request_error`), so
the SDK's retries, idempotency keys and errors stay exactly its own. With a proxy configured it
goes through httpx as before. Every request is counted for /metrics (`call_metrics`).

A gateway belongs to one event loop (kiosk/stripe_account/gateway.py), and so do its connections.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import httptools
import httpx
import stripe

from kiosk.stripe_account.call_metrics import CountingHTTPXClient, count

# As httpx.AsyncClient's defaults (httpx.Limits()): calls in flight at once, connections kept for
# the next call, and how long an idle one is kept.
MAX_CONNECTIONS = 100
MAX_KEEPALIVE = 20
KEEPALIVE_SECONDS = 5.0


def _ssl_context(verify: bool) -> ssl.SSLContext:
    """The SDK's own choice (stripe.HTTPXClient): Stripe's CA bundle, or no verification."""
    if verify:
        return ssl.create_default_context(cafile=stripe.ca_bundle_path)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class ConnectionClosed(Exception):
    """The connection ended before the whole answer came."""


class _Connection(asyncio.Protocol):
    """One kept HTTP/1.1 connection, one request at a time; its answer parsed as it arrives."""

    def __init__(self, origin: tuple[str, str, int]) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[tuple[bytes, int, list[tuple[bytes, bytes]]]] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._headers_done = False
        self._until_close = False  # an answer without a length: its body ends with the connection
        self._keep = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport's subclasses

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def eof_received(self) -> bool:
        if self._answer is not None and self._until_close and self._headers_done:
            self._keep = False
            self._done()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionClosed("Stripe closed the connection before answering"))

    # httptools' callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers_done = True
        names = {name.lower() for name, _ in self._headers}
        self._until_close = b"content-length" not in names and b"transfer-encoding" not in names

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._keep = self._parser.should_keep_alive()
        self._done()

    # The request

    def send(self, head: bytes, body: bytes | None) -> asyncio.Future[tuple[bytes, int, list[tuple[bytes, bytes]]]]:
        assert self.transport is not None and self._answer is None
        self._answer = asyncio.get_running_loop().create_future()
        self._headers, self._body, self._headers_done, self._until_close = [], [], False, False
        self.transport.write(head + body if body else head)
        return self._answer

    @property
    def reusable(self) -> bool:
        return self._keep and not self.closed

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _done(self) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_result((b"".join(self._body), self._parser.get_status_code(), self._headers))

    def _fail(self, exc: Exception) -> None:
        self._keep = False
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_exception(exc)
        if self.transport is not None and not self.closed:
            self.close()


class LeanHTTPXClient(CountingHTTPXClient):
    """`stripe.HTTPXClient` (counted), sending on the loop's own kept connections: see the module's
    docstring."""

    def __init__(self, timeout: float, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self._seconds = timeout
        self._tls = _ssl_context(self._verify_ssl_certs)
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._slots: asyncio.Semaphore | None = None

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        if self._proxy:  # httpx knows proxies; this path does not
            return await super().request_async(method, url, headers, post_data)
        try:
            content, status, answer_headers = await self._request(method, url, headers, post_data)
        except Exception as exc:
            count(method, None)
            self._handle_request_error(exc)
        count(method, status)
        return content, status, httpx.Headers(answer_headers)

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> tuple[bytes, int, list[tuple[bytes, bytes]]]:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        if scheme not in ("http", "https") or not host:
            raise ValueError(f"not an HTTP URL: {url!r}")
        origin = (scheme, host, parts.port or (443 if scheme == "https" else 80))
        body = post_data.encode() if isinstance(post_data, str) else (post_data or b"")
        head = _head(method.upper(), parts.path or "/", parts.query, parts.netloc, headers, body)
        if self._slots is None:
            self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        async with self._slots:
            connection = self._kept(origin) or await self._connect(origin)
            try:
                async with asyncio.timeout(self._seconds):
                    answer = await connection.send(head, body)
            except BaseException:
                self._forget(connection)
                raise
            self._give_back(connection)
            return answer

    def _kept(self, origin: tuple[str, str, int]) -> _Connection | None:
        """The most recently used idle connection to `origin` still open; stale ones are closed."""
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < KEEPALIVE_SECONDS:
                return connection
            self._forget(connection)
        return None

    async def _connect(self, origin: tuple[str, str, int]) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        tls = self._tls if scheme == "https" else None
        async with asyncio.timeout(self._seconds):
            _, connection = await loop.create_connection(
                lambda: _Connection(origin), host, port, ssl=tls, server_hostname=host if tls else None
            )
        self._open.add(connection)
        return connection

    def _give_back(self, connection: _Connection) -> None:
        idle = self._idle.setdefault(connection.origin, [])
        if not connection.reusable or len(idle) >= MAX_KEEPALIVE:
            self._forget(connection)
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    def _forget(self, connection: _Connection) -> None:
        connection.close()
        self._open.discard(connection)

    async def close_async(self) -> None:
        for connection in list(self._open):
            self._forget(connection)
        self._idle.clear()
        await super().close_async()  # type: ignore[no-untyped-call]  # the SDK leaves it untyped


def _head(method: str, path: str, query: str, netloc: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """The request line and headers, as httpx sends them: `Host`, then the SDK's headers, then the
    body's length when there is a body or the method takes one."""
    target = f"{path}?{query}" if query else path
    lines = [f"{method} {target} HTTP/1.1", f"Host: {netloc}"]
    for name, value in headers.items():
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value or ":" in name:
            raise ValueError(f"invalid header {name!r}")
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode()
