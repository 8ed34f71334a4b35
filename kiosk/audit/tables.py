"""The audit log's table: who changed which setting, or refunded, captured or canceled, and when."""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSON, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table):
    """One change made by a person. The actor's username is copied in, so the entry still reads
    right after the account is renamed or removed."""

    id: Serial

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    actor_name = Varchar(length=100)
    # Dotted "area.verb", e.g. "user.create", "warehouse.rename", "stripe.keys.update".
    action = Varchar(length=64, index=True)
    # What was changed, as people name it: "user cashier", "warehouse Main", "payment 12".
    subject = Varchar(length=200)
    # Before/after values and other facts; never a secret (kiosk.audit masks anything key-like).
    detail = JSON(default="{}")
