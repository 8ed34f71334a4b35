"""Reading and writing admin settings by name; secret ones pass through the SecretBox.

Every write also bumps one revision number in the same transaction, so each kiosk process (there
may be several behind a load balancer) notices a change with one tiny query and reloads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiosk.db import sql
from kiosk.db.engine import write_transaction
from kiosk.db.secret_box import SecretBox, UnreadableSecret
from kiosk.db.tables import Setting

REVISION = "kiosk.revision"


@dataclass(frozen=True)
class Stored:
    """Values read by name; `unreadable` names exist but could not be decrypted."""

    values: dict[str, str] = field(default_factory=dict)
    unreadable: frozenset[str] = frozenset()

    def get(self, name: str) -> str | None:
        return self.values.get(name)


async def read(names: Iterable[str], box: SecretBox) -> Stored:
    rows = await Setting.select(Setting.name, Setting.value, Setting.encrypted).where(Setting.name.is_in(list(names)))
    values: dict[str, str] = {}
    unreadable: set[str] = set()
    for row in rows:
        try:
            values[row["name"]] = box.open(row["name"], row["value"]) if row["encrypted"] else row["value"]
        except UnreadableSecret:
            unreadable.add(row["name"])
    return Stored(values, frozenset(unreadable))


async def _put(name: str, value: str, encrypted: bool, actor_id: int | None) -> None:
    fields: dict[Any, Any] = {Setting.value: value, Setting.encrypted: encrypted, Setting.updated_at: datetime.now(UTC)}
    if await Setting.exists().where(Setting.name == name):
        await Setting.update({**fields, Setting.updated_by: actor_id}).where(Setting.name == name)
    else:
        await Setting.insert(Setting(name=name, value=value, encrypted=encrypted, updated_by=actor_id))


async def bump_revision() -> None:
    """Tell every process that settings changed (call inside the writing transaction)."""
    rows = await Setting.select(Setting.value).where(Setting.name == REVISION)
    await _put(REVISION, str(int(rows[0]["value"]) + 1 if rows else 1), False, None)


# Written in the same transaction as the change it describes (kiosk.audit.record).
AuditWrite = Callable[[], Awaitable[None]]


async def write(
    changes: Mapping[str, str | None],
    box: SecretBox,
    *,
    secret: Iterable[str] = (),
    actor_id: int | None = None,
    audit: AuditWrite | None = None,
) -> None:
    """Store each value (None deletes it); names in `secret` are encrypted first. All or nothing,
    audit entry included."""
    secret_names = set(secret)
    async with write_transaction(Setting._meta.db):
        for name, value in changes.items():
            if value is None:
                await Setting.delete().where(Setting.name == name)
            elif name in secret_names:
                await _put(name, box.seal(name, value), True, actor_id)
            else:
                await _put(name, value, False, actor_id)
        await bump_revision()
        if audit is not None:
            await audit()


# Read by every process every few seconds (kiosk/payments/runtime.py CHECK_SECONDS), idle or not:
# hand-written (kiosk/db/sql.py), as building Piccolo's query cost several times the read itself.
REVISION_SQL = 'SELECT "value" FROM kiosk_setting WHERE "name" = {}'


async def revision() -> int:
    value = await sql.fetch_value(REVISION_SQL, REVISION)
    return int(value) if value is not None else 0
