"""Piccolo tables of the catalogue: the shop's items, their prices, and each warehouse's tax rules.

One catalogue for the shop, shared by its warehouses; an item has one price per currency (each
warehouse sells in its own). Money columns are int minor units; tax rates are thousandths of a
percent (19000 = 19 %).
"""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from kiosk.shop.tables import Warehouse


class CatalogueItem(Table):
    """Something the shop sells. `search_name` is the name folded for search (lowercase, single
    spaces). `tax_rate` None means the warehouse's default rate."""

    id: Serial

    name = Varchar(length=200)
    search_name = Varchar(length=200, index=True)
    sku = Varchar(length=64, unique=True)
    barcode = Varchar(length=48, null=True, default=None, unique=True)
    barcode_kind = Varchar(length=8, default="")
    category = Varchar(length=100, default="", index=True)
    tax_rate = Integer(null=True, default=None)
    active = Boolean(default=True)
    favourite = Boolean(default=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ItemPrice(Table):
    """An item's price in one currency, as entered (tax included or not, as the warehouse says)."""

    id: Serial

    item = ForeignKey(references=CatalogueItem, on_delete=OnDelete.cascade, index=True)
    currency = Varchar(length=3)
    amount = Integer()


class WarehouseTax(Table):
    """How a warehouse prices and taxes: prices entered tax-inclusive or exclusive, tax rounded per
    line or per receipt, and the rate of items that have none. No row: inclusive, per line, 0 %."""

    id: Serial

    warehouse = ForeignKey(references=Warehouse, on_delete=OnDelete.cascade, unique=True)
    prices = Varchar(length=9, default="inclusive")
    rounding = Varchar(length=7, default="line")
    default_rate = Integer(default=0)
