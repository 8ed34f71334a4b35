"""Gzip for pages, fragments and static files, at the cost each deserves.

Litestar's CompressionMiddleware (whose place in the stack this takes, through
`CompressionConfig.middleware_class`) builds a GzipFile for every request, answered with a body or
not, and compresses every body at one level. What it cost, measured per answer (CPU, this machine):
- zlib's default state (32 KB window, 32 K hash heads) is allocated and cleared for each answer:
  ~28 us even for a 700-byte fragment, more than compressing it. A window and hash table sized to
  the body give a fragment the very same bytes at ~6 us (a 13 KB page 11 bytes more, 8 us less);
- a 13 KB receipt page: level 6 ~160 us and 3,048 bytes, level 1 ~75 us and 3,565 bytes. Pages
  and fragments are made for one answer: level 1 (`DYNAMIC_LEVEL`);
- static files are the same bytes for every tablet: compressed once at level 9 and kept
  (`STATIC_LEVEL`, `StaticCache`), keyed by the file's bytes themselves, so a changed file is
  compressed anew.

Otherwise as Litestar does it: only for clients that accept gzip; a body sent in one piece from
`minimum_size` bytes on (Content-Length set to the compressed size), a streamed body always (no
Content-Length); `Content-Encoding: gzip` and `Vary: Accept-Encoding` on what is compressed;
everything else (small bodies, 304s, empty answers) goes out untouched.
"""

from __future__ import annotations

import zlib
from typing import Any

from litestar.config.compression import CompressionConfig
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

DYNAMIC_LEVEL = 1
STATIC_LEVEL = 9
STATIC_PREFIX = "/static/"
# gzip's own framing (windowBits 16 + 9..15); the window is sized to the body, as zlib allows.
_GZIP = 16
_MIN_WINDOW_BITS, _MAX_WINDOW_BITS = 9, 15

Headers = list[tuple[bytes, bytes]]


def gzipped(body: bytes, level: int) -> bytes:
    """`body` as one gzip member, with a window and hash table sized to it (for a fragment the same
    output as zlib's full state, without allocating and clearing what it would never use)."""
    bits = min(_MAX_WINDOW_BITS, max(_MIN_WINDOW_BITS, (len(body) - 1).bit_length()))
    compressor = zlib.compressobj(level, zlib.DEFLATED, _GZIP + bits, max(1, min(8, bits - 7)))
    return compressor.compress(body) + compressor.flush()


class StaticCache:
    """Compressed static files, keyed by their bytes (a few files of the kiosk's own)."""

    def __init__(self, max_bytes: int = 4 << 20) -> None:
        self.max_bytes = max_bytes
        self._entries: dict[bytes, bytes] = {}
        self._size = 0

    def gzipped(self, body: bytes) -> bytes:
        found = self._entries.get(body)
        if found is not None:
            return found
        packed = gzipped(body, STATIC_LEVEL)
        if self._size + len(body) + len(packed) > self.max_bytes:
            self._entries.clear()
            self._size = 0
        self._entries[body] = packed
        self._size += len(body) + len(packed)
        return packed


def accepts_gzip(scope: Scope) -> bool:
    return any(name == b"accept-encoding" and b"gzip" in value for name, value in scope["headers"])


def _compressed_headers(headers: Any, length: int | None) -> Headers:
    """The start's headers for a gzip body: Content-Encoding, Vary extended, Content-Length the
    compressed one (or none for a stream)."""
    out: Headers = []
    vary = False
    for name, value in headers:
        lower = name.lower()
        if lower in (b"content-length", b"content-encoding"):
            continue
        if lower == b"vary":
            vary = True
            value = value if b"accept-encoding" in value.lower() else value + b", Accept-Encoding"
        out.append((name, value))
    out.append((b"content-encoding", b"gzip"))
    if length is not None:
        out.append((b"content-length", str(length).encode()))
    if not vary:
        out.append((b"vary", b"Accept-Encoding"))
    return out


class GzipMiddleware:
    """The route stack's compression (`CompressionConfig(middleware_class=GzipMiddleware)`)."""

    static = StaticCache()

    def __init__(self, app: ASGIApp, config: CompressionConfig) -> None:
        self.app = app
        self.minimum_size = config.minimum_size
        self.stream_level = config.gzip_compress_level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not accepts_gzip(scope):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _GzipSend(send, self, scope["path"].startswith(STATIC_PREFIX)).send)


class _GzipSend:
    """One answer's `send`: the start held until the first body says how the answer goes out."""

    __slots__ = ("_middleware", "_send", "_start", "_static", "_stream")

    def __init__(self, send: Send, middleware: GzipMiddleware, static: bool) -> None:
        self._send = send
        self._middleware = middleware
        self._static = static
        self._start: Any = None
        self._stream: Any = None  # the compressor of a streamed body

    async def send(self, message: Any) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self._start = message
        elif kind == "http.response.body" and self._stream is not None:
            more = bool(message.get("more_body"))
            body = self._stream.compress(message.get("body", b""))
            message["body"] = body + self._stream.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)
            await self._send(message)
        elif kind == "http.response.body" and self._start is not None:
            start, self._start = self._start, None
            await self._first_body(start, message)
        elif kind != "http.disconnect":
            await self._send(message)

    async def _first_body(self, start: Any, message: Any) -> None:
        body: bytes = message.get("body", b"")
        headers = start.get("headers", ())
        if message.get("more_body"):
            self._stream = zlib.compressobj(self._middleware.stream_level, zlib.DEFLATED, _GZIP + _MAX_WINDOW_BITS)
            start["headers"] = _compressed_headers(headers, None)
            message["body"] = self._stream.compress(body) + self._stream.flush(zlib.Z_SYNC_FLUSH)
        elif len(body) >= self._middleware.minimum_size:
            body = self._middleware.static.gzipped(body) if self._static else gzipped(body, DYNAMIC_LEVEL)
            start["headers"] = _compressed_headers(headers, len(body))
            message["body"] = body
        await self._send(start)
        await self._send(message)
