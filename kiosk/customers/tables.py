"""Piccolo tables of the customers: who they are, their saved cards, and the receipts they are on.

A receipt's customer is a link row here rather than a column on `shop.Receipt`: the shop's tables
know nothing of customers, and a receipt has at most one (the link's `receipt` is unique).
"""

from __future__ import annotations

import uuid

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import UUID, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from kiosk.shop.tables import Receipt


class Customer(Table):
    """A customer of the shop; `stripe_customer_id` once Stripe has been asked for one."""

    id: Serial

    name = Varchar(length=120)
    # Lowercase; "" when unknown. Searched by prefix at the till.
    email = Varchar(length=254, default="", index=True)
    phone = Varchar(length=40, default="")
    note = Text(default="")
    stripe_customer_id = Varchar(length=64, null=True, default=None, unique=True)
    # The base of every idempotency key of this customer's Stripe calls (unique across databases).
    key = UUID(default=uuid.uuid4, unique=True)
    created_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SavedCard(Table):
    """A card saved as a Stripe token: the PaymentMethod id, brand, last 4 and expiry, nothing more."""

    id: Serial

    customer = ForeignKey(references=Customer, on_delete=OnDelete.cascade, index=True)
    payment_method_id = Varchar(length=64, unique=True)
    brand = Varchar(length=40, default="")
    last4 = Varchar(length=4, default="")
    exp_month = Integer(default=0)
    exp_year = Integer(default=0)
    saved_at = Timestamptz(default=TimestamptzNow())


class ReceiptCustomer(Table):
    """The customer a receipt is for, and whether they agreed to save the card they pay with."""

    id: Serial

    receipt = ForeignKey(references=Receipt, on_delete=OnDelete.cascade, unique=True)
    customer = ForeignKey(references=Customer, on_delete=OnDelete.cascade, index=True)
    save_card = Boolean(default=False)
    attached_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    attached_at = Timestamptz(default=TimestamptzNow())
