"""Sessions on the admin side: no fixation, one session per browser, timeouts and deactivation
end admin sessions just like the till's."""

from __future__ import annotations

from datetime import timedelta

from piccolo.apps.user.tables import BaseUser

from kiosk.people.auth import IDLE_TIMEOUT, now_utc
from kiosk.people.guards import SESSION_COOKIE
from kiosk.people.tables import Session
from tests.admin_support import ADMIN, Client
from tests.kiosk_support import log_in

HOST = "testserver.local"


async def test_a_token_planted_before_login_is_worth_nothing_after_it(client: Client, admin_user: int) -> None:
    client.cookies.set(SESSION_COOKIE, "chosen-by-an-attacker", domain=HOST)
    await log_in(client, ADMIN)
    assert client.cookies[SESSION_COOKIE] != "chosen-by-an-attacker"
    attacker = {SESSION_COOKIE: "chosen-by-an-attacker"}
    client.cookies.clear()
    client.cookies.update(attacker)
    assert (await client.get("/admin/")).headers["location"] == "/login"


async def test_logging_in_as_someone_else_ends_the_previous_session(
    client: Client, cashier: int, admin_user: int
) -> None:
    await log_in(client)
    cashier_token = client.cookies[SESSION_COOKIE]
    await log_in(client, ADMIN)
    assert client.cookies[SESSION_COOKIE] != cashier_token
    rows = await Session.select(Session.user)
    assert [row["user"] for row in rows] == [admin_user]


async def test_an_idle_admin_session_ends(admin_client: Client) -> None:
    await Session.update({Session.last_seen_at: now_utc() - IDLE_TIMEOUT - timedelta(seconds=1)}, force=True)
    response = await admin_client.get("/admin/users")
    assert response.headers["location"] == "/login"
    assert await Session.count() == 0


async def test_a_deactivated_admin_is_out_at_the_next_click(admin_client: Client, admin_user: int) -> None:
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.id == admin_user)
    assert (await admin_client.get("/admin/")).headers["location"] == "/login"


async def test_a_demoted_admin_loses_the_admin_pages_at_once(admin_client: Client, admin_user: int) -> None:
    await BaseUser.update({BaseUser.admin: False}).where(BaseUser.id == admin_user)
    assert (await admin_client.get("/admin/users")).status_code == 403
