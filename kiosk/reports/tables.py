"""Piccolo tables of the day's close: one `DayClose` row per Z report.

A Z report is numbered per warehouse and closes one local day of it; both are unique per
warehouse through unique indexes made by the migration (SQLite cannot add table constraints with
ALTER TABLE), so two admins pressing "Run Z" at once still get one report. Its figures are frozen
as JSON when it is made and reprinted from there.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSON, Date, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from kiosk.shop.tables import Warehouse


class DayClose(Table):
    """A Z report: the figures of a warehouse's local day, frozen when the day was closed."""

    id: Serial

    warehouse = ForeignKey(references=Warehouse, on_delete=OnDelete.restrict, index=True)
    # Z #1, #2, ... per warehouse (unique with the warehouse).
    number = Integer()
    # The warehouse's local day it closes (unique with the warehouse), in `timezone` as it was then.
    day = Date()
    timezone = Varchar(length=64)
    currency = Varchar(length=3)
    cash_expected = Integer()
    cash_counted = Integer()
    # counted - expected: negative is cash missing from the drawer.
    cash_difference = Integer()
    # Mismatches with Stripe's own records of the day (0 when Stripe agreed or was not asked).
    mismatches = Integer(default=0)
    # Why Stripe was not asked ("" when it was).
    stripe_unchecked = Text(default="")
    # The whole report as kiosk.reports.figures.DayReport.to_json() wrote it.
    figures = JSON(default="{}")
    closed_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    closed_at = Timestamptz(default=TimestamptzNow())
