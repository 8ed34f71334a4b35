"""Helpers for the admin Payments page tests: an admin's browser on the served kiosk, a card
payment taken through the simulator, and what the audit log and the page say."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from kiosk.audit.tables import AuditEntry
from kiosk.payments.tables import Payment
from tests.kiosk_support import make_user, post_form
from tests.payments_support import Kiosk, wait_state

ADMIN = "boss"


@asynccontextmanager
async def admin_browser(kiosk: Kiosk) -> AsyncIterator[httpx.AsyncClient]:
    """A browser logged in as an admin (created on first use)."""
    if not await _exists(ADMIN):
        await make_user(ADMIN, admin=True, warehouses=())
    async with kiosk.cashier(ADMIN) as client:
        yield client


async def _exists(username: str) -> bool:
    from piccolo.apps.user.tables import BaseUser

    return bool(await BaseUser.exists().where(BaseUser.username == username))


async def paid(kiosk: Kiosk, amount: str = "10.00", *, states: tuple[str, ...] = ("succeeded",)) -> Payment:
    """A receipt of `amount` paid by a Visa tap; waits until the payment is in one of `states`."""
    cents = int(amount.replace(".", ""))
    receipt = await kiosk.receipt(amount)
    started = await kiosk.start(receipt, amount=cents)
    await kiosk.tap(kiosk.readers[0])
    return await wait_state(started.id, *states)


async def save_policy(client: httpx.AsyncClient, mode: str, manual: str = "now", cancellation: bool = True) -> Any:
    form = {"capture_mode": mode, "manual_capture": manual}
    if cancellation:
        form["customer_cancellation"] = "on"
    return await post_form(client, "/admin/payments/settings", form)


async def audit_log(action_prefix: str = "payment.") -> list[dict[str, Any]]:
    rows = (
        await AuditEntry.select(AuditEntry.actor_name, AuditEntry.action, AuditEntry.subject, AuditEntry.detail)
        .where(AuditEntry.action.like(f"{action_prefix}%"))
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    return list(rows)


def tagged(html: str, testid: str) -> list[str]:
    """The opening tags carrying data-testid=`testid`, in page order."""
    return re.findall(rf'<[^>]*data-testid="{re.escape(testid)}"[^>]*>', html)


def attr(tag: str, name: str) -> str | None:
    found = re.search(rf'{re.escape(name)}="([^"]*)"', tag)
    return found.group(1) if found else None


def message_of(html: str, testid: str) -> str:
    """The text of the element carrying data-testid=`testid` (up to its first child tag)."""
    start = html.index(f'data-testid="{testid}"')
    return html[html.index(">", start) + 1 : html.index("<", start)]
