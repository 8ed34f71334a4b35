"""Creating people and warehouses (the `kiosk` command today, the admin pages later). No HTTP."""

from __future__ import annotations

from collections.abc import Sequence

from piccolo.apps.user.tables import BaseUser

from kiosk.auth import MIN_PASSWORD_LENGTH, PLACEHOLDER_EMAIL_DOMAIN, AuthError
from kiosk.db import write_transaction
from kiosk.money import MoneyError, normalize_currency
from kiosk.tables import UserWarehouse, Warehouse


async def create_warehouse(name: str, currency: str) -> int:
    """A new warehouse; its receipts are numbered from 1 and priced in `currency`."""
    name = name.strip()
    if not name:
        raise AuthError("A warehouse needs a name.")
    try:
        code = normalize_currency(currency)
    except MoneyError as exc:
        raise AuthError(str(exc)) from exc
    if await Warehouse.exists().where(Warehouse.name == name):
        raise AuthError(f"A warehouse named {name!r} already exists.")
    rows = await Warehouse.insert(Warehouse(name=name, currency=code)).returning(Warehouse.id)
    return int(rows[0]["id"])


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
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
