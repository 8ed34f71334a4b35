"""The permission to take returns, as an admin sets it on a person's page: a cashier has it only
when allowed, an admin always; every change is in the audit log; the till follows at once."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser

from kiosk.audit.tables import AuditEntry
from kiosk.people.permissions import may_take_returns, set_take_returns
from tests.admin_support import ADMIN, Client
from tests.kiosk_support import log_in, make_user, post_form


def ticked(page: str) -> bool:
    return bool(re.search(r'data-testid="take-returns"\s+checked', page))


async def test_admin_allows_a_cashier_to_take_returns_then_takes_it_back(
    app: Litestar, admin_client: Client, cashier: int
) -> None:
    page = (await admin_client.get(f"/admin/users/{cashier}")).text
    assert 'data-testid="returns-form"' in page and not ticked(page)
    async with AsyncTestClient(app=app) as till:
        till.follow_redirects = False
        assert (await log_in(till, "cashier")).status_code == 303
        assert (await till.get("/returns")).status_code == 403
        allowed = await post_form(admin_client, f"/admin/users/{cashier}/returns", {"take_returns": "on"})
        assert allowed.status_code == 303
        page = (await admin_client.get(allowed.headers["location"])).text
        assert ticked(page) and "They may take returns at the till now." in page
        assert (await till.get("/returns")).status_code == 200
        again = await post_form(admin_client, f"/admin/users/{cashier}/returns", {"take_returns": "on"})
        assert "Nothing changed." in (await admin_client.get(again.headers["location"])).text
        stopped = await post_form(admin_client, f"/admin/users/{cashier}/returns", {})
        assert "They may no longer take returns." in (await admin_client.get(stopped.headers["location"])).text
        assert (await till.get("/returns")).status_code == 403
    entries = (
        await AuditEntry.select()
        .where(AuditEntry.action == "user.permissions")
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    assert [(e["actor_name"], e["subject"]) for e in entries] == [(ADMIN, "user cashier")] * 2
    assert [e["detail"]["take_returns"] for e in entries] == [{"from": False, "to": True}, {"from": True, "to": False}]


async def test_admins_always_may_and_inactive_people_never(admin_user: int, cashier: int) -> None:
    assert await may_take_returns(admin_user)
    assert not await may_take_returns(cashier)
    gone = await make_user("gone", warehouses=("Main",))
    await set_take_returns(admin_user, gone, True)
    assert await may_take_returns(gone)
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.id == gone)
    assert not await may_take_returns(gone)


async def test_a_cashier_cannot_set_the_permission_and_an_unknown_person_is_404(
    client: Client, admin_client: Client, cashier: int
) -> None:
    assert (await post_form(admin_client, "/admin/users/99999/returns", {"take_returns": "on"})).status_code == 404
    client.follow_redirects = False
    assert (await log_in(client, "cashier")).status_code == 303
    assert (await post_form(client, f"/admin/users/{cashier}/returns", {"take_returns": "on"})).status_code == 403
    assert not await may_take_returns(cashier)
    assert not await AuditEntry.exists().where(AuditEntry.action == "user.permissions")
