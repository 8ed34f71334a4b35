"""The login rate limit: too many wrong passwords for one account, or from one client, and logins
are refused for a while without even checking the password.

Failures live in the database (LoginFailure), so the limit holds across restarts and across the
kiosk processes behind a load balancer. Per account it slows guessing one person's password from
many addresses; per client it slows one address trying many accounts. A success clears the
account's count. The figures are constants, easy to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kiosk.people.auth import now_utc
from kiosk.people.tables import LoginFailure

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # wrong passwords for one username within WINDOW
CLIENT_LIMIT = 20  # wrong passwords from one client address within WINDOW


@dataclass(frozen=True)
class Refusal:
    """Why a login is refused now, and until when."""

    message: str
    until: datetime

    @property
    def retry_after_seconds(self) -> int:
        return max(int((self.until - now_utc()).total_seconds()) + 1, 1)


def account_key(username: str) -> str:
    return username.strip().lower()[:100]


async def _recent(column: Any, value: str, since: datetime) -> list[datetime]:
    rows = await LoginFailure.select(LoginFailure.at).where((column == value) & (LoginFailure.at > since))
    return sorted((row["at"] for row in rows), reverse=True)


def _minutes(until: datetime) -> str:
    minutes = max(int((until - now_utc()).total_seconds() // 60) + 1, 1)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


async def refusal(username: str, client: str) -> Refusal | None:
    """A Refusal while either limit is reached, else None. The limit lifts as old failures leave
    the window: when only `limit - 1` remain inside it."""
    since = now_utc() - WINDOW
    account = await _recent(LoginFailure.username, account_key(username), since)
    if len(account) >= ACCOUNT_LIMIT:
        until = account[ACCOUNT_LIMIT - 1] + WINDOW
        return Refusal(f"Too many wrong passwords for this account. Try again in {_minutes(until)}.", until)
    address = await _recent(LoginFailure.client, client, since)
    if len(address) >= CLIENT_LIMIT:
        until = address[CLIENT_LIMIT - 1] + WINDOW
        return Refusal(f"Too many wrong passwords from this device. Try again in {_minutes(until)}.", until)
    return None


async def note_failure(username: str, client: str) -> None:
    """Count a wrong password (or unknown username); failures older than the window are dropped."""
    now = now_utc()
    await LoginFailure.delete().where(LoginFailure.at < now - WINDOW)
    await LoginFailure.insert(LoginFailure(at=now, username=account_key(username), client=client[:64]))


async def note_success(username: str) -> None:
    """The right password: the account's count starts again (the client's does not)."""
    await LoginFailure.delete().where(LoginFailure.username == account_key(username))
