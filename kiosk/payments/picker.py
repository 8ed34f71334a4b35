"""The reader picker's content: the readers of the warehouse's location, as the cashier sees them.

Readers come from the snapshot shared by every server (kiosk/readers/snapshot.py: a Stripe call per
location now and then, not per render); "busy" combines the database's leases (another till is
paying on it) with the reader's own in-progress action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.payments import store
from kiosk.payments.engine import Engine
from kiosk.readers import snapshot as reader_snapshot
from kiosk.readers.admin import device_name
from kiosk.readers.tables import LocationPairing
from kiosk.stripe_account.errors import PaymentError

NOT_SET_UP = "Card payments are not set up on this kiosk: an admin must enter the Stripe secret key."
NOT_PAIRED = (
    "This warehouse has no Stripe Terminal location yet. An admin must pair it with a location "
    "(Admin, Locations page) and register readers there before cards can be taken here."
)
NO_READERS = "No reader is registered at this warehouse's location. An admin must register one."
UNREACHABLE = "The readers could not be loaded from Stripe just now. Retrying…"


@dataclass(frozen=True)
class ReaderOption:
    id: str
    label: str
    device: str
    online: bool
    busy: bool
    status: str  # what the badge says

    @property
    def choosable(self) -> bool:
        return self.online and not self.busy


async def location_of(warehouse_id: int) -> str | None:
    """The Stripe Terminal location paired with the warehouse, if any."""
    row = (
        await LocationPairing.select(LocationPairing.stripe_location_id)
        .where(LocationPairing.warehouse == warehouse_id)
        .first()
    )
    return str(row["stripe_location_id"]) if row else None


async def picker_context(engine: Engine | None, warehouse_id: int, *, post_url: str, target: str) -> dict[str, Any]:
    """Context of partials/reader_picker.html: options, or the problem that prevents them."""
    context: dict[str, Any] = {"readers": [], "problem": "", "post_url": post_url, "target": target}
    location = await location_of(warehouse_id)
    if engine is None or location is None:
        return {**context, "problem": NOT_SET_UP if engine is None else NOT_PAIRED}
    try:
        readers = await reader_snapshot.readers_for_picker(engine.gateway, location, store.reader_holds)
    except PaymentError:
        return {**context, "problem": UNREACHABLE}
    leased = await store.leased_readers()
    options = []
    for reader in readers:
        busy = reader.id in leased or reader.busy
        status = "offline" if not reader.online else ("busy" if busy else "online")
        options.append(
            ReaderOption(reader.id, reader.label, device_name(reader.device_type), reader.online, busy, status)
        )
    return {**context, "readers": options, "problem": "" if options else NO_READERS}
