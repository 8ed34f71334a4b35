"""Piccolo tables of the readers: each Stripe location's warehouse, and the reader snapshot (what
Stripe last said about each Terminal reader).

Every server reads and writes the same rows, so a location's readers are listed at Stripe once
for the whole chain rather than once per server process. See kiosk/readers/snapshot.py.
"""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from kiosk.shop.tables import Warehouse


class ReaderStatus(Table):
    """One reader as Stripe last described it (a list, a reader returned by a call, an event)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    reader_id = Varchar(length=64, unique=True)
    location_id = Varchar(length=255, default="", index=True)
    label = Varchar(length=255, default="")
    device_type = Varchar(length=64, default="")
    online = Boolean(default=False)
    # The reader's current or last action (only process_payment_intent concerns payments).
    action_type = Varchar(length=64, null=True, default=None)
    action_status = Varchar(length=32, null=True, default=None)
    action_intent = Varchar(length=255, null=True, default=None)
    # When Stripe said so: the start of our request, or an event's creation. Older news never
    # overwrites newer news.
    observed_at = Timestamptz()


class ReaderListing(Table):
    """When a location's readers were last listed at Stripe, and which server is listing them now."""

    id: Serial

    location_id = Varchar(length=255, unique=True)
    listed_at = Timestamptz()
    # A server listing the readers now: the others show the snapshot meanwhile instead of asking too.
    claimed_until = Timestamptz(null=True, default=None)


class LocationPairing(Table):
    """One Stripe Terminal location serves exactly one warehouse (and the other way round)."""

    id: Serial

    stripe_location_id = Varchar(length=64, unique=True)
    warehouse = ForeignKey(references=Warehouse, unique=True, on_delete=OnDelete.cascade)
    paired_at = Timestamptz(default=TimestamptzNow())
