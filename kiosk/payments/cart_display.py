"""The customer's screen between payments: a receipt's cart on the till's reader, or nothing.

`set_reader_display` replaces a reader action that has not started, so a cart must never reach a
reader that has a payment on it. Two rules keep them apart, both in the database (several servers
share it):

- A display call first *claims* the reader (`ReaderDisplay.sending_until`), in a write transaction
  that also checks the reader's payment lease: a reader leased by a running payment gets no cart.
- A payment, once it holds the lease (so no new claim can start), waits before
  `process_payment_intent` until a claim under way has ended (`wait_for_display`): a cart call
  already sent reaches the reader first, and the payment then replaces it.

Clearing is `cancel_action`, sent only while our cart is what the reader shows (never over a
payment). Display calls are best effort: a reader offline, busy or unreachable leaves the cart as
it was and changes nothing else; the next change tries again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from kiosk.payments import sql, store
from kiosk.payments.engine import Engine
from kiosk.payments.tables import ReaderDisplay
from kiosk.stripe_account.errors import PaymentError
from kiosk.stripe_account.gateway import Cart

logger = logging.getLogger(__name__)

# A claim outlives the display call it covers (the call gives up after CALL_SECONDS).
CLAIM_SECONDS = 8.0
CALL_SECONDS = 5.0
WAIT_STEP_SECONDS = 0.05


async def _claim(reader_id: str) -> int | None:
    """Reserve the reader for one display call; None (nothing reserved) while a payment holds it."""
    async with store.atomic():
        if reader_id in await store.leased_readers():
            return None
        row = await ReaderDisplay.objects().get(ReaderDisplay.reader_id == reader_id)
        if row is None:
            await ReaderDisplay.insert(ReaderDisplay(reader_id=reader_id)).on_conflict(action="DO NOTHING")
            row = await ReaderDisplay.objects().get(ReaderDisplay.reader_id == reader_id)
            assert row is not None
        sequence = int(row.sequence) + 1
        until = store.later(CLAIM_SECONDS)
        await ReaderDisplay.update({ReaderDisplay.sequence: sequence, ReaderDisplay.sending_until: until}).where(
            ReaderDisplay.id == row.id
        )
        return sequence


async def _release(reader_id: str, receipt_id: int | None, *, shown: bool) -> None:
    """The call is over; `shown`: the reader now shows `receipt_id`'s cart (None: nothing of ours)."""
    where = ReaderDisplay.reader_id == reader_id
    if shown:
        await ReaderDisplay.update({ReaderDisplay.receipt: receipt_id}).where(where)
    await ReaderDisplay.update({ReaderDisplay.sending_until: None, ReaderDisplay.updated_at: store.now()}).where(where)


async def shown_receipt(reader_id: str) -> int | None:
    """Whose cart the kiosk last put on this reader (None: none, or a payment replaced it)."""
    row = await ReaderDisplay.select(ReaderDisplay.receipt).where(ReaderDisplay.reader_id == reader_id).first()
    return int(row["receipt"]) if row and row["receipt"] is not None else None


async def show_cart(engine: Engine, reader_id: str, receipt_id: int, cart: Cart) -> bool:
    """Put the receipt's cart on the reader; False when it was not sent (a payment holds the
    reader) or Stripe refused it (offline, busy: logged, nothing else changes)."""
    sequence = await _claim(reader_id)
    if sequence is None:
        return False
    shown = False
    try:
        key = f"kiosk-display-{reader_id}-{sequence}"
        await asyncio.wait_for(engine.gateway.set_reader_display(reader_id, cart, idempotency_key=key), CALL_SECONDS)
        shown = True
    except (PaymentError, TimeoutError) as exc:
        logger.info("cart not shown on %s: %s", reader_id, exc)
    finally:
        await _release(reader_id, receipt_id, shown=shown)
    return shown


async def clear_cart(engine: Engine, reader_id: str, receipt_id: int | None = None) -> bool:
    """Take our cart off the reader (`cancel_action`): only while it shows one (of `receipt_id`
    when given) and no payment holds it. Returns whether the screen was cleared."""
    showing = await shown_receipt(reader_id)
    if showing is None or (receipt_id is not None and showing != receipt_id):
        return False
    sequence = await _claim(reader_id)
    if sequence is None:
        return False
    cleared = False
    try:
        key = f"kiosk-display-{reader_id}-{sequence}"
        await asyncio.wait_for(engine.gateway.cancel_action(reader_id, idempotency_key=key), CALL_SECONDS)
        cleared = True
    except (PaymentError, TimeoutError) as exc:
        logger.info("cart not cleared on %s: %s", reader_id, exc)
    finally:
        await _release(reader_id, None, shown=cleared)
    return cleared


async def wait_for_display(reader_id: str) -> None:
    """Called by a payment holding the reader's lease, before it is sent: let a display call under
    way end first (it cannot start a new one now), and forget the cart (the payment replaces it)."""
    deadline = store.now() + timedelta(seconds=CLAIM_SECONDS)
    row = await sql.reader_display(reader_id)
    while row is not None and store.now() < deadline:
        until = row["sending_until"]
        if until is None or until <= store.now():
            break
        await asyncio.sleep(WAIT_STEP_SECONDS)
        row = await sql.reader_display(reader_id)
    if row is not None and row["receipt"] is not None:  # no write when no cart of ours is shown
        await ReaderDisplay.update({ReaderDisplay.receipt: None}).where(ReaderDisplay.reader_id == reader_id)
