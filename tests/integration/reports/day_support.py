"""A seeded day at warehouse "Main", run for real through the simulator: cash, two cards of two
brands, a decline then a cancel, a partial refund. Shared by the day's close tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.payments import actions as payments
from kiosk.payments.refunds.actions import RefundForm, request_refund
from kiosk.payments.tables import Payment
from kiosk.till.receipts import take_cash
from tests.payments_support import INSUFFICIENT_FUNDS, VISA, Kiosk, wait_card, wait_state

MASTERCARD = "5555555555554444"


@dataclass(frozen=True)
class SeededDay:
    cash_receipt: int
    visa: Payment
    mastercard: Payment
    declined: Payment


async def card_sale(kiosk: Kiosk, amount: str, card: str = VISA) -> Payment:
    receipt = await kiosk.receipt(amount)
    started = await kiosk.start(receipt, amount=int(amount.replace(".", "")))
    await kiosk.tap(kiosk.readers[0], card)
    await wait_state(started.id, "succeeded")
    return await wait_card(started.id)  # its brand, for the sales by brand


async def seed_day(kiosk: Kiosk) -> SeededDay:
    """$12.50 cash (given $20), $10 Visa, $20 Mastercard with $5 refunded, $7 declined
    (insufficient funds) then canceled by the cashier."""
    cash_receipt = await kiosk.receipt("12.50")
    await take_cash(cash_receipt, kiosk.warehouse_id, kiosk.user_id, "20.00")
    visa = await card_sale(kiosk, "10.00")
    mastercard = await card_sale(kiosk, "20.00", MASTERCARD)
    await request_refund(kiosk.engine, mastercard.id, RefundForm(amount="5.00"), kiosk.user_id)
    receipt = await kiosk.receipt("7.00")
    started = await kiosk.start(receipt, amount=700)
    await kiosk.tap(kiosk.readers[0], INSUFFICIENT_FUNDS)
    await wait_state(started.id, "declined")
    declined = await payments.cancel_payment(kiosk.engine, started.id)
    return SeededDay(cash_receipt, visa, mastercard, declined)


def texts_of(html: str, testid: str) -> list[str]:
    """The text right after each element carrying data-testid=`testid`."""
    return [m.group(1).strip() for m in re.finditer(rf'data-testid="{re.escape(testid)}"[^>]*>([^<]*)<', html)]


def row_of(html: str, block: str, key: str) -> tuple[str, str]:
    """(count, amount) of the row `key` in the block `block` of a report page."""
    start = html.index(f'data-testid="block-{block}"')
    section = html[start : html.index("</section>", start)]
    row = section[section.index(f'data-key="{key}"') :]
    return texts_of(row, "row-count")[0], texts_of(row, "row-amount")[0]
