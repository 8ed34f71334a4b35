"""Piccolo table of the currencies the shop takes, with their card minimums."""

from __future__ import annotations

from piccolo.columns import Boolean, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class CurrencySetting(Table, tablename="kiosk_currency"):
    """A currency the shop takes, with its smallest card charge (minor units, never below Stripe's)."""

    id: Serial

    # ISO 4217, lowercase as Stripe writes it.
    currency = Varchar(length=3, unique=True)
    enabled = Boolean(default=True)
    # None: Stripe's own minimum applies (or none is known).
    card_minimum = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
