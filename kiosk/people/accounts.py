"""People, as admins manage them: create cashiers and admins, choose their warehouses, reset their
passwords, deactivate them. Domain only (no HTTP); every change goes into the audit log.

A refused change raises FormErrors (a message per field) and saves nothing. Sessions end when a
person is deactivated or their password is reset, so whoever was logged in as them is out at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.apps.user.tables import BaseUser

from kiosk.audit import trail as audit
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors, collected, field_error
from kiosk.people import login_limit
from kiosk.people.auth import PLACEHOLDER_EMAIL_DOMAIN, AuthError
from kiosk.people.passwords import password_problem
from kiosk.people.tables import Session, UserWarehouse
from kiosk.shop.tables import Warehouse

ROLES = ("cashier", "admin")
MAX_USERNAME = 100


class PersonNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Place:
    id: int
    name: str


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    is_admin: bool
    active: bool
    warehouses: tuple[Place, ...]
    last_login: datetime | None

    @property
    def role(self) -> str:
        return "admin" if self.is_admin else "cashier"

    @property
    def warehouse_ids(self) -> set[int]:
        return {w.id for w in self.warehouses}


async def places() -> list[Place]:
    """Every warehouse, by name: the choices of the warehouse checkboxes."""
    rows = await Warehouse.select(Warehouse.id, Warehouse.name).order_by(Warehouse.name)
    return [Place(row["id"], row["name"]) for row in rows]


async def people() -> list[Person]:
    """Everyone, active people first, by username."""
    links = await UserWarehouse.select(UserWarehouse.user, UserWarehouse.warehouse.id, UserWarehouse.warehouse.name)
    where: dict[int, list[Place]] = {}
    for link in sorted(links, key=lambda row: row["warehouse.name"]):
        where.setdefault(link["user"], []).append(Place(link["warehouse.id"], link["warehouse.name"]))
    rows = await BaseUser.select(
        BaseUser.id, BaseUser.username, BaseUser.admin, BaseUser.active, BaseUser.last_login
    ).order_by(BaseUser.username)
    found = [
        Person(
            r["id"], r["username"], bool(r["admin"]), bool(r["active"]), tuple(where.get(r["id"], ())), r["last_login"]
        )
        for r in rows
    ]
    return sorted(found, key=lambda p: not p.active)


async def person(user_id: int) -> Person:
    for someone in await people():
        if someone.id == user_id:
            return someone
    raise PersonNotFound(user_id)


def _username_problem(username: str) -> str | None:
    if not username:
        return "Enter a username."
    if any(ch.isspace() for ch in username) or len(username) > MAX_USERNAME:
        return f"A username is 1 to {MAX_USERNAME} characters without spaces."
    return None


def _password_problems(password: str, again: str, username: str) -> dict[str, str]:
    if problem := password_problem(password, username):
        return {"password": problem}
    if password != again:
        return {"password_again": "The two passwords differ. Type the same password twice."}
    return {}


def _role_problem(role: str) -> str | None:
    return None if role in ROLES else "Choose cashier or admin."


async def _chosen_places(raw_ids: Sequence[str]) -> list[Place]:
    """The warehouses ticked on the form; an id that is not a warehouse is refused."""
    known = {str(p.id): p for p in await places()}
    unknown = [raw for raw in raw_ids if raw not in known]
    if unknown:
        raise field_error("warehouses", "One of the chosen warehouses no longer exists. Reload the page.")
    return sorted({known[raw] for raw in raw_ids}, key=lambda p: p.name)


async def _username_taken(username: str) -> bool:
    rows = await BaseUser.select(BaseUser.username)
    return any(str(row["username"]).lower() == username.lower() for row in rows)


async def create_person(
    actor_id: int, username: str, password: str, password_again: str, role: str, warehouse_ids: Sequence[str]
) -> int:
    """A new active cashier or admin; returns the user id."""
    username = username.strip()
    errors = _password_problems(password, password_again, username)
    if problem := _username_problem(username):
        errors["username"] = problem
    elif await _username_taken(username):
        errors["username"] = f"The username {username} is taken. Choose another."
    if problem := _role_problem(role):
        errors["role"] = problem
    with collected(errors):
        chosen = await _chosen_places(warehouse_ids)
    if errors:
        raise FormErrors(errors)
    user = BaseUser(  # type: ignore[no-untyped-call]  # Piccolo's constructor is unannotated
        username=username,
        password=password,
        email=f"{username}@{PLACEHOLDER_EMAIL_DOMAIN}",
        active=True,
        admin=role == "admin",
    )
    async with write_transaction(BaseUser._meta.db):
        if await _username_taken(username):  # again under the write lock: another admin may have just added it
            raise field_error("username", f"The username {username} is taken. Choose another.")
        await user.save()
        user_id = int(user.id)
        if chosen:
            await UserWarehouse.insert(*(UserWarehouse(user=user_id, warehouse=p.id) for p in chosen))
        detail = {"role": role, "warehouses": [p.name for p in chosen]}
        await audit.record(actor_id, "user.create", f"user {username}", detail)
    return user_id


async def update_access(actor_id: int, user_id: int, role: str, warehouse_ids: Sequence[str]) -> None:
    """Set the person's role and the warehouses they may work at."""
    someone = await person(user_id)
    if problem := _role_problem(role):
        raise field_error("role", problem)
    if user_id == actor_id and role != "admin":
        raise field_error("role", "You cannot take away your own admin role: ask another admin.")
    chosen = await _chosen_places(warehouse_ids)
    detail = {
        "role": {"from": someone.role, "to": role},
        "warehouses": {"from": [p.name for p in someone.warehouses], "to": [p.name for p in chosen]},
    }
    async with write_transaction(BaseUser._meta.db):
        await BaseUser.update({BaseUser.admin: role == "admin"}).where(BaseUser.id == user_id)
        await UserWarehouse.delete().where(UserWarehouse.user == user_id)
        if chosen:
            await UserWarehouse.insert(*(UserWarehouse(user=user_id, warehouse=p.id) for p in chosen))
        await audit.record(actor_id, "user.access", f"user {someone.username}", detail)


async def reset_password(
    actor_id: int, user_id: int, password: str, password_again: str, keep_session: int | None = None
) -> None:
    """A new password; the person's sessions end, except `keep_session` (an admin changing their own
    password stays logged in on the page they did it from). Their failed logins are forgotten: the
    slowdown was there to stop guessing the old password."""
    someone = await person(user_id)
    if errors := _password_problems(password, password_again, someone.username):
        raise FormErrors(errors)
    async with write_transaction(BaseUser._meta.db):
        await BaseUser.update_password(user_id, password)
        await Session.delete().where((Session.user == user_id) & (Session.id != (keep_session or 0)))
        cleared = await login_limit.clear_account(someone.username)
        await audit.record(actor_id, "user.password_reset", f"user {someone.username}", _cleared(cleared))


def _cleared(clients: Sequence[str]) -> dict[str, Any]:
    """The audit detail of failed logins forgotten: from which addresses (none: nothing to add)."""
    return {"failed_logins_cleared_from": list(clients)} if clients else {}


async def clear_login_failures(actor_id: int, user_id: int) -> list[str]:
    """Forget the person's failed logins from every device, lifting any wait; returns the addresses."""
    someone = await person(user_id)
    async with write_transaction(BaseUser._meta.db):
        cleared = await login_limit.clear_account(someone.username)
        await audit.record(actor_id, "user.login_failures_clear", f"user {someone.username}", _cleared(cleared))
    return cleared


async def clear_client_failures(actor_id: int, client: str) -> int:
    """Forget every failed login from one address (a spray, or a shop's shared address); returns how many."""
    client = client.strip()
    if not client:
        raise field_error("_form", "Which address? Reload the page.")
    async with write_transaction(BaseUser._meta.db):
        count = await login_limit.clear_client(client)
        await audit.record(actor_id, "user.address_clear", f"address {client}", {"failed_logins": count})
    return count


async def set_active(actor_id: int, user_id: int, active: bool) -> None:
    """Deactivate (their sessions end, they cannot log in) or reactivate a person."""
    someone = await person(user_id)
    if user_id == actor_id and not active:
        raise field_error("_form", "You cannot deactivate yourself: ask another admin.")
    async with write_transaction(BaseUser._meta.db):
        await BaseUser.update({BaseUser.active: active}).where(BaseUser.id == user_id)
        if not active:
            await Session.delete().where(Session.user == user_id)
        action = "user.activate" if active else "user.deactivate"
        await audit.record(actor_id, action, f"user {someone.username}")


# The `kiosk create-user` command: a first admin before any page can be used.


async def _warehouse_ids(names: Sequence[str]) -> list[int]:
    wanted = {name.strip() for name in names}
    rows = await Warehouse.select(Warehouse.id, Warehouse.name).where(Warehouse.name.is_in(list(wanted or {""})))
    found = {row["name"]: int(row["id"]) for row in rows}
    missing = sorted(wanted - found.keys())
    if missing:
        raise AuthError(
            f"No warehouse named {', '.join(map(repr, missing))} (create it first: kiosk create-warehouse)."
        )
    return [found[name] for name in sorted(wanted)]


def _check_new_user(username: str, password: str) -> None:
    if not username or any(ch.isspace() for ch in username) or len(username) > 100:
        raise AuthError("A username is 1 to 100 characters without spaces.")
    if problem := password_problem(password, username):
        raise AuthError(problem)
    try:
        BaseUser._validate_password(password)  # Piccolo's own limits (length, not already hashed)
    except ValueError as exc:
        raise AuthError(str(exc)) from exc


async def create_user(
    username: str,
    password: str,
    *,
    admin: bool = False,
    warehouses: Sequence[str] = (),
    email: str | None = None,
) -> int:
    """An active cashier (or admin) who may work at the named warehouses; returns the user id."""
    username = username.strip()
    _check_new_user(username, password)
    if await BaseUser.exists().where(BaseUser.username == username):
        raise AuthError(f"The username {username!r} is taken.")
    warehouse_ids = await _warehouse_ids(warehouses) if warehouses else []
    user = BaseUser(  # type: ignore[no-untyped-call]  # Piccolo's constructor is unannotated
        username=username,
        password=password,
        email=email or f"{username}@{PLACEHOLDER_EMAIL_DOMAIN}",
        active=True,
        admin=admin,
    )
    async with write_transaction(BaseUser._meta.db):
        await user.save()
        if warehouse_ids:
            await UserWarehouse.insert(*(UserWarehouse(user=user.id, warehouse=wid) for wid in warehouse_ids))
    return int(user.id)
