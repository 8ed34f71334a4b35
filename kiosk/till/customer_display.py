"""The cart on the customer's screen: the reader a till uses shows the receipt being built.

A till is the browser or tablet the cashier works on: the reader it uses is remembered in a cookie
of that device (`kiosk_till_reader`, "<warehouse id>:<reader id>"), chosen on the till's page.

Line changes come in bursts (a cashier adding five lines in a few seconds). Each change only
*asks* for the display; one task per reader waits until the changes have stopped for
`QUIET_SECONDS`, then sends the receipt's state at that moment: one set_reader_display per
burst, never one per keystroke, and never an older cart after a newer one. Closing or leaving a
receipt asks for the screen to be cleared the same way (the latest wish per reader wins). The
payments engine refuses to put a cart on a reader that has a payment on it
(kiosk/payments/cart_display.py).

The debouncing is per server process; each send reads the receipt from the database, so two
processes can at worst both send the same, latest cart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from kiosk.catalogue.pricing import tax_rules
from kiosk.catalogue.taxes import EXCLUSIVE
from kiosk.payments import cart_display
from kiosk.payments.card_reader import is_reader_id
from kiosk.payments.engine import Engine
from kiosk.shop.tables import OPEN, Receipt, ReceiptLine
from kiosk.stripe_account.gateway import Cart, CartLine

logger = logging.getLogger(__name__)

COOKIE = "kiosk_till_reader"
QUIET_SECONDS = 0.5
# Stripe's cart shows at most this many lines; the rest are summed into one "n more items" line.
MAX_CART_LINES = 100


def reader_of_till(cookies: dict[str, str], warehouse_id: int) -> str | None:
    """The reader this device chose for its customer screen, if it chose one in this warehouse."""
    raw = cookies.get(COOKIE, "")
    warehouse, _, reader_id = raw.partition(":")
    if warehouse != str(warehouse_id) or not is_reader_id(reader_id):
        return None
    return reader_id


def cookie_value(warehouse_id: int, reader_id: str) -> str:
    return f"{warehouse_id}:{reader_id}"


async def cart_of(receipt_id: int) -> Cart | None:
    """The receipt as the customer's screen shows it; None when it is closed or has no lines."""
    receipt = (
        await Receipt.select(Receipt.total, Receipt.tax_total, Receipt.currency, Receipt.status, Receipt.warehouse)
        .where(Receipt.id == receipt_id)
        .first()
    )
    if receipt is None or receipt["status"] != OPEN:
        return None
    lines = (
        await ReceiptLine.select(ReceiptLine.description, ReceiptLine.quantity, ReceiptLine.unit_amount)
        .where(ReceiptLine.receipt == receipt_id)
        .order_by(ReceiptLine.id)
    )
    if not lines:
        return None
    items: list[CartLine] = [
        {
            "description": str(line["description"])[:100],
            "quantity": int(line["quantity"]),
            "amount": int(line["unit_amount"]),
        }
        for line in lines[:MAX_CART_LINES]
    ]
    if len(lines) > MAX_CART_LINES:
        rest = lines[MAX_CART_LINES - 1 :]
        items[-1] = {
            "description": f"{len(rest)} more items",
            "quantity": 1,
            "amount": sum(int(r["quantity"]) * int(r["unit_amount"]) for r in rest),
        }
    cart: Cart = {"currency": str(receipt["currency"]), "line_items": items, "total": int(receipt["total"])}
    if int(receipt["tax_total"]) and (await tax_rules(int(receipt["warehouse"]))).prices == EXCLUSIVE:
        cart["tax"] = int(receipt["tax_total"])  # added on top of the prices shown: the screen says so
    return cart


@dataclass
class _Wish:
    kind: Literal["show", "clear"]
    receipt_id: int
    generation: int


class CartDisplays:
    """One per app (`displays_of`): the pending wish per reader and the tasks carrying them out."""

    def __init__(self, engine_of: Callable[[], Engine | None], quiet: float = QUIET_SECONDS) -> None:
        self._engine_of = engine_of
        self._quiet = quiet
        self._wishes: dict[str, _Wish] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._generation = 0
        # What this process last put on each reader: the same cart again (a page reloaded) is not sent.
        self._sent: dict[str, tuple[int, Cart]] = {}

    def changed(self, reader_id: str | None, receipt_id: int) -> None:
        """The receipt's lines changed (or it was opened): show its cart once the burst is over."""
        self._ask(reader_id, "show", receipt_id)

    def left(self, reader_id: str | None, receipt_id: int | None = None) -> None:
        """The receipt closed or the cashier left it: clear our cart (of `receipt_id`, or any)."""
        self._ask(reader_id, "clear", receipt_id or 0)

    def _ask(self, reader_id: str | None, kind: Literal["show", "clear"], receipt_id: int) -> None:
        if not reader_id or self._engine_of() is None:
            return
        self._generation += 1
        wish = self._wishes[reader_id] = _Wish(kind, receipt_id, self._generation)
        task = asyncio.get_running_loop().create_task(self._carry_out(reader_id, wish))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _carry_out(self, reader_id: str, wish: _Wish) -> None:
        await asyncio.sleep(self._quiet)
        if self._wishes.get(reader_id) is not wish:
            return  # a later change came: its own task sends the state then
        async with self._locks.setdefault(reader_id, asyncio.Lock()):  # one call at a time per reader
            if self._wishes.get(reader_id) is not wish:
                return
            del self._wishes[reader_id]
            engine = self._engine_of()
            if engine is None:
                return
            try:
                await self._send(engine, reader_id, wish)
            except Exception:  # the display is a courtesy: never let it break the till
                logger.exception("customer screen update failed on %s", reader_id)

    async def _send(self, engine: Engine, reader_id: str, wish: _Wish) -> None:
        if wish.kind == "clear":
            await cart_display.clear_cart(engine, reader_id, wish.receipt_id or None)
            return
        cart = await cart_of(wish.receipt_id)
        if cart is None:
            await cart_display.clear_cart(engine, reader_id, wish.receipt_id)
            return
        unchanged = self._sent.get(reader_id) == (wish.receipt_id, cart)
        if unchanged and await cart_display.shown_receipt(reader_id) == wish.receipt_id:
            return  # still on the reader as it is now (no payment or clear came between)
        self._sent.pop(reader_id, None)
        if await cart_display.show_cart(engine, reader_id, wish.receipt_id, cart):
            self._sent[reader_id] = (wish.receipt_id, cart)

    async def drain(self) -> None:
        """Wait until every wish asked so far has been carried out (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def displays_of(state: Any) -> CartDisplays:
    """The app's CartDisplays, made on first use (`state` is the app's State)."""
    displays: CartDisplays | None = state.get("cart_displays")
    if displays is None:
        displays = CartDisplays(lambda: state.get("payments"), state.get("cart_quiet_seconds") or QUIET_SECONDS)
        state.cart_displays = displays
    return displays
