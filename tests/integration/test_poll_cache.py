"""Polls of the progress fragment that find nothing new are answered 304 without a body, the way a
browser revalidates (ETag + If-None-Match); any change on the server shows at the next poll."""

from __future__ import annotations

import re

from kiosk.tables import Receipt
from tests.kiosk_support import make_warehouse, post_form
from tests.payments_support import VISA, Kiosk, wait_state

HTMX = {"HX-Request": "true"}


async def test_an_unchanged_payment_is_not_sent_again_and_a_change_is(kiosk: Kiosk) -> None:
    """304 with no body while nothing changes; the approval arrives at the next poll."""
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        started = await post_form(client, f"/receipts/{receipt}/card", {"reader_id": kiosk.readers[0]})
        payment_id = int(re.search(r'id="payment-(\d+)"', started.text).group(1))  # type: ignore[union-attr]
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
        assert done.status_code == 286 and 'data-state="succeeded"' in done.text


async def test_another_warehouses_payment_is_not_found_even_with_a_tag(kiosk: Kiosk) -> None:
    """The one-query lookup still scopes the payment to the till's warehouse."""
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        started = await post_form(client, f"/receipts/{receipt}/card", {"reader_id": kiosk.readers[0]})
        payment_id = int(re.search(r'id="payment-(\d+)"', started.text).group(1))  # type: ignore[union-attr]
        etag = (await client.get(f"/payments/{payment_id}/progress", headers=HTMX)).headers["etag"]
    other = await make_warehouse("Elsewhere", "usd")
    await Receipt.update({Receipt.warehouse: other}).where(Receipt.id == receipt)
    async with kiosk.cashier() as client:
        answer = await client.get(f"/payments/{payment_id}/progress", headers={**HTMX, "If-None-Match": etag})
    assert answer.status_code == 404
