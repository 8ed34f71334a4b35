"""The audit log: every setting change, refund, capture and cancel made by a person.

    await record(admin.user_id, "warehouse.rename", "warehouse Main", {"from": "Main", "to": "Shop"})

`action` is a dotted "area.verb" (the area is what the log page filters on); `subject` names what
changed as people call it; `detail` holds before/after values. Called inside a transaction, the
entry is written in it (Piccolo joins the running transaction), so it is kept exactly when the
change is. Secrets never reach the log: Stripe keys in `detail` are cut down to their prefix and
last four characters, and anything filed under a password-like name is hidden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.apps.user.tables import BaseUser

from kiosk.audit.tables import AuditEntry

PAGE_SIZE = 50
HIDDEN = "(hidden)"
# sk_/rk_ API keys and whsec_ signing secrets; their last four characters are enough to tell them apart.
_SECRET = re.compile(r"\b((?:sk|rk)_(?:test|live)_|whsec_)([A-Za-z0-9]{4,})([A-Za-z0-9]{4})\b")
_SECRET_NAMES = ("password", "passwd")


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor_name: str
    action: str
    subject: str
    detail: dict[str, Any]

    @property
    def area(self) -> str:
        return self.action.split(".", 1)[0]


def mask_secrets(value: Any, name: str = "") -> Any:
    """The value with every secret masked, recursively through dicts and lists."""
    if any(word in name.lower() for word in _SECRET_NAMES):
        return HIDDEN
    if isinstance(value, str):
        return _SECRET.sub(lambda m: f"{m.group(1)}…{m.group(3)}", value)
    if isinstance(value, dict):
        return {str(k): mask_secrets(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(v, name) for v in value]
    return value


async def _username(user_id: int) -> str | None:
    row = await BaseUser.select(BaseUser.username).where(BaseUser.id == user_id).first()
    return str(row["username"]) if row else None


async def record(actor_id: int, action: str, subject: str, detail: dict[str, Any] | None = None) -> None:
    """Write one entry; `actor_id` is the person (BaseUser id) who made the change."""
    name = await _username(actor_id)
    await AuditEntry.insert(
        AuditEntry(
            actor=actor_id if name is not None else None,
            actor_name=name or f"user #{actor_id}",
            action=action[:64],
            subject=mask_secrets(subject)[:200],
            detail=mask_secrets(detail or {}),
        )
    )


async def entries(*, before: int | None = None, area: str = "", actor: int | None = None) -> list[AuditView]:
    """Newest first, one page (PAGE_SIZE) older than entry `before`, optionally one area or person."""
    query = AuditEntry.select(
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.actor_name,
        AuditEntry.action,
        AuditEntry.subject,
        AuditEntry.detail,
    )
    if before is not None:
        query = query.where(AuditEntry.id < before)
    if area:
        query = query.where(AuditEntry.action.like(f"{area}.%"))
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    rows = await query.order_by(AuditEntry.id, ascending=False).limit(PAGE_SIZE).output(load_json=True)
    return [AuditView(r["id"], r["at"], r["actor_name"], r["action"], r["subject"], r["detail"] or {}) for r in rows]


async def areas() -> list[str]:
    """The areas that have entries, for the log page's filter."""
    rows = await AuditEntry.select(AuditEntry.action).distinct()
    return sorted({str(r["action"]).split(".", 1)[0] for r in rows})
