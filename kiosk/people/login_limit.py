"""The login limit: guessing is slowed down, the right password is never locked out.

The rule, per login attempt (an account is the username as typed, lowercased; unknown names count
too, so the answers never tell which accounts exist; a client is the browser's address, read
through KIOSK_TRUSTED_PROXIES, see kiosk/people/guards.py: client_address):

1. **Per account and client.** FREE_TRIES wrong passwords for one account from one client, and that
   client must wait before it may try that account again: FIRST_DELAY after the last failure, twice
   as long after each further failure (30 s, 1, 2, 4, 8 minutes), at most MAX_DELAY (15 minutes).
   The page says how long, and warns one try before. Failures are remembered for MEMORY (a day),
   so a patient guesser stays at one try per 15 minutes (about a hundred a day), hopeless against
   the passwords kiosk/people/passwords.py accepts. The account is *not* locked: the right password
   from any other client logs in at once. The client's count is cleared by its own success, and the
   account's counts from every client by a password reset or by an admin on the users admin.
2. **A spray from one client.** A client whose wrong passwords within SPRAY_WINDOW (an hour) name
   SPRAY_ACCOUNTS (10) or more different accounts is trying account after account (one common
   password each, say), which rule 1 alone would let through. It must wait SPRAY_FIRST_DELAY after
   its last failure, twice as long for each further account, at most MAX_DELAY, before trying an
   account *that browser has not logged in to before*. A browser that has logged in as the person
   (a signed cookie set at each login, kiosk/people/controllers/login.py) is let through, so the
   tills sharing one address (a shop's router, a load balancer not yet trusted) are not locked out
   by a spray from that address: every cashier's own tablet knows them. Only a first login on a
   new device waits, and an admin can clear the address on the users admin.

Attempts refused while a client waits are not counted (the password is not even checked), so
waiting out the delay is always enough. What the rule does not stop: a guess at one account from
many addresses gets FREE_TRIES per address; against that stand the password rule and the audit of
failures on the users admin. The tills behind one address share rule 1's count per account: someone
guessing Ann's password from the shop's own network slows Ann down at that shop (not elsewhere,
and not the other cashiers) until an admin clears it.

Failures live in the database (LoginFailure), so the rule holds across restarts and across the
kiosk servers behind a load balancer; rows older than MEMORY are dropped as new ones come.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kiosk.people.auth import now_utc
from kiosk.people.tables import LoginFailure

FREE_TRIES = 5  # wrong passwords for one account from one client before it must wait
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
MEMORY = timedelta(days=1)  # how long a failure counts (and is shown on the users admin)
SPRAY_WINDOW = timedelta(hours=1)
SPRAY_ACCOUNTS = 10  # different accounts failed from one client within SPRAY_WINDOW
SPRAY_FIRST_DELAY = timedelta(minutes=1)
MAX_CLIENT = 64  # characters of an address kept (an IPv6 address is at most 45)


@dataclass(frozen=True)
class Refusal:
    """Why a login is refused now, and until when."""

    message: str
    until: datetime

    @property
    def retry_after_seconds(self) -> int:
        return max(int((self.until - now_utc()).total_seconds()) + 1, 1)


@dataclass(frozen=True)
class FailedFrom:
    """An account's recent wrong passwords from one client, as the users admin shows them."""

    client: str
    failures: int
    last: datetime
    slowed_until: datetime | None  # the client must wait until then (None: it may try now)


@dataclass(frozen=True)
class Spray:
    """A client that has tried many accounts (rule 2)."""

    client: str
    accounts: int
    failures: int
    last: datetime
    slowed_until: datetime | None


def account_key(username: str) -> str:
    return username.strip().lower()[:100]


def _client(client: str) -> str:
    return client[:MAX_CLIENT]


def _doubling(first: timedelta, steps: int) -> timedelta:
    doubled: timedelta = first * (1 << min(max(steps, 0), 16))
    return min(doubled, MAX_DELAY)


def pair_delay(failures: int) -> timedelta | None:
    """Rule 1: how long a client waits after its last failure, after `failures` of them."""
    return None if failures < FREE_TRIES else _doubling(FIRST_DELAY, failures - FREE_TRIES)


def spray_delay(accounts: int) -> timedelta | None:
    """Rule 2: how long a client that failed on `accounts` different accounts waits."""
    return None if accounts < SPRAY_ACCOUNTS else _doubling(SPRAY_FIRST_DELAY, accounts - SPRAY_ACCOUNTS)


def wait_text(seconds: float) -> str:
    """`30 seconds`, `1 minute`, `15 minutes`: rounded up, so nobody is told to come back too early."""
    whole = max(int(-(-seconds // 1)), 1)
    if whole < 60:
        return "1 second" if whole == 1 else f"{whole} seconds"
    minutes = -(-whole // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _until(last: datetime, delay: timedelta | None) -> datetime | None:
    return last + delay if delay is not None else None


async def _rows(where: Any, since: timedelta) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await LoginFailure.select(
        LoginFailure.username, LoginFailure.client, LoginFailure.at
    ).where(where & (LoginFailure.at > now_utc() - since))
    return rows


def _pair_until(times: list[datetime]) -> datetime | None:
    return _until(max(times), pair_delay(len(times))) if times else None


def _spray_until(rows: Iterable[dict[str, Any]]) -> datetime | None:
    rows = list(rows)
    if not rows:
        return None
    return _until(max(row["at"] for row in rows), spray_delay(len({row["username"] for row in rows})))


async def refusal(username: str, client: str, *, known_browser: bool = False) -> Refusal | None:
    """A Refusal while this client must wait before trying this account, else None.

    `known_browser`: the browser has logged in as this account before (rule 2 lets it through)."""
    now = now_utc()
    account, client = account_key(username), _client(client)
    pair = await _rows((LoginFailure.username == account) & (LoginFailure.client == client), MEMORY)
    until = _pair_until([row["at"] for row in pair])
    if until is not None and until > now:
        wait = wait_text((until - now).total_seconds())
        return Refusal(
            f"Too many wrong passwords for this account from this device. Wait {wait} before trying again."
            " Other devices can still log in to it, and an admin can lift the wait on the Users page.",
            until,
        )
    if not known_browser:
        until = _spray_until(await _rows(LoginFailure.client == client, SPRAY_WINDOW))
        if until is not None and until > now:
            wait = wait_text((until - now).total_seconds())
            return Refusal(
                f"Too many wrong passwords for different accounts from this device. Wait {wait} before"
                " trying again, or log in on a device you have used before.",
                until,
            )
    return None


async def note_failure(username: str, client: str) -> str:
    """Count a wrong password (or unknown username) and say so, with the wait it starts or the
    warning that the next failure starts one. Failures older than MEMORY are dropped."""
    now = now_utc()
    account, client = account_key(username), _client(client)
    await LoginFailure.delete().where(LoginFailure.at < now - MEMORY)
    await LoginFailure.insert(LoginFailure(at=now, username=account, client=client))
    pair = await _rows((LoginFailure.username == account) & (LoginFailure.client == client), MEMORY)
    failures = len(pair)
    said = "Wrong username or password."
    if (delay := pair_delay(failures)) is not None:
        wait = wait_text(delay.total_seconds())
        return f"{said} Too many wrong passwords for this account from this device: wait {wait} before trying again."
    if (delay := pair_delay(failures + 1)) is not None:
        wait = wait_text(delay.total_seconds())
        return f"{said} One more wrong password and this device must wait {wait} before trying this account again."
    return said


async def note_success(username: str, client: str) -> None:
    """The right password: this client's count for the account starts again (other clients' do not:
    someone guessing elsewhere stays slowed down)."""
    await LoginFailure.delete().where(
        (LoginFailure.username == account_key(username)) & (LoginFailure.client == _client(client))
    )


def _by_client(rows: Iterable[dict[str, Any]]) -> tuple[FailedFrom, ...]:
    times: dict[str, list[datetime]] = defaultdict(list)
    for row in rows:
        times[row["client"]].append(row["at"])
    now = now_utc()
    found = []
    for client, at in times.items():
        until = _pair_until(at)
        found.append(FailedFrom(client, len(at), max(at), until if until is not None and until > now else None))
    return tuple(sorted(found, key=lambda f: f.last, reverse=True))


async def failures_by_account() -> dict[str, tuple[FailedFrom, ...]]:
    """Every account's recent failures (within MEMORY), per client, keyed by `account_key`."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in await _rows(LoginFailure.id > 0, MEMORY):
        rows[row["username"]].append(row)
    return {account: _by_client(found) for account, found in rows.items()}


async def account_failures(username: str) -> tuple[FailedFrom, ...]:
    """One account's recent failures, per client, the latest first."""
    return _by_client(await _rows(LoginFailure.username == account_key(username), MEMORY))


async def sprays() -> list[Spray]:
    """The clients that reached rule 2 within SPRAY_WINDOW, the latest first."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in await _rows(LoginFailure.id > 0, SPRAY_WINDOW):
        rows[row["client"]].append(row)
    now = now_utc()
    found = []
    for client, mine in rows.items():
        accounts = len({row["username"] for row in mine})
        if accounts < SPRAY_ACCOUNTS:
            continue
        until = _spray_until(mine)
        last = max(row["at"] for row in mine)
        found.append(Spray(client, accounts, len(mine), last, until if until is not None and until > now else None))
    return sorted(found, key=lambda s: s.last, reverse=True)


async def clear_account(username: str) -> list[str]:
    """Forget the account's failures from every client; returns those clients (for the audit log)."""
    account = account_key(username)
    rows = await LoginFailure.select(LoginFailure.client).where(LoginFailure.username == account)
    await LoginFailure.delete().where(LoginFailure.username == account)
    return sorted({str(row["client"]) for row in rows})


async def clear_client(client: str) -> int:
    """Forget every failure from this client (whatever the account); returns how many there were."""
    client = _client(client)
    count = int(await LoginFailure.count().where(LoginFailure.client == client))
    await LoginFailure.delete().where(LoginFailure.client == client)
    return count
