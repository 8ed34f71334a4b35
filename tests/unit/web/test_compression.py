"""Answers go out gzipped when the browser accepts it and it pays, whole and readable
(kiosk/web/compression.py)."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import pytest
from litestar.config.compression import CompressionConfig

from kiosk.web.compression import STATIC_LEVEL, GzipMiddleware, gzipped

CONFIG = CompressionConfig(backend="gzip", gzip_compress_level=6, minimum_size=256)
HTML = b"<ul>" + b"".join(b'<li data-testid="line">Line %d: 12.50 $</li>' % n for n in range(40)) + b"</ul>"


def _scope(path: str = "/receipts/1", accept: bytes | None = b"gzip, deflate") -> dict[str, Any]:
    headers = [(b"host", b"kiosk")] + ([(b"accept-encoding", accept)] if accept is not None else [])
    return {"type": "http", "method": "GET", "path": path, "headers": headers}


async def _answer(
    scope: dict[str, Any], status: int, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> list[dict[str, Any]]:
    async def app(_scope: Any, _receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        for i, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    await GzipMiddleware(app, CONFIG)(scope, receive, send)  # type: ignore[arg-type]
    return sent


def _headers(start: dict[str, Any]) -> dict[bytes, bytes]:
    return dict(start["headers"])


async def test_a_page_goes_out_gzipped_and_reads_back_whole() -> None:
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", b"%d" % len(HTML))]
    start, body = await _answer(_scope(), 200, headers, [HTML])
    fields = _headers(start)
    assert fields[b"content-encoding"] == b"gzip"
    assert fields[b"vary"] == b"Accept-Encoding"
    assert int(fields[b"content-length"]) == len(body["body"]) < len(HTML)
    assert gzip.decompress(body["body"]) == HTML


async def test_vary_is_extended_not_replaced() -> None:
    headers = [(b"content-type", b"text/html"), (b"vary", b"HX-Request")]
    start, _ = await _answer(_scope(), 200, headers, [HTML])
    assert _headers(start)[b"vary"] == b"HX-Request, Accept-Encoding"


@pytest.mark.parametrize(
    ("status", "chunks", "accept"),
    [(200, [b"<p>small</p>"], b"gzip"), (304, [b""], b"gzip"), (200, [HTML], None), (200, [HTML], b"br")],
    ids=["small body", "not modified", "no accept-encoding", "gzip not accepted"],
)
async def test_what_does_not_pay_or_is_not_accepted_goes_out_untouched(
    status: int, chunks: list[bytes], accept: bytes | None
) -> None:
    headers = [(b"content-type", b"text/html"), (b"content-length", b"%d" % len(chunks[0]))]
    start, body = await _answer(_scope(accept=accept), status, headers, chunks)
    assert start["headers"] == headers
    assert body["body"] == chunks[0]


async def test_a_streamed_body_is_gzipped_piece_by_piece_without_a_length() -> None:
    pieces = [HTML[:700], HTML[700:1500], HTML[1500:]]
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(HTML))]
    start, *bodies = await _answer(_scope(), 200, headers, pieces)
    fields = _headers(start)
    assert fields[b"content-encoding"] == b"gzip"
    assert b"content-length" not in fields
    assert [b["more_body"] for b in bodies] == [True, True, False]
    assert gzip.decompress(b"".join(b["body"] for b in bodies)) == HTML


async def test_a_static_file_is_compressed_once_at_the_highest_level() -> None:
    script = b"function kiosk(){return 1}\n" * 200 + b"// static"
    headers = [(b"content-type", b"text/javascript")]
    first = await _answer(_scope("/static/kiosk.js"), 200, headers, [script])
    second = await _answer(_scope("/static/kiosk.js"), 200, headers, [bytes(script)])
    assert first[1]["body"] is second[1]["body"]  # the kept copy, not compressed again
    assert first[1]["body"] == gzipped(script, STATIC_LEVEL)
    assert gzip.decompress(first[1]["body"]) == script


def test_a_fragment_gets_the_same_bytes_as_with_zlibs_full_window() -> None:
    for body in (HTML[:300], HTML[:700], HTML[:1000]):
        full = zlib.compressobj(1, zlib.DEFLATED, 31)
        assert gzipped(body, 1) == full.compress(body) + full.flush()
