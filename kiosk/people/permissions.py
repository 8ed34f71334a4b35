"""What a person may do beyond their role: today, take returns at the till.

An admin may always take returns; a cashier only when an admin allowed it on the users admin page
(`set_take_returns`, in the audit log). Domain only: no HTTP.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser

from kiosk.audit import trail as audit
from kiosk.db.engine import write_transaction
from kiosk.people import sql as people_sql
from kiosk.people.tables import UserPermission

NOT_ALLOWED_RETURNS = "You may not take returns. Ask an admin to allow it for you (Users)."


async def may_take_returns(user_id: int) -> bool:
    """Admins always; a cashier when allowed (an inactive account never). One query: a paid
    receipt's page asks it each time it is drawn."""
    rights = await people_sql.return_rights(user_id)
    return rights is not None and returns_allowed(rights["active"], rights["admin"], rights["allowed"])


def returns_allowed(active: object, admin: object, allowed: object) -> bool:
    """The rule of `may_take_returns` on a user's `active` and `admin` flags and whether their own
    row allows returns, for a caller that read them with its own rows (the receipt page)."""
    return bool(active) and bool(admin or allowed)


async def allowed_returns(user_ids: list[int]) -> set[int]:
    """Of these people, those whose own row allows returns (their role aside)."""
    rows = await UserPermission.select(UserPermission.user).where(
        UserPermission.user.is_in(user_ids or [0]) & (UserPermission.take_returns == True)  # noqa: E712
    )
    return {int(row["user"]) for row in rows}


async def set_take_returns(actor_id: int, user_id: int, allowed: bool) -> bool:
    """Allow or stop this person taking returns; False when nothing changed. Audited."""
    user = await BaseUser.select(BaseUser.username).where(BaseUser.id == user_id).first()
    if user is None:
        raise LookupError(f"user {user_id} does not exist")
    async with write_transaction(UserPermission._meta.db):
        row = await UserPermission.select(UserPermission.take_returns).where(UserPermission.user == user_id).first()
        before = bool(row and row["take_returns"])
        if before == allowed:
            return False
        if row is None:
            await UserPermission.insert(UserPermission(user=user_id, take_returns=allowed))
        else:
            await UserPermission.update({UserPermission.take_returns: allowed}).where(UserPermission.user == user_id)
        detail = {"take_returns": {"from": before, "to": allowed}}
        await audit.record(actor_id, "user.permissions", f"user {user['username']}", detail)
    return True
