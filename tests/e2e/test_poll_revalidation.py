"""Chromium polls the running payment at the address its fragment names, version included
(kiosk/payments/poll_cache.py): from the first poll after the start the kiosk answers a bodiless 204
of little more than a hundred bytes with only the short set of headers, htmx swaps nothing and goes
on polling, the panel keeps showing the payment on its reader, and the approval then shows by itself."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Live
from tests.e2e.pages import ReceiptPage, Till, VirtualReader
from tests.kiosk_support import PASSWORD
from tests.payments_support import VISA

pytestmark = pytest.mark.e2e
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}
# Polls come every second; the kiosk's test timing may redraw the payment after 3 s (it then shows
# something new, which is a 200 with a new version), so a few seconds always hold a 204.
WITHIN_SECONDS = 10.0
VERSIONED = re.compile(r"/payments/\d+/progress\?v=[A-Za-z0-9_-]{12}$")


@pytest.mark.parametrize("size", SIZES)
def test_the_browser_gets_204s_for_an_unchanged_payment(
    browser: Browser, live: Live, artifacts: Path, size: str
) -> None:
    """What went over the network (Chromium's own record), not what the page script was handed,
    and what the cashier sees meanwhile and after the tap."""
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=size == "phone"
    )
    reader_window = browser.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    network = context.new_cdp_session(page)
    network.send("Network.enable")
    polls: dict[str, str] = {}  # request id -> the URL polled, for the progress fragment
    answers: dict[str, dict[str, Any]] = {}  # request id -> what came back
    network.on("Network.requestWillBeSent", lambda e: _is_poll(e) and polls.update({e["requestId"]: _url(e)}))
    network.on("Network.responseReceivedExtraInfo", lambda e: answers.update({e["requestId"]: e}))
    try:
        till = Till(page, size, artifacts)
        till.log_in(live.kiosk.url, "cashier", PASSWORD)
        receipt = ReceiptPage(page, size, artifacts).goto(live.kiosk.url, live.receipt)
        receipt.pay_by_card(live.kiosk.readers[0])
        deadline = time.monotonic() + WITHIN_SECONDS
        while time.monotonic() < deadline and len(_unchanged(polls, answers)) < 2:
            page.wait_for_timeout(200)
        unchanged = _unchanged(polls, answers)
        assert len(unchanged) >= 2, [answers[i]["statusCode"] for i in polls if i in answers]
        assert all(VERSIONED.search(url) for url in polls.values()), polls  # every poll names its version
        first = unchanged[0]
        headers = _lower(answers[first]["headers"])
        assert "content-security-policy" not in headers and headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store" and "etag" not in headers
        assert len(answers[first]["headersText"]) < 180  # the 304 it replaces took some 200 bytes

        # Nothing swapped, nothing lost: the panel still shows the payment on its reader, polling.
        receipt.expect_payment("on_reader")
        expect(receipt.headline()).to_have_text("Present card on Counter 1")
        expect(page.get_by_test_id("connection-lost")).to_be_hidden()
        panel = receipt.payment()
        assert panel.get_attribute("hx-trigger") == "every 1s"
        assert polls[first].endswith(str(panel.get_attribute("hx-get")))
        receipt.screenshot("poll-unchanged")

        # A lost connection is said; back, a 204 (nothing swapped) is enough to take the notice away.
        page.wait_for_load_state("load")  # the redrawn page has its scripts
        shown_version = panel.get_attribute("hx-get")
        kiosk = f"{live.kiosk.url}/**"
        page.route(kiosk, lambda route: route.abort("internetdisconnected"))
        expect(page.get_by_test_id("connection-lost")).to_be_visible()
        receipt.screenshot("poll-connection-lost")
        sent_before = set(polls)
        page.unroute(kiosk)
        expect(page.get_by_test_id("connection-lost")).to_be_hidden()
        deadline = time.monotonic() + WITHIN_SECONDS
        while time.monotonic() < deadline and not set(_unchanged(polls, answers)) - sent_before:
            page.wait_for_timeout(200)
        assert set(_unchanged(polls, answers)) - sent_before, "no 204 since the connection came back"
        assert panel.get_attribute("hx-get") == shown_version  # hidden by a 204, not by a redraw
        expect(page.get_by_test_id("connection-lost")).to_be_hidden()

        VirtualReader(reader_window.new_page(), live.kiosk.sim.url, live.kiosk.readers[0]).tap_card(VISA)
        receipt.expect_payment("succeeded")
        receipt.expect_receipt("paid")
        expect(page.get_by_test_id("payment-card")).to_have_text("Visa •••• 4242")
        receipt.screenshot("poll-then-paid")
    finally:
        context.close()
        reader_window.close()


def _url(event: dict[str, Any]) -> str:
    return str(event["request"]["url"])


def _is_poll(event: dict[str, Any]) -> bool:
    return "/progress" in _url(event)


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _unchanged(polls: dict[str, str], answers: dict[str, dict[str, Any]]) -> list[str]:
    return [i for i in polls if i in answers and answers[i]["statusCode"] == 204]
