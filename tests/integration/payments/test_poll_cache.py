"""Polls of the progress fragment that find nothing new are answered 304 without a body, the way a
browser revalidates (ETag + If-None-Match); any change on the server shows at the next poll."""

from __future__ import annotations

import httpx

from kiosk.bench.browser import header_bytes
from kiosk.shop.tables import Receipt
from tests.kiosk_support import make_warehouse, redrawn
from tests.payments_support import VISA, Kiosk, start_card, wait_state

HTMX = {"HX-Request": "true", "Accept-Encoding": "gzip, deflate"}
# What a 304 needs: the validators, the Vary of the 200 it stands for, and nosniff (which every
# answer carries); no page headers: it is no page. (Date, and Server here, come from the HTTP server.)
NOT_MODIFIED_HEADERS = {"etag", "cache-control", "vary", "x-content-type-options"}
FROM_THE_SERVER = {"date", "server"}


async def start(kiosk: Kiosk, client: httpx.AsyncClient) -> int:
    receipt = await kiosk.receipt("10.00")
    return await start_card(client, receipt, kiosk.readers[0])


async def test_an_unchanged_payment_is_not_sent_again_and_a_change_is(kiosk: Kiosk) -> None:
    """304 with no body while nothing changes; the approval arrives at the next poll."""
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        payment_id = await start_card(client, receipt, kiosk.readers[0])
        url = f"/payments/{payment_id}/progress"

        first = await client.get(url, headers=HTMX)
        etag = first.headers["etag"]
        assert first.status_code == 200 and 'data-state="on_reader"' in first.text
        assert "no-cache" in first.headers["cache-control"]

        again = await client.get(url, headers={**HTMX, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag

        await kiosk.tap(kiosk.readers[0], VISA)
        await wait_state(payment_id, "succeeded")
        done = await client.get(url, headers={**HTMX, "If-None-Match": etag})
        assert done.status_code == 286  # paid: the answer is the receipt's page, in place, gzipped
        assert 'data-state="succeeded"' in redrawn(done) and done.headers["content-encoding"] == "gzip"


async def test_another_warehouses_payment_is_not_found_even_with_a_tag(kiosk: Kiosk) -> None:
    """The one-query lookup still scopes the payment to the till's warehouse."""
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        payment_id = await start_card(client, receipt, kiosk.readers[0])
        etag = (await client.get(f"/payments/{payment_id}/progress", headers=HTMX)).headers["etag"]
    other = await make_warehouse("Elsewhere", "usd")
    await Receipt.update({Receipt.warehouse: other}).where(Receipt.id == receipt)
    async with kiosk.cashier() as client:
        answer = await client.get(f"/payments/{payment_id}/progress", headers={**HTMX, "If-None-Match": etag})
    assert answer.status_code == 404


async def test_an_unchanged_poll_is_a_couple_of_hundred_bytes(kiosk: Kiosk) -> None:
    """The 304 carries what revalidation needs and nothing else; the full answer is gzipped and
    carries no page headers either (htmx swaps it into a page that has them)."""
    async with kiosk.cashier() as client:
        url = f"/payments/{await start(kiosk, client)}/progress"
        first = await client.get(url, headers=HTMX)
        again = await client.get(url, headers={**HTMX, "If-None-Match": first.headers["etag"]})
    assert first.headers["content-encoding"] == "gzip" and "content-security-policy" not in first.headers
    assert [v.strip() for v in first.headers["vary"].split(",")] == ["Accept-Encoding", "HX-Request"]
    assert again.status_code == 304 and set(again.headers) - FROM_THE_SERVER == NOT_MODIFIED_HEADERS
    assert again.headers["vary"] == first.headers["vary"]
    assert [name for name, _ in again.headers.raw].count(b"vary") == 1
    assert header_bytes(again) < 250, again.headers


async def test_the_304_is_the_same_whichever_path_answers_it(kiosk: Kiosk) -> None:
    """Outside htmx the poll takes the route's usual checks (kiosk/payments/poll_fast_path.py answers htmx
    revalidations only): the same validators, and the same short set of headers."""
    async with kiosk.cashier() as client:
        url = f"/payments/{await start(kiosk, client)}/progress"
        etag = (await client.get(url, headers=HTMX)).headers["etag"]
        fast = await client.get(url, headers={**HTMX, "If-None-Match": etag})
        routed = await client.get(url, headers={"If-None-Match": etag})
    assert fast.status_code == routed.status_code == 304
    assert set(fast.headers) - FROM_THE_SERVER == set(routed.headers) - FROM_THE_SERVER == NOT_MODIFIED_HEADERS
    for name in ("etag", "cache-control", "x-content-type-options"):
        assert fast.headers[name] == routed.headers[name]
    assert routed.headers["vary"] == "Accept-Encoding"  # not an htmx request: no HX-Request
