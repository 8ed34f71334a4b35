"""Chromium revalidates the polled progress fragment as the kiosk expects (kiosk/payments/poll_cache.py): it
sends the fragment's ETag back, the kiosk answers a bodiless 304 of a couple of hundred bytes with
only the short set of headers, and htmx keeps showing (and polling) the cached fragment."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import Live
from tests.e2e.pages import ReceiptPage, Till
from tests.kiosk_support import PASSWORD

pytestmark = pytest.mark.e2e
# Polls come every second; the kiosk's test timing may redraw the payment after 3 s (it then shows
# something new, which is a 200 with a new tag), so a few seconds always hold a 304.
WITHIN_SECONDS = 10.0


def test_the_browser_gets_304s_for_an_unchanged_payment(browser: Browser, live: Live, artifacts: Path) -> None:
    """What went over the network (Chromium's own record), not what the page script was handed."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    page = context.new_page()
    network = context.new_cdp_session(page)
    network.send("Network.enable")
    polls: set[str] = set()  # request ids of the progress fragment
    sent: dict[str, dict[str, str]] = {}  # request id -> the headers that went out
    answers: dict[str, dict[str, Any]] = {}  # request id -> what came back
    network.on("Network.requestWillBeSent", lambda e: _is_poll(e) and polls.add(e["requestId"]))
    network.on("Network.requestWillBeSentExtraInfo", lambda e: sent.update({e["requestId"]: _lower(e["headers"])}))
    network.on("Network.responseReceivedExtraInfo", lambda e: answers.update({e["requestId"]: e}))
    try:
        till = Till(page, "tablet", artifacts)
        till.log_in(live.kiosk.url, "cashier", PASSWORD)
        receipt = ReceiptPage(page, "tablet", artifacts).goto(live.kiosk.url, live.receipt)
        receipt.pay_by_card(live.kiosk.readers[0])
        deadline = time.monotonic() + WITHIN_SECONDS
        while time.monotonic() < deadline and not _revalidated(polls, answers):
            page.wait_for_timeout(200)
        revalidated = _revalidated(polls, answers)
        assert revalidated, [answers[i]["statusCode"] for i in polls if i in answers]
        first = revalidated[0]
        assert sent[first]["if-none-match"].startswith('W/"'), "Chromium sent the fragment's ETag back"
        headers = _lower(answers[first]["headers"])
        assert "content-security-policy" not in headers and headers["x-content-type-options"] == "nosniff"
        assert len(answers[first]["headersText"]) < 250
        assert receipt.payment().get_attribute("hx-trigger") == "every 1s"  # htmx goes on polling
    finally:
        context.close()


def _is_poll(event: dict[str, Any]) -> bool:
    return str(event["request"]["url"]).endswith("/progress")


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _revalidated(polls: set[str], answers: dict[str, dict[str, Any]]) -> list[str]:
    return [i for i in polls if i in answers and answers[i]["statusCode"] == 304]
