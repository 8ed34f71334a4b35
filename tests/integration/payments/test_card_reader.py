"""The till's card reader over HTTP (kiosk/payments/card_reader.py): after a payment on a reader, the
till's next receipts offer that reader at once, one press, beside "Other reader…"."""

from __future__ import annotations

import re

import httpx

from kiosk.payments.card_reader import COOKIE, cookie_value
from tests.kiosk_support import make_warehouse, post_form
from tests.payments_support import Kiosk, start_card, wait_state, wait_until

HTMX = {"HX-Request": "true"}


def quick_button(html: str) -> str | None:
    """The "Card … on <reader>" button's markup, if the page offers one."""
    found = re.search(r'<button[^>]*data-testid="card-on-reader"[^>]*>[^<]*</button>', html)
    return found.group(0) if found else None


async def _paid(kiosk: Kiosk, client: httpx.AsyncClient, payment_id: int, reader: str) -> None:
    await kiosk.tap(reader)

    async def settled() -> bool | None:
        answer = await client.get(f"/payments/{payment_id}/progress", headers=HTMX)
        return True if answer.status_code == 286 else None

    await wait_until(settled, what="the payment approved")


async def test_the_next_receipt_offers_the_reader_the_till_last_used(kiosk: Kiosk) -> None:
    first, second = await kiosk.receipt("10.00"), await kiosk.receipt("7.00")
    async with kiosk.cashier() as client:
        page = await client.get(f"/receipts/{first}")
        assert quick_button(page.text) is None  # a till that never took a card: "+ Card" and the picker
        assert re.search(r'data-testid="add-card"[^>]*>\+ Card \$10\.00<', page.text)
        paid_first = await start_card(client, first, kiosk.readers[1])  # chosen in the picker
        assert COOKIE in client.cookies
        await _paid(kiosk, client, paid_first, kiosk.readers[1])

        page = await client.get(f"/receipts/{second}")
        button = quick_button(page.text)
        assert button is not None and f'data-reader-id="{kiosk.readers[1]}"' in button
        assert button.endswith(">Card $7.00 on Counter 2</button>")
        assert f'hx-post="/receipts/{second}/card"' in button
        assert re.search(r'data-testid="add-card"[^>]*>Other reader…<', page.text)  # the picker, still there
        # The phone's bottom bar starts it there too, in one press.
        bar = re.search(r'<button[^>]*data-testid="bar-card"[^>]*>[^<]*</button>', page.text)
        assert bar is not None and f'hx-post="/receipts/{second}/card"' in bar.group(0)
        assert bar.group(0).endswith(">Card on Counter 2</button>")

        # The press: the button's own form values, as htmx sends them.
        values = dict(re.findall(r'"(\w+)": "([^"]+)"', re.search(r"hx-vals='([^']+)'", button).group(1)))  # type: ignore[union-attr]
        started = await post_form(client, f"/receipts/{second}/card", values, HTMX)
        assert started.status_code == 200
        assert "Present card on Counter 2" in started.text and "$7.00" in started.text
        assert COOKIE not in started.headers.get("set-cookie", "")  # the same reader: nothing to remember anew
        payment = await wait_state(int(re.search(r'id="payment-(\d+)"', started.text).group(1)), "on_reader")  # type: ignore[union-attr]
        assert payment.reader_id == kiosk.readers[1]
        await _paid(kiosk, client, payment.id, kiosk.readers[1])
    first_done, done = await wait_state(paid_first, "succeeded"), await wait_state(payment.id, "succeeded")
    assert (first_done.amount, done.amount) == (1000, 700)
    assert first_done.payment_intent_id != done.payment_intent_id  # two sales, two intents


async def test_a_busy_till_reader_is_refused_with_its_reason_and_the_picker_offered(kiosk: Kiosk) -> None:
    held, mine = await kiosk.receipt("10.00"), await kiosk.receipt("4.00")
    await kiosk.start(held, reader=0)  # another receipt's payment is on Counter 1
    async with kiosk.cashier() as client:
        client.cookies.set(COOKIE, cookie_value(kiosk.warehouse_id, kiosk.readers[0], "Counter 1"))
        page = await client.get(f"/receipts/{mine}")
        assert quick_button(page.text) is not None
        refused = await post_form(client, f"/receipts/{mine}/card", {"reader_id": kiosk.readers[0]}, HTMX)
    assert refused.status_code == 200 and 'data-testid="card-error"' in refused.text
    error = re.search(r'data-testid="card-error">([^<]*)<', refused.text)
    assert error is not None, refused.text
    assert error.group(1) == "Another till is using this reader. Choose another reader."
    # The card section again: the till's reader and "Other reader…" for another one.
    assert quick_button(refused.text) is not None and 'data-testid="add-card"' in refused.text
    assert 'data-testid="payment-status"' not in refused.text


async def test_the_till_reader_of_another_warehouse_is_not_offered(kiosk: Kiosk) -> None:
    other = await make_warehouse("Elsewhere")
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        client.cookies.set(COOKIE, cookie_value(other, kiosk.readers[0], "Counter 1"))
        page = await client.get(f"/receipts/{receipt}")
        assert quick_button(page.text) is None and re.search(
            r'data-testid="add-card"[^>]*>\+ Card \$10\.00<', page.text
        )
        client.cookies.set(COOKIE, "not:a:reader")
        page = await client.get(f"/receipts/{receipt}")
        assert quick_button(page.text) is None


async def test_after_a_cancel_the_card_is_offered_on_the_till_reader_again(kiosk: Kiosk) -> None:
    """The canceled payment's panel offers the card again: from the cancel's own answer and from a
    poll that finds it canceled (the page of another tab, say)."""
    receipt = await kiosk.receipt("6.00")
    async with kiosk.cashier() as client:
        payment_id = await start_card(client, receipt, kiosk.readers[1])  # Counter 2 is now the till's
        canceled = await post_form(client, f"/payments/{payment_id}/cancel", {}, HTMX)
        await wait_state(payment_id, "canceled")
        polled = await client.get(f"/payments/{payment_id}/progress", headers=HTMX)
    for answer in (canceled, polled):
        button = quick_button(answer.text)
        assert button is not None and button.endswith(">Card $6.00 on Counter 2</button>"), answer.text
        assert re.search(r'data-testid="add-card"[^>]*>Other reader…<', answer.text)
    assert polled.status_code == 286
