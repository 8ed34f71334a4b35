"""Piccolo tables of the shop's records: warehouses, and receipts with their lines and cash tenders.

Card tenders are the payments engine's `Payment` rows (kiosk/payments/tables.py). Money columns are
int minor units. A receipt number is unique within its warehouse: a unique index made by a
hand-written migration (Piccolo adds table constraints with ALTER TABLE, which SQLite cannot do).
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

# Receipt.status
OPEN, PAID, VOIDED = "open", "paid", "voided"


class Warehouse(Table):
    """A shop or till area; receipts are numbered per warehouse, in its currency."""

    id: Serial

    name = Varchar(length=100, unique=True)
    # ISO 4217, lowercase as Stripe writes it.
    currency = Varchar(length=3, default="usd")
    next_receipt_number = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    # The printed receipt's header: the shop's name as customers know it (blank: the warehouse's
    # name), its address (one line per printed line) and its phone number.
    receipt_name = Varchar(length=100, default="")
    address = Text(default="")
    phone = Varchar(length=40, default="")
    # The IANA time zone its day runs in (zoneinfo name): the day's close covers its local day.
    timezone = Varchar(length=64, default="UTC")
    # How people here write numbers and money (a Babel/CLDR locale: "en_US", "de_DE", "fr_CH"):
    # amounts on the till, the printed receipt and the admin pages, and how typed amounts are read.
    locale = Varchar(length=20, default="en_US")
    # Tips on the reader (kiosk.till.tipping): off | percentages | amounts, the three suggestions
    # ("10,15,20" percent, or minor units), and the Stripe Terminal Configuration carrying them.
    tipping = Varchar(length=16, default="off")
    tip_choices = Varchar(length=100, default="")
    tip_configuration = Varchar(length=255, default="")


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
    # A discount on the whole receipt (a percentage in thousandths of a percent, or an amount), its reason, and
    # the sums it leaves: `total` (gross) = net_total + tax_total (kiosk/catalogue/pricing.py).
    discount_percent = Integer(default=0)
    discount_fixed = Integer(default=0)
    discount_reason = Varchar(length=100, default="")
    net_total = Integer(default=0)
    tax_total = Integer(default=0)


class ReceiptLine(Table):
    """What is sold: a description, a quantity and a unit price (a quick amount is one line)."""

    id: Serial

    receipt = ForeignKey(references=Receipt, on_delete=OnDelete.cascade, index=True)
    description = Varchar(length=200)
    quantity = Integer(default=1)
    unit_amount = Integer()
    # Rung up from the catalogue (kiosk/catalogue): the item's id and SKU as sold; none for a quick
    # amount or a free-text line.
    item_id = Integer(null=True, default=None)
    sku = Varchar(length=64, default="")
    # Tax rate in thousandths of a percent (19000 = 19 %), and the line's discount: a percentage (same unit)
    # or an amount, with the reason given; `discount` is the amount it came to.
    tax_rate = Integer(default=0)
    discount_percent = Integer(default=0)
    discount_fixed = Integer(default=0)
    discount = Integer(default=0)
    discount_reason = Varchar(length=100, default="")
    receipt_discount = Integer(default=0)  # its share of the receipt's discount
    # What the line comes to once discounts are taken off (its share of the receipt's discount
    # included) and tax is worked out: net + tax = gross, and the lines' gross add up to the total.
    net = Integer(default=0)
    tax = Integer(default=0)
    gross = Integer(default=0)


class CashTender(Table):
    """Cash taken: `given` by the customer, `amount` applied to the receipt, `change` handed back."""

    id: Serial

    receipt = ForeignKey(references=Receipt, on_delete=OnDelete.cascade, index=True)
    amount = Integer()
    given = Integer()
    change = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    taken_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
