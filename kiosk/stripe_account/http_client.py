"""The SDK's HTTP client, made cheaper per call: its own httpx client's work without httpx's client layer.

Every Stripe call of a sale passes here (create the intent, send it to the reader). The SDK's
`HTTPXClient` hands each request to `httpx.AsyncClient`, whose client layer (URL and request models,
cookies, auth and redirect flows, event hooks, response decoding) costs more CPU than the request
itself. Underneath, httpx sends over httpcore's connection pool; this client sends there directly,
with the same TLS settings (Stripe's CA bundle, or none when the SDK says not to verify), timeouts,
pool limits and error handling (any failure is the SDK's retryable `APIConnectionError`), so the
SDK's retries, idempotency keys and errors stay exactly its own. With a proxy configured it goes
through httpx as before. Every request is counted for /metrics (`call_metrics`).
"""

# httpcore's stream and backend interfaces take `timeout` arguments: its signatures are kept.
# ruff: noqa: ASYNC109

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from typing import Any

import httpcore
import httpx
import stripe

from kiosk.stripe_account.call_metrics import CountingHTTPXClient, count

# As httpx.AsyncClient's defaults (httpx.Limits()): connections kept for the next call.
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


class _OneWrite(httpcore.AsyncNetworkStream):
    """A connection's stream that sends a request's head and body in one write: what httpcore writes
    is held until it reads the answer (one system call, and one packet to wake Stripe's side, not two)."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._held = b""
        self._timeout: float | None = None

    async def _flush(self) -> None:
        if self._held:
            data, self._held = self._held, b""
            await self._stream.write(data, self._timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._held += buffer
        self._timeout = timeout

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        await self._flush()
        return await self._stream.read(max_bytes, timeout)

    async def aclose(self) -> None:
        self._held = b""
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        await self._flush()
        return _OneWrite(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _OneWriteBackend(httpcore.AsyncNetworkBackend):
    """httpcore's asyncio backend, its streams writing once per request (`_OneWrite`)."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _OneWrite(await self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _OneWrite(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class LeanHTTPXClient(CountingHTTPXClient):
    """`stripe.HTTPXClient` (counted), sending on httpcore's pool: see the module's docstring."""

    def __init__(self, timeout: float, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(self._verify_ssl_certs),
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_KEEPALIVE,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=_OneWriteBackend(),
        )
        self._extensions = {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout)}

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        if self._proxy:  # httpx knows proxies; this path does not
            return await super().request_async(method, url, headers, post_data)
        body = post_data.encode() if isinstance(post_data, str) else (post_data or b"")
        # As httpx sends it: a body (its length) when there is one or the method takes one.
        content = body if body or method.lower() in ("post", "put", "patch") else None
        try:
            response = await self._pool.request(
                method.upper(),
                url,
                headers=[(name.encode("ascii"), value.encode()) for name, value in headers.items()],
                content=content,
                extensions=self._extensions,
            )
        except Exception as exc:
            count(method, None)
            self._handle_request_error(exc)
        count(method, response.status)
        return response.content, response.status, httpx.Headers(response.headers)

    async def close_async(self) -> None:
        await self._pool.aclose()
        await super().close_async()  # type: ignore[no-untyped-call]  # the SDK leaves it untyped
