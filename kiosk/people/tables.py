"""Piccolo tables of people: who may work where, sessions, and failed logins.

People are Piccolo's `BaseUser`; `BaseUser.admin` is the role (an admin may use every warehouse, a
cashier only those linked through `UserWarehouse`). One link per user and warehouse is a unique
index made by a hand-written migration. Failed logins are kept for a day so the login limit holds
across processes (kiosk/people/login_limit.py).
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from kiosk.shop.tables import Warehouse


class LoginFailure(Table):
    """A wrong password (or unknown user): counted per account and per client address."""

    id: Serial

    at = Timestamptz(default=TimestamptzNow(), index=True)
    # Lowercased as typed, so "Cashier" and "cashier" count together; unknown names count too.
    username = Varchar(length=100, index=True)
    client = Varchar(length=64, index=True)


class UserWarehouse(Table):
    """A cashier may work at this warehouse."""

    id: Serial

    user = ForeignKey(references=BaseUser, on_delete=OnDelete.cascade, index=True)
    warehouse = ForeignKey(references=Warehouse, on_delete=OnDelete.cascade)


class Session(Table, tablename="kiosk_session"):
    """A logged-in browser. Only a hash of the cookie's token is stored, so a leaked database
    cannot be replayed as a login."""

    id: Serial

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=BaseUser, on_delete=OnDelete.cascade, index=True)
    # The warehouse chosen at the till; null until chosen.
    warehouse = ForeignKey(references=Warehouse, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    # Absolute end of the session, whatever the activity.
    expires_at = Timestamptz()


class UserPermission(Table):
    """What a person may do beyond their role, one row per person (none: nothing extra). Set on the
    users admin page; admins may do all of it whatever their row says."""

    id: Serial

    user = ForeignKey(references=BaseUser, on_delete=OnDelete.cascade, unique=True)
    # May take returns at the till (give money back on a paid receipt).
    take_returns = Boolean(default=False)
