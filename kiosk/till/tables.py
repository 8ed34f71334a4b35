"""Piccolo tables of the till: returns of paid receipts.

A return (`ReceiptReturn`) gives money back on a paid receipt of the warehouse: all of it, chosen
lines (`ReturnLine`, with the quantity returned), or an amount. How the money went back is its
`ReturnTender` rows, one per tender: `card` (a refund of one card payment: the payments' `Refund`
row, whose state says whether Stripe gave it back) or `cash` (handed back over the counter, done
when the return is recorded). Money columns are int minor units in the receipt's currency.

For the day's figures (the X/Z reports): returns of a day are the `ReturnTender` rows joined to
their `ReceiptReturn` (its `created_at`, `created_by`, receipt and so warehouse); a `card` tender
counts as given back while its `Refund` is in payments.refunds.events.LIVE ("creating" means not
yet confirmed by Stripe), a `cash` tender always does.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from kiosk.payments.tables import Payment, Refund
from kiosk.shop.tables import Receipt, ReceiptLine

# ReceiptReturn.kind
EVERYTHING, LINES, AMOUNT = "everything", "lines", "amount"
# ReturnTender.kind
CARD, CASH = "card", "cash"


class ReceiptReturn(Table):
    """Money given back on a paid receipt, by whom and when; numbered 1, 2, … per receipt."""

    id: Serial

    receipt = ForeignKey(references=Receipt, on_delete=OnDelete.restrict, index=True)
    number = Integer()
    # everything | lines | amount: what the cashier chose.
    kind = Varchar(length=16)
    amount = Integer()  # card_amount + cash_amount
    card_amount = Integer(default=0)
    cash_amount = Integer(default=0)
    currency = Varchar(length=3)
    # The confirmation form's one-time token: the same confirmation sent twice finds this return.
    request_key = Varchar(length=64, unique=True)
    created_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ReturnLine(Table):
    """A receipt line taken back: how many of it, and what they were paid (quantity times unit price)."""

    id: Serial

    receipt_return = ForeignKey(references=ReceiptReturn, on_delete=OnDelete.cascade, index=True)
    line = ForeignKey(references=ReceiptLine, on_delete=OnDelete.cascade, index=True)
    description = Varchar(length=200)
    quantity = Integer()
    amount = Integer()


class ReturnTender(Table):
    """How part of a return went back: to a card (`payment`, `refund`) or in cash."""

    id: Serial

    receipt_return = ForeignKey(references=ReceiptReturn, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=8)  # card | cash
    amount = Integer()
    payment = ForeignKey(references=Payment, null=True, default=None, on_delete=OnDelete.restrict)
    refund = ForeignKey(references=Refund, null=True, default=None, on_delete=OnDelete.restrict)


class CustomerCharge(Table):
    """A charge of a customer's saved card asked from the customer's page: the receipt it opened.

    The form's one-time `request_key` is unique: the same form sent twice (a double press, a
    resend) finds this receipt instead of opening another and charging the card again.
    """

    id: Serial

    request_key = Varchar(length=64, unique=True)
    receipt = ForeignKey(references=Receipt, on_delete=OnDelete.cascade, unique=True)
    customer = Integer()  # the kiosk customer's id (kiosk/customers), kept as a plain number
    created_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
