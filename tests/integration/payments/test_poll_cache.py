"""A running payment's fragment polls with its version in its address; a poll that finds the same
version is answered 204 without a body (htmx swaps nothing), anything new is the fragment with its
new version, and a version that is not the payment's own never passes for it."""

from __future__ import annotations

import re

import httpx

from kiosk.bench.browser import header_bytes
from kiosk.payments.tables import Payment
from kiosk.shop.tables import Receipt
from tests.kiosk_support import make_warehouse, post_form, redrawn
from tests.payments_support import INSUFFICIENT_FUNDS, VISA, Kiosk, wait_state

HTMX = {"HX-Request": "true", "Accept-Encoding": "gzip, deflate"}
# What a 204 to htmx carries: no caching, nosniff (which every answer carries), and the Vary every
# answer to htmx has; no page headers: it is no page. (Date, and Server here, come from the HTTP server.)
UNCHANGED_HEADERS = {"cache-control", "vary", "x-content-type-options"}
FROM_THE_SERVER = {"date", "server"}
METRIC = re.compile(r'^(kiosk_progress_polls_total\{answer="[a-z_]+"\}) ([0-9.e+-]+)$', re.MULTILINE)
POLL = re.compile(r'hx-get="(/payments/(\d+)/progress\?v=([A-Za-z0-9_-]{12}))" hx-trigger="every 1s"')


def poll_of(html: str) -> tuple[int, str, str]:
    """The running fragment's payment, its poll address and the version in it."""
    found = POLL.search(html)
    assert found is not None, html
    return int(found.group(2)), found.group(1), found.group(3)


async def start(kiosk: Kiosk, client: httpx.AsyncClient, reader: int = 0) -> tuple[int, str, str]:
    """The cashier starts a card payment; the receipt page that answers holds the fragment."""
    receipt = await kiosk.receipt("10.00")
    started = await post_form(
        client, f"/receipts/{receipt}/card", {"reader_id": kiosk.readers[reader]}, {"HX-Request": "true"}
    )
    assert started.status_code == 200, started.text
    return poll_of(redrawn(started))


async def test_the_first_poll_after_the_start_is_already_unchanged_and_the_approval_shows(kiosk: Kiosk) -> None:
    """The start's page carries the version: 204 with no body while nothing changes; the
    approval arrives at the next poll of the same address."""
    async with kiosk.cashier() as client:
        payment_id, url, _ = await start(kiosk, client)
        for _ in range(2):
            again = await client.get(url, headers=HTMX)
            assert again.status_code == 204 and again.content == b""
            assert again.headers["cache-control"] == "no-store"

        await kiosk.tap(kiosk.readers[0], VISA)
        await wait_state(payment_id, "succeeded")
        done = await client.get(url, headers=HTMX)
        assert done.status_code == 286  # paid: the answer is the receipt's page, in place, gzipped
        assert 'data-state="succeeded"' in redrawn(done) and done.headers["content-encoding"] == "gzip"


async def test_a_changed_payment_is_drawn_anew_with_its_new_version(kiosk: Kiosk) -> None:
    """What the fragment shows moved (Stripe says the card is being authorized): the poll that
    still carries the old version gets the new fragment and the new version, never a 204."""
    async with kiosk.cashier() as client:
        payment_id, old_url, old_version = await start(kiosk, client)
        await Payment.update({Payment.intent_status: "processing"}).where(Payment.id == payment_id)
        changed = await client.get(old_url, headers=HTMX)
        assert changed.status_code == 200 and 'data-testid="payment-headline">Processing…' in changed.text
        assert changed.headers["cache-control"] == "no-store" and "etag" not in changed.headers
        shown_id, new_url, new_version = poll_of(changed.text)
        assert shown_id == payment_id and new_version != old_version
        assert (await client.get(old_url, headers=HTMX)).status_code == 200  # the old version stays old
        assert (await client.get(new_url, headers=HTMX)).status_code == 204


async def test_a_version_not_the_payments_own_gets_the_whole_fragment(kiosk: Kiosk) -> None:
    """Another payment's version, a made-up one, none, or an empty one: the fragment, as without it."""
    async with kiosk.cashier() as client:
        first, _, _ = await start(kiosk, client, reader=0)
        second, _, theirs = await start(kiosk, client, reader=1)
        for query in (f"?v={theirs}", "?v=AAAAAAAAAAAA", "?v=", "?v=not-a-version-at-all", ""):
            answer = await client.get(f"/payments/{first}/progress{query}", headers=HTMX)
            assert answer.status_code == 200, query
            assert poll_of(answer.text)[0] == first and 'data-state="on_reader"' in answer.text
        assert second != first


async def test_another_warehouses_payment_is_not_found_even_with_its_version(kiosk: Kiosk) -> None:
    """The one-query lookup still scopes the payment to the till's warehouse."""
    async with kiosk.cashier() as client:
        payment_id, url, _ = await start(kiosk, client)
    other = await make_warehouse("Elsewhere", "usd")
    row = await Payment.objects().where(Payment.id == payment_id).first()
    assert row is not None
    await Receipt.update({Receipt.warehouse: other}).where(Receipt.id == row.receipt)
    async with kiosk.cashier() as client:
        answer = await client.get(url, headers=HTMX)
    assert answer.status_code == 404


async def test_an_unchanged_poll_is_headers_only_and_fewer_of_them(kiosk: Kiosk) -> None:
    """The 204 carries nothing but the short set; the full answer is gzipped and carries no page
    headers either (htmx swaps it into a page that has them)."""
    async with kiosk.cashier() as client:
        payment_id, url, _ = await start(kiosk, client)
        first = await client.get(f"/payments/{payment_id}/progress", headers=HTMX)
        again = await client.get(url, headers=HTMX)
    assert first.headers["content-encoding"] == "gzip" and "content-security-policy" not in first.headers
    assert [v.strip() for v in first.headers["vary"].split(",")] == ["Accept-Encoding", "HX-Request"]
    assert again.status_code == 204 and set(again.headers) - FROM_THE_SERVER == UNCHANGED_HEADERS
    assert again.headers["vary"] == "HX-Request"
    assert header_bytes(again) < 180, again.headers  # the 304 it replaces took 192 (no ETag, no Vary: Accept-Encoding)


async def test_the_204_is_the_same_whichever_path_answers_it(kiosk: Kiosk) -> None:
    """Outside htmx, or with more in the query string, the poll takes the route's usual checks
    (kiosk/payments/poll_fast_path.py answers htmx polls of the fragment's own address only): the
    same 204 and the same short set of headers."""
    async with kiosk.cashier() as client:
        _, url, _ = await start(kiosk, client)
        fast = await client.get(url, headers=HTMX)
        routed = await client.get(f"{url}&from=test", headers=HTMX)
        plain = await client.get(url)
    assert fast.status_code == routed.status_code == plain.status_code == 204
    assert set(fast.headers) - FROM_THE_SERVER == set(routed.headers) - FROM_THE_SERVER == UNCHANGED_HEADERS
    for name in UNCHANGED_HEADERS:
        assert fast.headers[name] == routed.headers[name]
    assert set(plain.headers) - FROM_THE_SERVER == UNCHANGED_HEADERS - {"vary"}  # not htmx: no HX-Request
    assert plain.content == routed.content == b""


async def test_try_again_draws_the_version_its_first_poll_finds_unchanged(kiosk: Kiosk) -> None:
    """After a decline, "Try again" answers with the card section: its fragment names the new
    attempt's version, so the next poll is a 204 as after a start."""
    async with kiosk.cashier() as client:
        payment_id, declined_url, _ = await start(kiosk, client)
        await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
        await wait_state(payment_id, "declined")
        ended = await client.get(declined_url, headers=HTMX)
        assert ended.status_code == 286 and 'data-state="declined"' in ended.text
        # Finished: no poll at all, so a tap on the panel (htmx's default trigger) fetches nothing.
        assert f"/payments/{payment_id}/progress" not in ended.text
        again = await post_form(client, f"/payments/{payment_id}/retry", {}, {"HX-Request": "true"})
        assert again.status_code == 200 and 'data-state="on_reader"' in again.text
        shown_id, url, _ = poll_of(again.text)
        assert shown_id == payment_id and url != declined_url
        assert (await client.get(url, headers=HTMX)).status_code == 204


async def test_unchanged_polls_are_counted_as_such(kiosk: Kiosk) -> None:
    """/metrics tells the operator how polls were answered: 204s as `unchanged`, by either path."""
    unchanged, rendered = (
        'kiosk_progress_polls_total{answer="unchanged"}',
        'kiosk_progress_polls_total{answer="rendered"}',
    )
    async with kiosk.cashier() as client:
        payment_id, url, _ = await start(kiosk, client)
        was = await polls_counted(client)
        assert (await client.get(url, headers=HTMX)).status_code == 204  # the fast path
        assert (await client.get(url)).status_code == 204  # the route
        assert (await client.get(f"/payments/{payment_id}/progress", headers=HTMX)).status_code == 200
        now = await polls_counted(client)
    assert now.get(unchanged, 0) - was.get(unchanged, 0) == 2
    assert now.get(rendered, 0) - was.get(rendered, 0) == 1


async def polls_counted(client: httpx.AsyncClient) -> dict[str, float]:
    scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    return {name: float(value) for name, value in METRIC.findall(scraped.text)}
