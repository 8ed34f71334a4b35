"""A virtual tablet at a till: a cashier taking one card payment after another, as the pages let them.

Each sale: open a receipt, type a quick amount (both boosted forms, answered with the page they
lead to), "+ Card", pick the till's reader (after the first sale the page offers that reader at
once: "Card $12.50 on Counter 1", one press), then watch the progress fragment the way htmx does (one
poll a second, at the address in the fragment's `hx-get`, which carries its version; a 204 keeps the
fragment shown, a 200 is swapped in with its own address; the receipt summary every 2 s while a payment runs and on the
`receipt-changed` event). The start's answer and the poll that finds the receipt paid are the
receipt page itself, put in place of the old one (HX-Retarget: body); a kiosk that answers with a
bodiless HX-Refresh instead has the page reloaded. A share of
customers tap a card that is declined; the cashier presses "Try again" and the next tap approves.
A sale ends as expected when the fragment shows it approved and the reloaded receipt says "paid".
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from dataclasses import dataclass

from kiosk.bench.browser import Answer, Browser, PageError
from kiosk.bench.customer import INSUFFICIENT_FUNDS, VISA, Customer
from kiosk.bench.metrics import Recorder
from kiosk.bench.options import BenchOptions

APPROVED = frozenset({"succeeded", "captured", "requires_capture"})
STOP_POLLING = 286
# A payment taking longer than this is abandoned by the bench (and counted as an error).
PAYMENT_PATIENCE = 60.0
# The picker refreshes itself this often (hx-trigger="every 5s"); a cashier waits a few refreshes.
PICKER_REFRESH = 5.0
PICKER_PATIENCE = 4
# Amount endings the simulated issuer declines (FACTS.md); the bench's amounts never end so.
DECLINE_ENDINGS = frozenset({1, 3, 5, 55, 65, 75})

_STATE = re.compile(r'data-testid="payment-status" data-state="([a-z_]+)"')
_PAYMENT = re.compile(r'id="payment-(\d+)"')
# The running fragment's own poll address (its version in the query string).
_POLL_URL = re.compile(r'hx-get="(/payments/\d+/progress[^"]*)"')
UNCHANGED = 204
_RECEIPT_STATE = re.compile(r'data-testid="receipt-status" data-state="([a-z_]+)"')
_RECEIPT_URL = re.compile(r"/receipts/(\d+)$")
_SHOWN = re.compile(r"/summary\?shown=([a-z_]+)")


@dataclass(frozen=True)
class Seat:
    """A till: the cashier who signs in there and the reader beside it."""

    username: str
    password: str
    reader_id: str
    location_id: str = ""  # the Stripe location of the till's shop


def poll_url_of(html: str) -> str:
    """Where htmx polls the fragment in `html` (the page, the card section or the fragment itself)."""
    found = _POLL_URL.search(html)
    if not found:
        raise PageError("no progress poll in the markup")
    return found.group(1).replace("&amp;", "&")


def state_of(html: str) -> str:
    found = _STATE.search(html)
    if not found:
        raise PageError("no payment-status in the fragment")
    return found.group(1)


class Tablet:
    def __init__(self, seat: Seat, kiosk_url: str, customer: Customer, recorder: Recorder, opts: BenchOptions) -> None:
        self.seat = seat
        self.customer = customer
        self.recorder = recorder
        self.opts = opts
        self.browser = Browser(kiosk_url, recorder)
        self.rng = random.Random(f"{opts.seed}:{seat.username}")
        self.receipt_id = 0
        self.summary_polls = False  # the summary's hx-trigger includes "every 2s"
        self.shown = "open"  # the receipt status the page's summary shows
        self.page_html = ""
        self.payment_id = 0  # the latest payment started
        self.fragment = ""  # the running payment's progress fragment as shown (or the markup holding it)

    @property
    def poll_url(self) -> str:
        """Where htmx polls the running payment's fragment now (its version included)."""
        return poll_url_of(self.fragment)

    async def sign_in(self) -> None:
        await self.browser.navigate("/login")
        fields = {"username": self.seat.username, "password": self.seat.password}
        page = await self.browser.submit("/login", fields, "login")
        if "/receipts" not in self.browser.page_url:
            raise PageError(f"{self.seat.username} did not reach the till (status {page.status})")

    async def run(self, stop: asyncio.Event) -> None:
        """Sales until `stop` is set; the first starts at a random moment so tills are not in step."""
        await self._pause(self.rng.uniform(0, self.opts.pause[1]), stop)
        while not stop.is_set():
            try:
                await asyncio.wait_for(self.sale(), PAYMENT_PATIENCE + 30)
            except PageError as exc:
                if not exc.recorded:
                    self.recorder.error(str(exc))
            except TimeoutError:
                self.recorder.error("a sale did not finish in time")
            await self._pause(self.rng.uniform(*self.opts.pause), stop)

    async def _pause(self, seconds: float, stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    async def sale(self) -> None:
        await self._follow_payment(await self.start_payment())

    async def start_payment(self) -> Answer:
        """A new receipt with a quick amount, paid by card on the till's reader (no tap yet)."""
        b = self.browser
        cents = self.rng.randrange(100, 10_000, 10)  # whole tens of cents: never a decline ending
        assert cents % 100 not in DECLINE_ENDINGS
        # New sale with the customer's amount typed beside it: the receipt opens with it (one press).
        page = await b.boost("/receipts", {"amount": f"{cents / 100:.2f}"}, "new_sale")
        found = _RECEIPT_URL.search(b.page_url)
        if not found:
            raise PageError("a new sale did not open its receipt's page")
        self.receipt_id = int(found.group(1))
        if 'data-testid="add-card"' not in page.text:
            raise PageError("the receipt offers no card tender")
        self._saw_page(page.text)
        # After its first card payment the till offers its reader at once ("Card $12.50 on Counter
        # 1"): one press, no picker. A refusal there (the reader busy) goes through the picker.
        quick = f'data-testid="card-on-reader" data-reader-id="{self.seat.reader_id}"' in page.text
        if not quick:
            await self._choose_reader()
        started, shown = await self._start()
        if quick and not _PAYMENT.search(shown):
            await self._choose_reader()
            started, shown = await self._start()
        payment = _PAYMENT.search(shown)
        if not payment or state_of(shown) != "on_reader":
            raise PageError("the payment did not reach the reader")
        self.payment_id = int(payment.group(1))
        self.fragment = shown
        return started

    async def _start(self) -> tuple[Answer, str]:
        """Start the payment on the till's reader: the answer, and what the tablet shows after it (a
        payment on its reader: the page, which shows it there; a refusal: the card section)."""
        answer = await self.browser.hx(
            "start", "POST", f"/receipts/{self.receipt_id}/card", {"reader_id": self.seat.reader_id}
        )
        return answer, self.page_html if await self._react(answer) else answer.text

    async def _choose_reader(self) -> None:
        """Open the picker; while the till's reader shows busy, wait for the picker's own refresh
        (which says so, as the page's does: `refresh=1`)."""
        url = f"/receipts/{self.receipt_id}/card/readers"
        for attempt in range(PICKER_PATIENCE):
            picker = await self.browser.hx("picker", "GET", f"{url}?refresh=1" if attempt else url)
            button = re.search(rf'<button[^>]*data-reader-id="{re.escape(self.seat.reader_id)}"[^>]*>', picker.text)
            if not button:
                raise PageError("the till's reader is not in the picker")
            self.recorder.picked_locations.add(self.seat.location_id)
            if not re.search(r"\sdisabled[\s>]", button.group(0)):
                return
            await asyncio.sleep(PICKER_REFRESH)
        raise PageError("the till's reader stayed busy in the picker")

    async def _follow_payment(self, started: Answer) -> None:
        sent_at, payment_id = started.started, self.payment_id
        summary = asyncio.create_task(self._summary_loop())
        try:
            retried = False
            if self.rng.random() < self.opts.decline_share:
                await self._attempt(payment_id, INSUFFICIENT_FUNDS, expect="declined")
                await asyncio.sleep(self.rng.uniform(0.5, 1.5))  # the cashier reads, presses "Try again"
                again = await self.browser.hx("retry", "POST", f"/payments/{payment_id}/retry")
                if state_of(again.text) != "on_reader":
                    raise PageError("try again did not send the payment to the reader")
                self.fragment = again.text
                await self._react(again)
                retried = True
            approved_at, tap_to_screen = await self._attempt(payment_id, VISA, expect="approved")
        finally:
            summary.cancel()
        self._check_paid()
        self.recorder.payment_done(approved_at, approved_at - sent_at, retried, tap_to_screen)

    async def _attempt(self, payment_id: int, card: str, expect: str) -> tuple[float, float | None]:
        """The customer taps `card` while the tablet polls; returns when the poll shows the outcome."""
        tap = asyncio.create_task(self.customer.tap(self.seat.reader_id, card, self.rng.uniform(*self.opts.tap_after)))
        deadline = time.monotonic() + PAYMENT_PATIENCE
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(self.opts.poll_interval)
                url = self.poll_url
                if not url.startswith(f"/payments/{payment_id}/"):
                    raise PageError(f"the page polls {url}, not payment {payment_id}")
                answer = await self.browser.hx("poll", "GET", url)
                if answer.header("hx-retarget") != "body":
                    # A poll's own answer; the one that closes the receipt is the receipt's page (the
                    # reload it saves), whose bytes are a page's, not the polling's.
                    self.recorder.poll(answer.started, answer.wire_bytes, answer.status == UNCHANGED)
                if answer.status == UNCHANGED:
                    continue  # nothing swapped: the fragment shown (and its address) stays
                if answer.status != STOP_POLLING:
                    state_of(answer.text)  # a running payment's fragment, as htmx swaps it in
                    self.fragment = answer.text
                    continue
                # A payment that closed the receipt: the page, which shows how it ended.
                shown = self.page_html if await self._react(answer) else answer.text
                return self._outcome(state_of(shown), expect, shown, await tap)
        finally:
            tap.cancel()
        raise PageError(f"the payment did not end within {PAYMENT_PATIENCE:.0f}s")

    def _outcome(self, state: str, expect: str, shown: str, decided: float | None) -> tuple[float, float | None]:
        seen = time.monotonic()
        if expect == "declined":
            if state != "declined" or "insufficient_funds" not in shown:
                raise PageError(f"a declined card ended {state}")
            return seen, None
        if state not in APPROVED:
            raise PageError(f"an approved card ended {state}")
        if decided is not None:
            self.recorder.tap_seen(self.seat.reader_id, decided, seen)
        return seen, None if decided is None else max(0.0, seen - decided)

    async def _react(self, answer: Answer) -> bool:
        """What htmx does with the answer: the page in place of the old one (HX-Retarget: body: the
        start of a payment, the approval that closes the receipt), a reload on HX-Refresh, else the
        summary refreshed on `receipt-changed`. True when the page was drawn anew."""
        if answer.header("hx-retarget") == "body":
            self._saw_page(answer.text)
            return True
        if answer.header("hx-refresh") == "true":
            await self._reload()
            return True
        if "receipt-changed" in answer.header("hx-trigger"):
            await self._summary()
        return False

    async def _reload(self) -> None:
        self._saw_page((await self.browser.navigate(f"/receipts/{self.receipt_id}")).text)

    async def _summary(self) -> None:
        url = f"/receipts/{self.receipt_id}/summary?shown={self.shown}"
        answer = await self.browser.hx("summary", "GET", url)
        if answer.header("hx-retarget") == "body":
            self._saw_page(answer.text)
        elif answer.header("hx-refresh") == "true":
            await self._reload()
        else:
            self._saw_summary(answer.text)

    def _saw_page(self, html: str) -> None:
        self.page_html = html
        self._saw_summary(html)

    def _saw_summary(self, html: str) -> None:
        """The summary's markup decides whether it polls (every 2 s) and what status it shows."""
        self.summary_polls = "every 2s" in html
        shown = _SHOWN.search(html)
        self.shown = shown.group(1) if shown else self.shown

    async def _summary_loop(self) -> None:
        while True:
            await asyncio.sleep(2.0)
            if self.summary_polls:
                with contextlib.suppress(PageError):  # counted by the browser; the sale goes on
                    await self._summary()

    def _check_paid(self) -> None:
        """The reload that the approval caused shows the receipt paid."""
        found = _RECEIPT_STATE.search(self.page_html)
        if not found or found.group(1) != "paid":
            raise PageError("the receipt did not show paid after its payment was approved")
