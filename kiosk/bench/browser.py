"""A tablet's browser as the kiosk's pages drive it: cookies, form posts with the CSRF field, htmx
requests with the CSRF header. It keeps no HTTP cache: the pages and fragments a sale asks for all
say `no-store` (the progress poll's "nothing changed" is a bodiless 204, which htmx does not swap:
the tablet keeps what it shows, kiosk/bench/tablet.py). Requests are built by httpx (its headers,
cookie jar and form encoding) and sent through kiosk/bench/wire.py: the same requests at a
twentieth of the bench's CPU.
"""

from __future__ import annotations

import re
import ssl
import time
from dataclasses import dataclass

import httpx

from kiosk.bench.metrics import Recorder
from kiosk.bench.wire import Wire, WireError

# What a tablet's browser accepts; the bench decodes gzip and deflate (no brotli decoder needed).
ACCEPT_ENCODING = "gzip, deflate"
OK_STATUSES = frozenset({200, 204, 286, 303})
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# One TLS context for every tablet's client (the kiosk is plain HTTP, httpx makes one anyway):
# loading the system's certificates took 25 ms of the bench's CPU per tablet signed in.
_TLS = ssl.create_default_context()


class PageError(Exception):
    """A request the tablet could not use (non-2xx, connection failure, unexpected markup).

    `recorded`: the browser already counted it among the run's errors."""

    def __init__(self, message: str, recorded: bool = False) -> None:
        super().__init__(message)
        self.recorded = recorded


class Headers(dict[str, str]):
    """An answer's headers by lower-case name, repeated ones joined by ", " as httpx.Headers.get
    does (building an httpx.Headers cost the bench more than reading the answer)."""

    @classmethod
    def of(cls, raw: list[tuple[bytes, bytes]]) -> Headers:
        headers = cls()
        for name, value in raw:
            key, text = name.decode("latin-1").lower(), value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        return headers


@dataclass
class Answer:
    status: int
    text: str
    headers: Headers
    wire_bytes: int  # status line + headers + body as sent (compressed)
    started: float

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class _Reply:
    status: int
    headers: Headers
    text: str
    wire_bytes: int


def header_bytes(response: httpx.Response) -> int:
    status_line = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n")
    return status_line + sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 2


class Browser:
    """One tablet's browser on the kiosk: its own connections and cookies."""

    def __init__(self, base_url: str, recorder: Recorder) -> None:
        self.recorder = recorder
        self.client = httpx.AsyncClient(
            base_url=base_url,
            trust_env=False,
            verify=_TLS,
            timeout=30.0,
            follow_redirects=False,
            headers={"Accept-Encoding": ACCEPT_ENCODING, "User-Agent": "kiosk-bench tablet"},
            limits=httpx.Limits(max_connections=6, max_keepalive_connections=6),
        )
        self.wire = Wire(self.client)
        self.csrf = ""
        self.page_url = "/"
        self._current = ("", "")  # (page_url, its absolute URL)

    def _current_url(self) -> str:
        """The page's absolute URL (htmx's HX-Current-URL), joined once per page."""
        if self._current[0] != self.page_url:
            self._current = (self.page_url, str(self.client.base_url.join(self.page_url)))
        return self._current[1]

    async def aclose(self) -> None:
        await self.wire.aclose()
        await self.client.aclose()

    async def fetch(
        self,
        kind: str,
        method: str,
        url: str,
        *,
        form: dict[str, str] | None = None,
        htmx: bool = False,
        boosted: bool = False,
    ) -> Answer:
        headers: dict[str, str] = {}
        if htmx:
            headers = {"HX-Request": "true", "HX-Current-URL": self._current_url()}
            if boosted:
                headers["HX-Boosted"] = "true"
            if method != "GET":
                headers["x-csrftoken"] = self.csrf
        started = time.monotonic()
        try:
            reply = await self._send(method, url, form, headers)
        except (httpx.HTTPError, WireError) as exc:
            # The cause's name too (a timeout, a refused or reset connection): what the server did.
            cause = f" ({type(exc.__cause__).__name__})" if exc.__cause__ is not None else ""
            self.recorder.error(f"{type(exc).__name__}{cause} on {kind}", started)
            raise PageError(f"{method} {url}: {type(exc).__name__}", recorded=True) from exc
        self.recorder.request(kind, started, time.monotonic() - started)
        if reply.status not in OK_STATUSES:
            self.recorder.http_error(kind, reply.status, started)
            raise PageError(f"{method} {url} answered {reply.status}", recorded=True)
        return Answer(reply.status, reply.text, reply.headers, reply.wire_bytes, started)

    async def _send(self, method: str, url: str, form: dict[str, str] | None, headers: dict[str, str]) -> _Reply:
        if method == "GET":
            raw = await self.wire.get(url, headers)
        else:
            raw = await self.wire.post(url, form or {}, headers)
        # The kiosk's pages and fragments are UTF-8 (and say so).
        text = raw.body.decode("utf-8", errors="replace")
        return _Reply(raw.status, Headers.of(raw.headers), text, raw.wire_bytes)

    async def navigate(self, url: str, kind: str = "page") -> Answer:
        """A full page load (following redirects as the browser does); the page's CSRF token is kept."""
        for _ in range(5):
            answer = await self.fetch(kind, "GET", url)
            if answer.status != 303:
                break
            url = answer.header("location")
        self.page_url = url
        found = _CSRF.search(answer.text)
        if found:
            self.csrf = found.group(1)
        return answer

    async def submit(self, url: str, fields: dict[str, str], kind: str) -> Answer:
        """A plain form post (with the page's hidden CSRF field); a 303 leads to the next page."""
        return await self._post_form(url, fields, kind)

    async def boost(self, url: str, fields: dict[str, str], kind: str) -> Answer:
        """A form htmx sends for the page (hx-boost), with the hidden CSRF field and htmx's header: its
        answer is the page it leads to, at the address HX-Push-Url or HX-Replace-Url names (a 303 from
        a kiosk that answers so is followed, as the browser would)."""
        answer = await self._post_form(url, fields, kind, htmx=True, boosted=True)
        address = answer.header("hx-push-url") or answer.header("hx-replace-url")
        if address and address != "false":
            self.page_url = address
        return answer

    async def _post_form(self, url: str, fields: dict[str, str], kind: str, **options: bool) -> Answer:
        """A form posted with the page's CSRF field; a 303 is followed to the page it names."""
        token = self.csrf or str(self.client.cookies.get("kiosk_csrf", ""))
        answer = await self.fetch(kind, "POST", url, form={**fields, "_csrf_token": token}, **options)
        if answer.status == 303:
            return await self.navigate(answer.header("location"))
        return answer

    async def hx(self, kind: str, method: str, url: str, form: dict[str, str] | None = None) -> Answer:
        return await self.fetch(kind, method, url, form=form, htmx=True)
