"""Piccolo tables of the admin settings: named values (secret ones encrypted) and currencies.

A `Setting` row holds one value by name ("stripe.secret_key", ...). Secret values are stored only
as ciphertext (see kiosk/db/secret_box.py), so a copied database file does not leak Stripe keys.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Setting(Table, tablename="kiosk_setting"):
    """One admin setting by name; `encrypted` values are ciphertext bound to their name."""

    id: Serial

    name = Varchar(length=100, unique=True)
    value = Text()
    encrypted = Boolean(default=False)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
