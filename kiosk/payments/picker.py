"""The reader picker's content: the readers of the warehouse's location, as the cashier sees them.

Readers come from the snapshot shared by every server (kiosk/readers/snapshot.py: a Stripe call per
location now and then, not per render); "busy" combines the database's leases (another till is
paying on it) with the reader's own in-progress action. A reader busy with a kiosk payment says
which receipt holds it and who started it: that receipt's page cancels it, and an admin may release
it from the picker (kiosk.payments.actions.cancel_payment, which never lets a payment that could
still be charged go).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.payments import sql, store
from kiosk.payments.engine import Engine
from kiosk.readers import snapshot as reader_snapshot
from kiosk.readers import sql as reader_sql
from kiosk.readers.admin import device_name
from kiosk.stripe_account.errors import PaymentError

NOT_SET_UP = "Card payments are not set up on this kiosk: an admin must enter the Stripe secret key."
NOT_PAIRED = (
    "This warehouse has no Stripe Terminal location yet. An admin must pair it with a location "
    "(Admin, Locations page) and register readers there before cards can be taken here."
)
NO_READERS = "No reader is registered at this warehouse's location. An admin must register one."
UNREACHABLE = "The readers could not be loaded from Stripe just now. Retrying…"


ANOTHER_APP = "In use by another app or register"
TASK_NOTES = {
    "save_card": "Saving a customer's card for a till",
    "ask_email": "Asking a customer's email for a till",
}


@dataclass(frozen=True)
class Holder:
    """The kiosk payment a busy reader is taken by."""

    payment_id: int
    receipt_id: int
    receipt_number: int
    cashier: str

    @property
    def text(self) -> str:
        return f"Receipt #{self.receipt_number}" + (f" · {self.cashier}" if self.cashier else "")


@dataclass(frozen=True)
class ReaderOption:
    id: str
    label: str
    device: str
    online: bool
    busy: bool
    status: str  # what the badge says
    # Where a busy reader is held: a kiosk payment's receipt and cashier, else "another app" (None).
    holder: Holder | None = None
    # Held by a till's reader task (saving a card, asking an email): what it is doing.
    task_note: str = ""

    @property
    def choosable(self) -> bool:
        return self.online and not self.busy


async def location_of(warehouse_id: int) -> str | None:
    """The Stripe Terminal location paired with the warehouse, if any."""
    return await reader_sql.location_of(warehouse_id)


async def picker_context(
    engine: Engine | None,
    warehouse_id: int,
    *,
    post_url: str,
    target: str,
    location: str | None = None,
    refreshing: bool = False,
) -> dict[str, Any]:
    """Context of partials/reader_picker.html: options, or the problem that prevents them.
    `location`: the warehouse's location when the caller has read it ("": none paired);
    `refreshing`: the open picker's own refresh (`refresh=1`), not a picker opening (how long
    Stripe's word on a reader is trusted: kiosk/readers/snapshot.py)."""
    context: dict[str, Any] = {"readers": [], "problem": "", "post_url": post_url, "target": target}
    location = await location_of(warehouse_id) if location is None else location or None
    if engine is None or location is None:
        return {**context, "problem": NOT_SET_UP if engine is None else NOT_PAIRED}
    try:
        readers = await reader_snapshot.readers_for_picker(
            engine.gateway, location, store.reader_holds, refreshing=refreshing
        )
    except PaymentError:
        return {**context, "problem": UNREACHABLE}
    leased = await store.leased_readers()
    held = await store.held_readers()
    intents = {r.id: r.action.payment_intent_id for r in readers if r.busy and r.action and r.action.payment_intent_id}
    holders = await _holders(leased, intents)
    options = []
    for reader in readers:
        busy = reader.id in leased or reader.id in held or reader.busy
        status = "offline" if not reader.online else ("busy" if busy else "online")
        holder = holders.get(reader.id) if busy else None
        device = device_name(reader.device_type)
        note = TASK_NOTES.get(held.get(reader.id, ""), "")
        options.append(ReaderOption(reader.id, reader.label, device, reader.online, busy, status, holder, note))
    return {**context, "readers": options, "problem": "" if options else NO_READERS, "another_app": ANOTHER_APP}


async def _holders(leased: dict[str, int], intents: dict[str, str]) -> dict[str, Holder]:
    """reader id → the kiosk payment holding it: by its lease, else by the action on the reader."""
    if not leased and not intents:
        return {}
    rows = await sql.holders(list(leased.values()), list(intents.values()))
    by_id = {int(row["id"]): row for row in rows}
    by_intent = {str(row["payment_intent_id"]): row for row in rows if row["payment_intent_id"]}
    found: dict[str, Holder] = {}
    for reader_id in {*leased, *intents}:
        row = by_id.get(leased[reader_id]) if reader_id in leased else by_intent.get(intents[reader_id])
        if row is not None:
            cashier = str(row["created_by.username"] or "")
            found[reader_id] = Holder(int(row["id"]), int(row["receipt"]), int(row["receipt.number"]), cashier)
    return found
