"""The users admin shows who is being slowed down at login (how many wrong passwords, from where,
for how long) and lets an admin lift it, in the audit log; a password reset lifts it too."""

from __future__ import annotations

import re

from litestar import Litestar

from kiosk.audit.tables import AuditEntry
from kiosk.people.login_limit import FREE_TRIES, SPRAY_ACCOUNTS
from kiosk.people.tables import LoginFailure
from tests.admin_support import ADMIN, Client
from tests.integration.people.login_support import device, fail
from tests.kiosk_support import PASSWORD, log_in, post_form

NEW_PASSWORD = "a brand new secret"


def person_row(page: str, username: str) -> str:
    found = re.search(rf'<tr data-testid="person" data-username="{username}".*?</tr>', page, re.S)
    assert found, page
    return found.group(0)


async def test_the_users_page_shows_a_slowed_down_person_and_where_from(
    app: Litestar, admin_client: Client, cashier: int
) -> None:
    async with device(app, "192.0.2.44") as tablet:
        await fail(tablet, "cashier", FREE_TRIES)
    async with device(app, "198.51.100.7") as other:
        await fail(other, "cashier", 2)
    listing = (await admin_client.get("/admin/users")).text
    assert "login slowed down" in person_row(listing, "cashier")
    assert "slowed" not in person_row(listing, ADMIN)

    page = (await admin_client.get(f"/admin/users/{cashier}")).text
    slowed = re.search(
        r'<tr data-testid="failed-from" data-address="192.0.2.44" data-state="slowed">.*?</tr>', page, re.S
    )
    assert slowed, page
    assert ">5 wrong passwords</td>" in slowed.group(0) and "30 seconds more" in slowed.group(0)
    free = re.search(
        r'<tr data-testid="failed-from" data-address="198.51.100.7" data-state="free">.*?</tr>', page, re.S
    )
    assert free and ">2 wrong passwords</td>" in free.group(0) and "may try again" in free.group(0)


async def test_an_admin_clears_the_wait_and_the_audit_log_says_so(
    app: Litestar, admin_client: Client, cashier: int
) -> None:
    async with device(app, "192.0.2.44") as tablet:
        await fail(tablet, "cashier", FREE_TRIES)
        assert (await log_in(tablet, "cashier", PASSWORD)).status_code == 429
        response = await post_form(admin_client, f"/admin/users/{cashier}/failed-logins/clear")
        assert response.status_code == 303
        page = await admin_client.get(response.headers["location"])
        assert "Failed logins cleared" in page.text
        assert 'data-testid="no-failures"' in page.text
        assert (await log_in(tablet, "cashier", PASSWORD)).status_code == 303
    entry = (
        await AuditEntry.select().output(load_json=True).where(AuditEntry.action == "user.login_failures_clear").first()
    )
    assert entry is not None and entry["actor_name"] == ADMIN and entry["subject"] == "user cashier"
    assert entry["detail"] == {"failed_logins_cleared_from": ["192.0.2.44"]}


async def test_a_password_reset_lifts_the_wait(app: Litestar, admin_client: Client, cashier: int) -> None:
    async with device(app, "192.0.2.44") as tablet:
        await fail(tablet, "cashier", FREE_TRIES)
        form = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
        assert (await post_form(admin_client, f"/admin/users/{cashier}/password", form)).status_code == 303
        assert (await log_in(tablet, "cashier", NEW_PASSWORD)).status_code == 303
    assert await LoginFailure.count() == 0
    entry = await AuditEntry.select().output(load_json=True).where(AuditEntry.action == "user.password_reset").first()
    assert entry is not None and entry["detail"] == {"failed_logins_cleared_from": ["192.0.2.44"]}


async def test_an_address_trying_many_accounts_is_shown_and_can_be_cleared(
    app: Litestar, admin_client: Client, cashier: int
) -> None:
    async with device(app, "203.0.113.9") as sprayer:
        for n in range(SPRAY_ACCOUNTS):
            await log_in(sprayer, f"guess{n}", "Password1")
        listing = (await admin_client.get("/admin/users")).text
        spray = re.search(r'<tr data-testid="spray" data-address="203.0.113.9">.*?</tr>', listing, re.S)
        assert spray, listing
        assert f"{SPRAY_ACCOUNTS} accounts" in spray.group(0) and "1 minute more" in spray.group(0)
        assert (await log_in(sprayer, "cashier", PASSWORD)).status_code == 429

        response = await post_form(admin_client, "/admin/users/addresses/clear", {"address": "203.0.113.9"})
        assert response.status_code == 303
        listing = (await admin_client.get(response.headers["location"])).text
        assert "Failed logins from that address cleared" in listing
        assert 'data-testid="spray"' not in listing
        assert (await log_in(sprayer, "cashier", PASSWORD)).status_code == 303
    entry = await AuditEntry.select().output(load_json=True).where(AuditEntry.action == "user.address_clear").first()
    assert entry is not None and entry["subject"] == "address 203.0.113.9"
    assert entry["detail"] == {"failed_logins": SPRAY_ACCOUNTS}


async def test_a_cashier_cannot_clear_anything(cashier_client: Client, cashier: int) -> None:
    await LoginFailure.insert(LoginFailure(username="cashier", client="192.0.2.44"))
    assert (await post_form(cashier_client, f"/admin/users/{cashier}/failed-logins/clear")).status_code == 403
    assert (
        await post_form(cashier_client, "/admin/users/addresses/clear", {"address": "192.0.2.44"})
    ).status_code == 403
    assert await LoginFailure.count() == 1
