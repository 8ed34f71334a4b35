"""Logging in and out: database sessions, cookie flags, fixation, timeouts, the warehouse choice."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.app import create_app
from kiosk.people.auth import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, now_utc
from kiosk.people.guards import SESSION_COOKIE
from kiosk.people.tables import Session, UserWarehouse
from tests.kiosk_support import kiosk_settings, log_in, make_user, make_warehouse, post_form

Client = AsyncTestClient[Litestar]
HOST = "testserver.local"  # the test client's host: cookies set here replace the server's


async def test_anonymous_people_are_sent_to_the_login_page(client: Client, warehouse: int) -> None:
    for path in ("/", "/receipts", "/receipts/1", "/warehouses"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login"


async def test_htmx_requests_without_a_session_get_a_full_page_redirect(client: Client, warehouse: int) -> None:
    response = await client.get("/receipts/1/summary", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login"


async def test_cashier_logs_in_and_goes_straight_to_their_only_warehouse(client: Client, cashier: int) -> None:
    response = await log_in(client)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the plain-HTTP demo
    assert (await client.get("/")).headers["location"] == "/receipts"
    page = await client.get("/receipts")
    assert page.status_code == 200
    assert "Main" in page.text and "cashier" in page.text


async def test_session_cookie_is_secure_outside_the_demo(db: str, cashier: int) -> None:
    app = create_app(kiosk_settings(demo=False))
    # Secure cookies (the CSRF one too) only travel over HTTPS.
    async with AsyncTestClient(app=app, base_url=f"https://{HOST}") as secure_client:
        secure_client.follow_redirects = False
        response = await log_in(secure_client)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


async def test_wrong_password_is_refused_and_no_session_is_made(client: Client, cashier: int) -> None:
    response = await log_in(client, password="not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert await Session.count() == 0


async def test_unknown_user_gets_the_same_answer(client: Client, cashier: int) -> None:
    response = await log_in(client, username="nobody")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text


async def test_deactivated_user_cannot_log_in(client: Client, cashier: int) -> None:
    from piccolo.apps.user.tables import BaseUser

    await BaseUser.update({BaseUser.active: False}).where(BaseUser.id == cashier)
    response = await log_in(client)
    assert response.status_code == 401


async def test_logout_deletes_the_session(cashier_client: Client) -> None:
    token = cashier_client.cookies[SESSION_COOKIE]
    response = await post_form(cashier_client, "/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert await Session.count() == 0
    cashier_client.cookies.set(SESSION_COOKIE, token, domain=HOST)  # a copy of the old cookie is worth nothing
    assert (await cashier_client.get("/receipts")).headers["location"] == "/login"


async def test_login_issues_a_fresh_token_and_ends_the_previous_one(client: Client, cashier: int) -> None:
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", domain=HOST)
    await log_in(client)
    first = client.cookies[SESSION_COOKIE]
    assert first != "planted-by-an-attacker"
    await log_in(client)
    second = client.cookies[SESSION_COOKIE]
    assert second != first
    assert await Session.count() == 1
    client.cookies.set(SESSION_COOKIE, first, domain=HOST)
    assert (await client.get("/receipts")).headers["location"] == "/login"


async def test_tokens_are_stored_hashed(cashier_client: Client) -> None:
    token = cashier_client.cookies[SESSION_COOKIE]
    rows = await Session.select(Session.token_hash)
    assert [row["token_hash"] for row in rows] != [token]
    assert token not in rows[0]["token_hash"]


async def test_idle_session_ends(cashier_client: Client) -> None:
    await Session.update({Session.last_seen_at: now_utc() - IDLE_TIMEOUT - timedelta(seconds=1)}, force=True)
    response = await cashier_client.get("/receipts")
    assert response.headers["location"] == "/login"
    assert await Session.count() == 0


async def test_active_session_is_kept_alive_but_polls_do_not_count(cashier_client: Client) -> None:
    almost_idle = now_utc() - IDLE_TIMEOUT + timedelta(minutes=2)
    await Session.update({Session.last_seen_at: almost_idle}, force=True)
    poll = await cashier_client.get("/receipts", headers={"HX-Request": "true"})
    assert poll.status_code == 200
    row = await Session.select(Session.last_seen_at).first()
    assert row is not None and abs(row["last_seen_at"] - almost_idle) < timedelta(seconds=1)
    assert (await cashier_client.get("/receipts")).status_code == 200
    row = await Session.select(Session.last_seen_at).first()
    assert row is not None and now_utc() - row["last_seen_at"] < timedelta(seconds=30)


async def test_absolute_timeout_ends_even_a_busy_session(cashier_client: Client) -> None:
    row = await Session.select(Session.expires_at, Session.created_at).first()
    assert row is not None and row["expires_at"] - row["created_at"] == ABSOLUTE_TIMEOUT
    await Session.update({Session.expires_at: now_utc() - timedelta(seconds=1)}, force=True)
    assert (await cashier_client.get("/receipts")).headers["location"] == "/login"


async def test_cashier_with_several_warehouses_picks_one(client: Client, warehouse: int) -> None:
    annex = await make_warehouse("Annex", "eur")
    await make_warehouse("Elsewhere", "gbp")
    await make_user("roamer", warehouses=("Main", "Annex"))
    await log_in(client, "roamer")
    assert (await client.get("/")).headers["location"] == "/warehouses"
    assert (await client.get("/receipts")).headers["location"] == "/warehouses"
    picker = await client.get("/warehouses")
    assert "Main" in picker.text and "Annex" in picker.text and "Elsewhere" not in picker.text
    response = await post_form(client, "/warehouses", {"warehouse_id": str(annex)})
    assert response.headers["location"] == "/receipts"
    assert "Annex" in (await client.get("/receipts")).text


async def test_cashier_cannot_pick_a_warehouse_that_is_not_theirs(client: Client, warehouse: int) -> None:
    other = await make_warehouse("Elsewhere", "gbp")
    await make_warehouse("Annex", "eur")
    await make_user("roamer", warehouses=("Main", "Annex"))
    await log_in(client, "roamer")
    response = await post_form(client, "/warehouses", {"warehouse_id": str(other)})
    assert response.status_code == 400
    assert "Choose one of your warehouses" in response.text
    assert (await client.get("/receipts")).headers["location"] == "/warehouses"


async def test_admin_may_use_every_warehouse(client: Client, warehouse: int) -> None:
    other = await make_warehouse("Elsewhere", "gbp")
    await make_user("boss", admin=True, warehouses=())
    await log_in(client, "boss")
    picker = await client.get("/warehouses")
    assert "Main" in picker.text and "Elsewhere" in picker.text
    await post_form(client, "/warehouses", {"warehouse_id": str(other)})
    assert "Elsewhere" in (await client.get("/receipts")).text


async def test_removed_from_the_warehouse_means_out_of_it(cashier_client: Client, cashier: int) -> None:
    await UserWarehouse.delete().where(UserWarehouse.user == cashier)
    assert (await cashier_client.get("/receipts")).headers["location"] == "/warehouses"
    assert "not assigned to any warehouse" in (await cashier_client.get("/warehouses")).text


async def test_login_page_redirects_people_already_logged_in(cashier_client: Client) -> None:
    assert (await cashier_client.get("/login")).headers["location"] == "/"


async def test_sessions_past_their_end_are_cleared_at_the_next_login(client: Client, cashier: int) -> None:
    await log_in(client)
    await Session.update({Session.expires_at: now_utc() - timedelta(minutes=1)}, force=True)
    client.cookies.clear()
    await log_in(client)
    assert await Session.count() == 1
