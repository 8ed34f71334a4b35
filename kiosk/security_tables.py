"""Failed logins, kept briefly so the login rate limit holds across processes (kiosk.login_limit)."""

from __future__ import annotations

from piccolo.columns import Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class LoginFailure(Table):
    """A wrong password (or unknown user): counted per account and per client address."""

    id: Serial

    at = Timestamptz(default=TimestamptzNow(), index=True)
    # Lowercased as typed, so "Cashier" and "cashier" count together; unknown names count too.
    username = Varchar(length=100, index=True)
    client = Varchar(length=64, index=True)
