"""The bench's tablets poll a running payment as htmx does: at the address in the shown fragment's
`hx-get` (its version included), keeping what they show on a 204 and taking a 200's fragment (and
its new address); the 204s are the run's unchanged polls."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kiosk.bench.browser import Answer, Headers, PageError
from kiosk.bench.metrics import Recorder
from kiosk.bench.options import BenchOptions
from kiosk.bench.tablet import Seat, Tablet, poll_url_of


def fragment(state: str, version: str = "", payment_id: int = 7) -> str:
    poll = f'hx-get="/payments/{payment_id}/progress?v={version}" hx-trigger="every 1s"' if version else ""
    return f'<section id="payment-{payment_id}" data-testid="payment-status" data-state="{state}" {poll}>'


class Customer:
    async def tap(self, reader_id: str, card: str, after: float) -> float | None:
        return None


class Browser:
    """Answers the tablet's polls in turn, recording the addresses they went to."""

    def __init__(self, answers: list[tuple[int, str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def hx(self, kind: str, method: str, url: str, form: dict[str, str] | None = None) -> Answer:
        assert (kind, method) == ("poll", "GET")
        self.asked.append(url)
        status, text = self.answers.pop(0)
        return Answer(status, text, Headers(), 150 if status == 204 else 600, time.monotonic())


def tablet(answers: list[tuple[int, str]]) -> tuple[Tablet, Browser]:
    opts = BenchOptions(poll_interval=0.0, tap_after=(0.0, 0.0))
    recorder = Recorder()
    recorder.open(60)
    shown = Tablet(Seat("cashier", "pw", "tmr_1"), "http://kiosk", Customer(), recorder, opts)  # type: ignore[arg-type]
    browser = Browser(answers)
    shown.browser = browser  # type: ignore[assignment]
    shown.payment_id = 7
    shown.fragment = f"<main>{fragment('on_reader', 'firstVersion')}</main>"  # the start's page
    return shown, browser


async def test_polls_follow_the_fragments_address_and_keep_it_on_a_204() -> None:
    shown, browser = tablet(
        [
            (204, ""),
            (200, fragment("on_reader", "secondVersio")),
            (204, ""),
            (286, fragment("declined") + '<code data-testid="payment-code">insufficient_funds</code>'),
        ]
    )
    await shown._attempt(7, "card", expect="declined")
    first, second = "/payments/7/progress?v=firstVersion", "/payments/7/progress?v=secondVersio"
    assert browser.asked == [first, first, second, second]
    recorder: Any = shown.recorder
    assert recorder.poll_not_modified == 2 and recorder.not_modified_bytes == [150, 150]
    assert len(recorder.poll_bytes) == 4


def test_the_poll_address_is_the_running_fragments_own() -> None:
    page = '<div hx-get="/receipts/3/summary?shown=open"></div>' + fragment("on_reader", "AbCdEf012_-x")
    assert poll_url_of(page) == "/payments/7/progress?v=AbCdEf012_-x"
    with pytest.raises(PageError):
        poll_url_of('<div hx-get="/receipts/3/summary?shown=open"></div>')
