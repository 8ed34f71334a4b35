"""Piccolo table of payment leases: which server process is acting on a payment at Stripe.

A row says "holder is working on this payment until expires_at". Whoever wants to ask Stripe about
a payment, push it forward or cancel it first inserts (or takes over an expired) row for it; the
holder renews it while it works and deletes it when done. See kiosk/leases.py.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from kiosk.payment_tables import Payment


class PaymentLease(Table):
    """One server process at a time acts on a payment (several servers share one database)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    payment = ForeignKey(references=Payment, unique=True, on_delete=OnDelete.cascade)
    # host/pid-namespace/pid/nonce of the holding process (kiosk.leases.HOLDER), for takeover and support.
    holder = Varchar(length=255)
    taken_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
