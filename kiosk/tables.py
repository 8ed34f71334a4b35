"""Piccolo tables of the till: warehouses and their Stripe location, who may work where, sessions,
receipts with their lines and cash tenders. Card tenders live in kiosk/payment_tables.py.

People are Piccolo's `BaseUser`; `BaseUser.admin` is the role (an admin may use every warehouse,
a cashier only those linked through `UserWarehouse`). Money columns are int minor units.
Uniqueness across two columns (a receipt number per warehouse, one link per user and warehouse) is
a unique index made by a hand-written migration: Piccolo adds table constraints with
ALTER TABLE, which SQLite cannot do.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Warehouse(Table):
    """A shop or till area; receipts are numbered per warehouse, in its currency."""

    id: Serial

    name = Varchar(length=100, unique=True)
    # ISO 4217, lowercase as Stripe writes it.
    currency = Varchar(length=3, default="usd")
    next_receipt_number = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class LocationPairing(Table):
    """One Stripe Terminal location serves exactly one warehouse (and the other way round)."""

    id: Serial

    stripe_location_id = Varchar(length=64, unique=True)
    warehouse = ForeignKey(references=Warehouse, unique=True, on_delete=OnDelete.cascade)
    paired_at = Timestamptz(default=TimestamptzNow())


class UserWarehouse(Table):
    """A cashier may work at this warehouse."""

    id: Serial

    user = ForeignKey(references=BaseUser, on_delete=OnDelete.cascade, index=True)
    warehouse = ForeignKey(references=Warehouse, on_delete=OnDelete.cascade)


class Session(Table, tablename="kiosk_session"):
    """A logged-in browser. Only a hash of the cookie's token is stored, so a leaked database
    cannot be replayed as a login."""

    id: Serial

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=BaseUser, on_delete=OnDelete.cascade, index=True)
    # The warehouse chosen at the till; null until chosen.
    warehouse = ForeignKey(references=Warehouse, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    # Absolute end of the session, whatever the activity.
    expires_at = Timestamptz()


class Receipt(Table):
    """A sale at the till: lines, then tenders (cash here, card in `Payment`) until fully paid."""

    id: Serial

    warehouse = ForeignKey(references=Warehouse, on_delete=OnDelete.restrict, index=True)
    # What people quote: unique within the warehouse.
    number = Integer()
    currency = Varchar(length=3)
    total = Integer(default=0)
    # open | paid | voided
    status = Varchar(length=16, default="open")
    opened_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    opened_at = Timestamptz(default=TimestamptzNow(), index=True)
    closed_at = Timestamptz(null=True, default=None)


class ReceiptLine(Table):
    """What is sold: a description, a quantity and a unit price (a quick amount is one line)."""

    id: Serial

    receipt = ForeignKey(references=Receipt, on_delete=OnDelete.cascade, index=True)
    description = Varchar(length=200)
    quantity = Integer(default=1)
    unit_amount = Integer()


class CashTender(Table):
    """Cash taken: `given` by the customer, `amount` applied to the receipt, `change` handed back."""

    id: Serial

    receipt = ForeignKey(references=Receipt, on_delete=OnDelete.cascade, index=True)
    amount = Integer()
    given = Integer()
    change = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    taken_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
