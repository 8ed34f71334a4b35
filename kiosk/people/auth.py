"""Who is at the till: users, passwords, database sessions and the warehouse they work at.

Routes declare `login: Login` (any logged-in person) or `till: Till` (logged in *and* working at a
chosen warehouse); both are app-level dependencies (see kiosk.people.guards). Domain code only: no HTTP.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from piccolo.apps.user.tables import BaseUser

from kiosk.db.engine import write_transaction
from kiosk.people import sql
from kiosk.people.tables import Session, UserWarehouse
from kiosk.shop.tables import Warehouse

# A till left alone this long asks for the password again; no session outlives the absolute limit.
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# `last_seen_at` is written at most this often, so a busy till is not a write per click.
TOUCH_INTERVAL = timedelta(minutes=1)
# Piccolo's BaseUser needs a unique email; people created without one get a reserved-domain address.
PLACEHOLDER_EMAIL_DOMAIN = "users.kiosk.invalid"


class AuthError(ValueError):
    """A refused user change; the message is for the person doing it."""


@dataclass(frozen=True)
class WarehouseRef:
    id: int
    name: str
    currency: str
    # How amounts are written and read there ("en_US", "de_DE"): kiosk/money/amounts.py.
    locale: str = "en_US"


@dataclass(frozen=True)
class Login:
    """A valid session: who, and the warehouse chosen so far (None until chosen)."""

    session_id: int
    user_id: int
    username: str
    is_admin: bool
    warehouse: WarehouseRef | None
    # The user was linked to that warehouse when the session was read (admins may work anywhere).
    may_work_here: bool = False


@dataclass(frozen=True)
class Till:
    """A logged-in person working at a warehouse they are allowed to use."""

    session_id: int
    user_id: int
    username: str
    is_admin: bool
    warehouse: WarehouseRef


def now_utc() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def authenticate(username: str, password: str) -> int | None:
    """The user's id when the password matches an active account, else None."""
    user_id: int | None = await BaseUser.login(username=username.strip(), password=password)
    if user_id is None:
        return None
    active = await BaseUser.exists().where((BaseUser.id == user_id) & (BaseUser.active == True))  # noqa: E712
    return user_id if active else None


async def warehouses_for(user_id: int, is_admin: bool) -> list[WarehouseRef]:
    """Warehouses this person may work at: all of them for an admin, their own for a cashier."""
    query = Warehouse.select(Warehouse.id, Warehouse.name, Warehouse.currency, Warehouse.locale).order_by(
        Warehouse.name
    )
    if not is_admin:
        linked = await UserWarehouse.select(UserWarehouse.warehouse).where(UserWarehouse.user == user_id)
        if not linked:
            return []
        query = query.where(Warehouse.id.is_in([row["warehouse"] for row in linked]))
    return [WarehouseRef(row["id"], row["name"], row["currency"], row["locale"]) for row in await query]


async def start_session(user_id: int, replaced_token: str | None = None) -> str:
    """A fresh random token for a login; whatever session the browser had before is ended, so a
    token planted before login is worth nothing after it (no session fixation)."""
    is_admin = bool(await BaseUser.exists().where((BaseUser.id == user_id) & (BaseUser.admin == True)))  # noqa: E712
    allowed = await warehouses_for(user_id, is_admin)
    token = secrets.token_urlsafe(32)
    now = now_utc()
    async with write_transaction(Session._meta.db):
        if replaced_token:
            await Session.delete().where(Session.token_hash == hash_token(replaced_token))
        # Housekeeping: sessions past their absolute end are never coming back.
        await Session.delete().where(Session.expires_at < now)
        await Session.insert(
            Session(
                token_hash=hash_token(token),
                user=user_id,
                # With a single choice there is nothing to pick: go straight to the till.
                warehouse=allowed[0].id if len(allowed) == 1 else None,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE_TIMEOUT,
            )
        )
    return token


async def end_session(token: str) -> None:
    await Session.delete().where(Session.token_hash == hash_token(token))


async def load_login(token: str, activity: bool = True) -> Login | None:
    """The session behind a cookie token, or None when unknown, expired or idle too long.

    `activity=False` (background polls) checks the session without counting as activity."""
    row = await sql.session_row(hash_token(token))
    if row is None:
        return None
    now = now_utc()
    if not row["user.active"] or now >= row["expires_at"] or now - row["last_seen_at"] >= IDLE_TIMEOUT:
        await Session.delete().where(Session.id == row["id"])
        return None
    if activity and now - row["last_seen_at"] >= TOUCH_INTERVAL:
        await Session.update({Session.last_seen_at: now}).where(Session.id == row["id"])
    warehouse = None
    if row["warehouse.id"] is not None:
        warehouse = WarehouseRef(
            row["warehouse.id"], row["warehouse.name"], row["warehouse.currency"], row["warehouse.locale"]
        )
    linked = warehouse is not None and bool(row["linked"])
    return Login(row["id"], row["user.id"], row["user.username"], bool(row["user.admin"]), warehouse, linked)


async def till_for(login: Login) -> Till | None:
    """The till of a login that has chosen a warehouse it may still use (links can be removed)."""
    warehouse = login.warehouse
    if warehouse is None:
        return None
    if not login.is_admin and not login.may_work_here:
        return None
    return Till(login.session_id, login.user_id, login.username, login.is_admin, warehouse)


async def choose_warehouse(login: Login, warehouse_id: int) -> bool:
    """Work at this warehouse from now on; False when this person may not."""
    allowed = {w.id for w in await warehouses_for(login.user_id, login.is_admin)}
    if warehouse_id not in allowed:
        return False
    await Session.update({Session.warehouse: warehouse_id}).where(Session.id == login.session_id)
    return True
