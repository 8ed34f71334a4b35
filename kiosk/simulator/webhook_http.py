"""The HTTP client that carries webhooks: one POST per attempt, on kept HTTP/1.1 connections.

Stripe's sender is no Python client; what a receiver sees is the request: the signed JSON body and
Stripe's headers. httpx spent a quarter of the simulator's CPU sending them (its pool, anyio, the
header models); plain ``http://`` endpoints (the kiosk on a test machine, tests' receivers) are
sent here instead, over asyncio streams with the response parsed by httptools (the C parser
uvicorn uses), at a fraction of the cost. ``https://`` endpoints still go through httpx (TLS, its
certificate checks). Either way an attempt ends in the status the endpoint answered, or in
``SendError`` saying why there was none (named like httpx's errors: ``ConnectError``,
``ReadTimeout``, ``RemoteProtocolError``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools
import httpx

# Drop an idle connection before a receiver's keep-alive timeout does (uvicorn's is 5 s).
KEEPALIVE_SECONDS = 4.0
READ_SIZE = 65536


class SendError(Exception):
    """No answer: the endpoint could not be reached, answered too late, or not in HTTP."""


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    host_header: bytes
    path: bytes


@dataclass
class _Answer:
    """httptools callbacks: the status, and whether the connection may serve the next request."""

    parser: httptools.HttpResponseParser | None = None
    keep_alive: bool = False
    done: bool = False

    def on_headers_complete(self) -> None:
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    def on_message_complete(self) -> None:
        self.done = True


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self, now: float) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing() and now - self.idle_since < KEEPALIVE_SECONDS


class _ClosedBeforeAnswer(Exception):
    """A kept connection the endpoint had closed: it read nothing of the request."""


@dataclass
class WebhookHttp:
    """Sends webhook POSTs; at most ``pool_size`` idle connections are kept per endpoint address."""

    pool_size: int
    timeout: float
    _idle: dict[tuple[str, int], list[_Connection]] = field(default_factory=dict)
    _targets: dict[str, _Target | None] = field(default_factory=dict)
    _httpx: httpx.AsyncClient | None = None

    async def post(self, url: str, body: bytes, headers: dict[str, str], answer_within: float) -> int:
        """The status the endpoint answered ``body`` with, within ``answer_within`` seconds."""
        target = self._target(url)
        if target is None:
            return await self._post_httpx(url, body, headers, answer_within)
        lines = [b"POST " + target.path + b" HTTP/1.1", b"Host: " + target.host_header]
        lines += [f"{name}: {value}".encode("latin-1") for name, value in headers.items()]
        lines.append(b"Content-Length: %d" % len(body))
        data = b"\r\n".join(lines) + b"\r\n\r\n" + body
        try:
            async with asyncio.timeout(answer_within):
                return await self._exchange(target, data)
        except TimeoutError:
            raise SendError("ReadTimeout: no answer within the attempt's time") from None

    def _target(self, url: str) -> _Target | None:
        """Where a plain-HTTP URL goes (remembered per URL); None for anything else."""
        if url not in self._targets:
            parts = urlsplit(url)
            target = None
            if parts.scheme == "http" and parts.hostname:
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                port = parts.port or 80
                host = parts.hostname if parts.port is None else f"{parts.hostname}:{port}"
                if ":" in parts.hostname:  # an IPv6 literal keeps its brackets in the Host header
                    host = f"[{parts.hostname}]" + ("" if parts.port is None else f":{port}")
                target = _Target(parts.hostname, port, host.encode("idna"), path.encode())
            self._targets[url] = target
        return self._targets[url]

    async def _exchange(self, target: _Target, data: bytes) -> int:
        connection, reused = await self._connection(target)
        try:
            return await self._round_trip(target, connection, data)
        except _ClosedBeforeAnswer:
            if not reused:
                raise SendError("RemoteProtocolError: the endpoint closed the connection without an answer") from None
        connection, _ = await self._connection(target, fresh=True)
        try:
            return await self._round_trip(target, connection, data)
        except _ClosedBeforeAnswer:
            raise SendError("RemoteProtocolError: the endpoint closed the connection without an answer") from None

    async def _connection(self, target: _Target, fresh: bool = False) -> tuple[_Connection, bool]:
        now = asyncio.get_running_loop().time()
        idle = self._idle.get((target.host, target.port), [])
        while idle and not fresh:
            kept = idle.pop()
            if kept.usable(now):
                return kept, True
            kept.writer.close()
        try:
            reader, writer = await asyncio.open_connection(target.host, target.port)
        except OSError as exc:
            raise SendError(f"ConnectError: {exc}") from exc
        return _Connection(reader, writer), False

    async def _round_trip(self, target: _Target, connection: _Connection, data: bytes) -> int:
        answer = _Answer()
        parser = answer.parser = httptools.HttpResponseParser(answer)
        received = 0
        try:
            connection.writer.write(data)
            while not answer.done:
                chunk = await connection.reader.read(READ_SIZE)
                if not chunk:
                    if received == 0:
                        raise _ClosedBeforeAnswer()
                    raise SendError("RemoteProtocolError: the answer was cut short")
                received += len(chunk)
                parser.feed_data(chunk)
        except httptools.HttpParserError as exc:
            connection.writer.close()
            raise SendError(f"RemoteProtocolError: {exc}") from exc
        except OSError as exc:
            connection.writer.close()
            if received == 0:
                raise _ClosedBeforeAnswer() from exc
            raise SendError(f"ReadError: {exc}") from exc
        except BaseException:  # cut short (a timeout, the simulator stopping): never reused
            connection.writer.close()
            raise
        idle = self._idle.setdefault((target.host, target.port), [])
        if answer.keep_alive and len(idle) < self.pool_size:
            connection.idle_since = asyncio.get_running_loop().time()
            idle.append(connection)
        else:
            connection.writer.close()
        return int(parser.get_status_code())

    async def _post_httpx(self, url: str, body: bytes, headers: dict[str, str], answer_within: float) -> int:
        if self._httpx is None:
            # trust_env off: an HTTP proxy from the environment must not swallow loopback deliveries.
            limits = httpx.Limits(max_connections=self.pool_size, max_keepalive_connections=self.pool_size)
            self._httpx = httpx.AsyncClient(timeout=self.timeout, limits=limits, trust_env=False)
        try:
            response = await self._httpx.post(url, content=body, headers=headers, timeout=answer_within)
        except httpx.HTTPError as exc:
            raise SendError(f"{type(exc).__name__}: {exc}") from exc
        return response.status_code

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.writer.close()
        self._idle.clear()
        if self._httpx is not None:
            await self._httpx.aclose()
            self._httpx = None
