"""What the till offers around a card payment, over HTTP (issue 10): no "+ Card" below the card
minimum (the minimum said in its place), New sale once a card paid the receipt, and the progress
panel's "No connection" notice ready while the payment runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.money.amounts import use_raised_minimums
from kiosk.payments.settlement import refresh_receipt_status
from kiosk.payments.tables import Payment
from kiosk.till.receipts import add_quick_amount, open_receipt, take_cash
from tests.kiosk_support import log_in, make_user, make_warehouse, post_form, redrawn

Client = AsyncTestClient[Litestar]
HTMX = {"HX-Request": "true"}


async def receipt_for(warehouse: int, cashier: int, amount: str) -> int:
    receipt_id = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt_id, warehouse, amount)
    return receipt_id


async def card(receipt_id: int, state: str, amount: int, currency: str = "usd") -> int:
    payment = Payment(receipt=receipt_id, amount=amount, currency=currency, state=state, reader_label="Counter 1")
    rows = await Payment.insert(payment).returning(Payment.id)
    return int(rows[0]["id"])


@pytest.fixture
def raised_minimums() -> Iterator[None]:
    yield
    use_raised_minimums({})


async def test_no_card_below_the_minimum_the_minimum_is_said_instead(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    small = await receipt_for(warehouse, cashier, "0.30")
    page = (await cashier_client.get(f"/receipts/{small}")).text
    assert 'data-testid="add-card"' not in page and "+ Card" not in page
    assert 'data-testid="card-refusal">Card needs at least $0.50<' in page
    assert 'data-testid="bar-card"' not in page  # nor in the phone's bottom bar
    assert 'data-testid="bar-card-refusal">Card needs at least $0.50<' in page
    assert 'data-testid="take-cash"' in page and 'data-testid="bar-cash"' in page  # cash still can

    enough = await receipt_for(warehouse, cashier, "0.50")
    page = (await cashier_client.get(f"/receipts/{enough}")).text
    assert "+ Card $0.50" in page and 'data-testid="bar-card"' in page and "card-refusal" not in page


async def test_an_admins_raised_minimum_counts_too(
    cashier_client: Client, warehouse: int, cashier: int, raised_minimums: None
) -> None:
    use_raised_minimums({"usd": 500})
    receipt_id = await receipt_for(warehouse, cashier, "3.00")
    page = (await cashier_client.get(f"/receipts/{receipt_id}")).text
    assert "+ Card" not in page and 'data-testid="card-refusal">Card needs at least $5.00<' in page


async def test_in_euros_the_minimum_is_said_in_euros(client: Client, db: str) -> None:
    annex = await make_warehouse("Annex", "eur")
    user = await make_user("annette", warehouses=("Annex",))
    receipt_id = await receipt_for(annex, user, "0.30")
    assert (await log_in(client, "annette")).status_code == 303
    page = (await client.get(f"/receipts/{receipt_id}")).text
    assert "+ Card" not in page and 'data-testid="card-refusal">Card needs at least €0.50<' in page


async def test_a_finished_payment_leaving_too_little_for_a_card_says_the_minimum(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier, "10.00")
    payment_id = await card(receipt_id, "canceled", 1000)
    await take_cash(receipt_id, warehouse, cashier, "9.70")
    polled = await cashier_client.get(f"/payments/{payment_id}/progress", headers=HTMX)
    assert "+ Card" not in polled.text
    assert 'data-testid="card-refusal">Card needs at least $0.50<' in polled.text


async def test_the_page_offers_a_new_sale_once_the_card_paid(
    cashier_client: Client, warehouse: int, cashier: int
) -> None:
    receipt_id = await receipt_for(warehouse, cashier, "10.00")
    payment_id = await card(receipt_id, "on_reader", 1000)
    running = (await cashier_client.get(f"/payments/{payment_id}/progress", headers=HTMX)).text
    assert 'data-testid="new-sale"' not in running
    # The lost-connection notice is in the running panel, hidden until a poll gets no answer.
    assert 'data-testid="connection-lost" data-connection-lost hidden>' in running
    assert "The payment goes on at the reader" in running

    await Payment.update({Payment.state: "succeeded"}).where(Payment.id == payment_id)
    assert await refresh_receipt_status(receipt_id) == "paid"
    final = await cashier_client.get(f"/payments/{payment_id}/progress", headers=HTMX)
    assert final.status_code == 286  # polling stops; the answer is the paid receipt's page, in place
    page = redrawn(final)
    assert page.count('data-testid="new-sale"') == 1  # the page offers it once (in the summary)
    assert 'action="/receipts/"' in page and "connection-lost" not in page  # no more polling, nothing to lose
    opened = await post_form(cashier_client, "/receipts/")
    assert opened.status_code == 303 and opened.headers["location"] != f"/receipts/{receipt_id}"
