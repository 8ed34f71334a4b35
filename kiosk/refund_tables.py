"""Piccolo table of refunds: one row per refund of a card payment.

The row is written before Stripe is called (state `creating`), so a refund whose answer was lost
can be sent again with the same idempotency key (the payment's key, "refund" and `sequence`)
without refunding twice. Refunds made elsewhere (the Stripe Dashboard) appear as rows without a
sequence once Stripe reports them.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from kiosk.payment_tables import Payment


class Refund(Table):
    """Money given back on a captured card payment, in full or in part."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    payment = ForeignKey(references=Payment, on_delete=OnDelete.restrict, index=True)
    # 1, 2, ... per payment for refunds the kiosk made (part of the idempotency key); None otherwise.
    sequence = Integer(null=True, default=None)
    amount = Integer()
    currency = Varchar(length=3)
    # Stripe's reason: requested_by_customer | duplicate | fraudulent.
    reason = Varchar(length=32, default="requested_by_customer")
    note = Text(default="")
    # creating (not yet confirmed by Stripe), pending, requires_action, succeeded, failed, canceled.
    state = Varchar(length=24, default="creating", index=True)
    stripe_refund_id = Varchar(length=255, null=True, default=None, unique=True)
    failure_message = Text(null=True, default=None)
    # The refund form's one-time token: a double submit finds the refund already made.
    request_key = Varchar(length=64, null=True, default=None, unique=True)
    created_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
