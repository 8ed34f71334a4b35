"""/admin/users: the people who use the kiosk — create, choose warehouses, reset password, deactivate,
and see and clear their failed logins (the login limit's waits, kiosk/people/login_limit.py).

A refused form comes back with status 400, the message next to the field and what was typed still
there (passwords excepted); nothing is saved. Done -> back to the person's page with a note.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from kiosk.forms import FormErrors, see_other, text, texts
from kiosk.people import accounts as people
from kiosk.people import login_limit, permissions
from kiosk.people.auth import Login, now_utc

Admin = NamedDependency[Login]
AnyRequest = Request[Any, Any, Any]
# What the person's page says after a change (keys come from our own redirects only).
DONE = {
    "created": "Created. They can log in now.",
    "access": "Role and warehouses saved.",
    "password": "Password changed. Their sessions have ended: they log in with the new password.",
    "deactivated": "Deactivated. They were logged out and cannot log in.",
    "activated": "Reactivated. They can log in again.",
    "failures-cleared": "Failed logins cleared: no device has to wait to log in as them.",
    "returns-on": "They may take returns at the till now.",
    "returns-off": "They may no longer take returns.",
    "returns-same": "Nothing changed.",
}
LIST_DONE = {"address-cleared": "Failed logins from that address cleared: it may try again now."}


@dataclass(frozen=True)
class FailedFromView:
    """One row of a person's failed logins, in words: from where, how many, when, how long it waits."""

    client: str
    failures: int
    last: datetime
    last_ago: str
    slowed_until: datetime | None
    waits: str  # "" when the device may try now

    @classmethod
    def of(cls, seen: login_limit.FailedFrom | login_limit.Spray) -> FailedFromView:
        now = now_utc()
        waits = ""
        if seen.slowed_until is not None:
            waits = login_limit.wait_text((seen.slowed_until - now).total_seconds())
        ago = login_limit.wait_text((now - seen.last).total_seconds())
        return cls(seen.client, seen.failures, seen.last, f"{ago} ago", seen.slowed_until, waits)


@dataclass(frozen=True)
class Failures:
    """A person's failed logins in the last day, per device address."""

    rows: tuple[FailedFromView, ...]

    @property
    def total(self) -> int:
        return sum(row.failures for row in self.rows)

    @property
    def slowed(self) -> bool:
        return any(row.slowed_until is not None for row in self.rows)


def _failures(found: tuple[login_limit.FailedFrom, ...]) -> Failures:
    return Failures(tuple(FailedFromView.of(seen) for seen in found))


async def _person(user_id: int) -> people.Person:
    try:
        return await people.person(user_id)
    except people.PersonNotFound as exc:
        raise NotFoundException() from exc


async def _place_options() -> list[tuple[str, str]]:
    """(value, label) of each warehouse checkbox."""
    return [(str(place.id), place.name) for place in await people.places()]


async def _list_page(
    errors: dict[str, str] | None = None, typed: dict[str, Any] | None = None, done: str = "", address_error: str = ""
) -> Template:
    everyone = await people.people()
    by_account = await login_limit.failures_by_account()
    sprays = await login_limit.sprays()
    context = {
        "people": everyone,
        "failures": {p.id: _failures(by_account.get(login_limit.account_key(p.username), ())) for p in everyone},
        "sprays": [(spray, FailedFromView.of(spray)) for spray in sprays],
        "spray_accounts": login_limit.SPRAY_ACCOUNTS,
        "place_options": await _place_options(),
        "errors": errors or {},
        "typed": typed or {"role": "cashier", "warehouses": []},
        "flash": LIST_DONE.get(done, ""),
        "address_error": address_error,
    }
    return Template("admin/users.html", context=context, status_code=400 if errors or address_error else 200)


async def _person_page(admin: Login, user_id: int, *, failed: str = "", errors: dict[str, str] | None = None,
                       typed: dict[str, Any] | None = None, done: str = "") -> Template:  # fmt: skip
    someone = await _person(user_id)
    context = {
        "person": someone,
        "place_options": await _place_options(),
        "is_self": someone.id == admin.user_id,
        "failed": failed,
        "errors": errors or {},
        "typed": typed or {"role": someone.role, "warehouses": [str(i) for i in someone.warehouse_ids]},
        "flash": DONE.get(done, ""),
        "failures": _failures(await login_limit.account_failures(someone.username)),
        "free_tries": login_limit.FREE_TRIES,
        "takes_returns": someone.id in await permissions.allowed_returns([someone.id]),
    }
    return Template("admin/user.html", context=context, status_code=400 if errors else 200)


async def _change(
    admin: Login, user_id: int, action: Awaitable[None], *, failed: str, done: str, typed: dict[str, Any] | None = None
) -> Response[Any]:
    """Run a change to one person: refused -> their page with the messages by the form that failed."""
    try:
        await action
    except people.PersonNotFound as exc:
        raise NotFoundException() from exc
    except FormErrors as exc:
        return await _person_page(admin, user_id, failed=failed, errors=exc.errors, typed=typed)
    return see_other(f"/admin/users/{user_id}?done={done}")


class UsersController(Controller):
    """Cashiers and admins."""

    path = "/admin/users"

    @get("/", include_in_schema=False)
    async def index(self, done: FromQuery[str] = "") -> Template:
        return await _list_page(done=done)

    @post("/", include_in_schema=False)
    async def create(self, request: AnyRequest, admin: Admin) -> Response[Any]:
        form = await request.form()
        username, role, places = text(form, "username"), text(form, "role"), texts(form, "warehouses")
        password, again = text(form, "password"), text(form, "password_again")
        try:
            user_id = await people.create_person(admin.user_id, username, password, again, role, places)
        except FormErrors as exc:
            return await _list_page(exc.errors, {"username": username, "role": role, "warehouses": places})
        return see_other(f"/admin/users/{user_id}?done=created")

    @get("/{user_id:int}", include_in_schema=False)
    async def show(self, admin: Admin, user_id: FromPath[int], done: FromQuery[str] = "") -> Template:
        return await _person_page(admin, user_id, done=done)

    @post("/{user_id:int}/access", include_in_schema=False)
    async def access(self, request: AnyRequest, admin: Admin, user_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        role, places = text(form, "role"), texts(form, "warehouses")
        action = people.update_access(admin.user_id, user_id, role, places)
        typed = {"role": role, "warehouses": places}
        return await _change(admin, user_id, action, failed="access", done="access", typed=typed)

    @post("/{user_id:int}/password", include_in_schema=False)
    async def password(self, request: AnyRequest, admin: Admin, user_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        password, again = text(form, "password"), text(form, "password_again")
        action = people.reset_password(admin.user_id, user_id, password, again, keep_session=admin.session_id)
        return await _change(admin, user_id, action, failed="password", done="password")

    @post("/{user_id:int}/returns", include_in_schema=False)
    async def returns(self, request: AnyRequest, admin: Admin, user_id: FromPath[int]) -> Response[Any]:
        """Allow (box ticked) or stop this person taking returns at the till."""
        form = await request.form()
        allowed = text(form, "take_returns") == "on"
        try:
            changed = await permissions.set_take_returns(admin.user_id, user_id, allowed)
        except LookupError as exc:
            raise NotFoundException() from exc
        done = ("returns-on" if allowed else "returns-off") if changed else "returns-same"
        return see_other(f"/admin/users/{user_id}?done={done}#returns")

    @post("/{user_id:int}/failed-logins/clear", include_in_schema=False)
    async def clear_failures(self, admin: Admin, user_id: FromPath[int]) -> Response[Any]:
        """Lift every wait on this person's account (the audit log keeps the addresses)."""

        async def clear() -> None:
            await people.clear_login_failures(admin.user_id, user_id)

        return await _change(admin, user_id, clear(), failed="failures", done="failures-cleared")

    @post("/addresses/clear", include_in_schema=False)
    async def clear_address(self, request: AnyRequest, admin: Admin) -> Response[Any]:
        """Lift the wait of one address that tried many accounts (and its waits per account)."""
        form = await request.form()
        try:
            await people.clear_client_failures(admin.user_id, text(form, "address"))
        except FormErrors as exc:
            return await _list_page(address_error=exc.errors.get("_form", "Nothing was cleared."))
        return see_other("/admin/users?done=address-cleared")

    @post("/{user_id:int}/deactivate", include_in_schema=False)
    async def deactivate(self, admin: Admin, user_id: FromPath[int]) -> Response[Any]:
        action = people.set_active(admin.user_id, user_id, active=False)
        return await _change(admin, user_id, action, failed="active", done="deactivated")

    @post("/{user_id:int}/activate", include_in_schema=False)
    async def activate(self, admin: Admin, user_id: FromPath[int]) -> Response[Any]:
        action = people.set_active(admin.user_id, user_id, active=True)
        return await _change(admin, user_id, action, failed="active", done="activated")
