"""The headers of answers, without a server: which answers get the page headers, how answers to
htmx vary, and the progress fragment's version."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from kiosk.config import Settings
from kiosk.payments import poll_cache
from kiosk.web.security_headers import DOCUMENT_HEADERS, HSTS, security_headers

HTML = (b"content-type", b"text/html; charset=utf-8")
JSON = (b"content-type", b"application/json")


def settings(demo: bool = True) -> Settings:
    return replace(Settings.from_env(), demo=demo)


async def sent(
    status: int, headers: list[tuple[bytes, bytes]], *, htmx: bool = False, demo: bool = True
) -> dict[str, str]:
    request = [(b"hx-request", b"true")] if htmx else []
    message: Any = {"type": "http.response.start", "status": status, "headers": headers}
    await security_headers(settings(demo))(message, {"type": "http", "headers": request})  # type: ignore[arg-type]
    names = [name.decode() for name, _ in message["headers"]]
    assert len(names) == len(set(names)), f"a header sent twice: {names}"
    return {name.decode(): value.decode() for name, value in message["headers"]}


def has_page_headers(headers: dict[str, str]) -> bool:
    return all(name in headers for name in DOCUMENT_HEADERS)


def has_none_of_them(headers: dict[str, str]) -> bool:
    return not any(name in headers for name in DOCUMENT_HEADERS)


async def test_a_page_and_its_error_pages_get_everything() -> None:
    for status in (200, 303, 403, 404, 500):
        headers = await sent(status, [HTML])
        assert has_page_headers(headers) and headers["x-content-type-options"] == "nosniff"


async def test_answers_to_htmx_304s_204s_and_json_get_the_short_set() -> None:
    answers = (await sent(200, [HTML], htmx=True), await sent(304, []), await sent(204, []), await sent(200, [JSON]))
    for headers in answers:
        assert has_none_of_them(headers) and headers["x-content-type-options"] == "nosniff"


async def test_answers_to_htmx_vary_on_it_once() -> None:
    assert (await sent(200, [HTML], htmx=True))["vary"] == "HX-Request"
    assert (await sent(200, [HTML, (b"vary", b"Accept-Encoding")], htmx=True))["vary"] == "Accept-Encoding, HX-Request"
    assert (await sent(304, [(b"vary", b"Accept-Encoding, HX-Request")], htmx=True))["vary"].count("HX-Request") == 1
    assert "vary" not in await sent(200, [HTML])


async def test_hsts_outside_the_demo_on_every_answer() -> None:
    for status, htmx in ((200, False), (200, True), (304, True)):
        assert (await sent(status, [HTML], htmx=htmx, demo=False))["strict-transport-security"] == HSTS
    assert "strict-transport-security" not in await sent(200, [HTML])


async def test_a_route_keeps_a_policy_of_its_own() -> None:
    own = (b"content-security-policy", b"default-src 'none'")
    assert (await sent(200, [HTML, own]))["content-security-policy"] == "default-src 'none'"


async def test_body_messages_are_left_alone() -> None:
    message: Any = {"type": "http.response.body", "body": b"x"}
    await security_headers(settings())(message, {"type": "http", "headers": []})  # type: ignore[arg-type]
    assert message == {"type": "http.response.body", "body": b"x"}


@dataclass(frozen=True)
class View:
    state: str
    headline: str


def test_the_version_follows_what_the_fragment_shows() -> None:
    version = poll_cache.version_of(View("on_reader", "Present card"))
    assert version == poll_cache.version_of(View("on_reader", "Present card"))
    assert version != poll_cache.version_of(View("on_reader", "Processing…"))
    assert poll_cache.VERSION.fullmatch(version)  # 12 characters an address carries as they are


def test_only_the_views_own_version_is_unchanged() -> None:
    own = poll_cache.version_of(View("on_reader", "Present card"))
    assert poll_cache.unchanged(own, own)
    for sent_version in (None, "", poll_cache.version_of(View("on_reader", "Processing…")), "AAAAAAAAAAAA"):
        assert not poll_cache.unchanged(sent_version, own)
