"""The login rate limit: per account and per client, refusing without checking the password, and
lifting as the failures age out of the window."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.people import login_limit
from kiosk.people.auth import now_utc
from kiosk.people.login_limit import ACCOUNT_LIMIT, CLIENT_LIMIT, WINDOW
from kiosk.people.tables import LoginFailure, Session
from tests.admin_support import ADMIN, Client
from tests.kiosk_support import PASSWORD, log_in, make_user


async def fail(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        assert (await log_in(client, username, "wrong password")).status_code == 401


async def test_too_many_wrong_passwords_lock_the_account_even_for_the_right_one(client: Client, cashier: int) -> None:
    await fail(client, "cashier", ACCOUNT_LIMIT)
    response = await log_in(client, "cashier", PASSWORD)
    assert response.status_code == 429
    assert "Too many wrong passwords for this account. Try again in 15 minutes." in response.text
    assert 0 < int(response.headers["retry-after"]) <= WINDOW.total_seconds() + 1
    assert 'value="cashier"' in response.text  # the username stays typed in
    assert await Session.count() == 0


async def test_the_lock_is_per_account(client: Client, cashier: int, admin_user: int) -> None:
    await fail(client, "cashier", ACCOUNT_LIMIT)
    assert (await log_in(client, ADMIN, PASSWORD)).status_code == 303


async def test_usernames_are_counted_whatever_their_case(client: Client, cashier: int) -> None:
    for name in ("Cashier", "CASHIER", " cashier", "cashieR", "cashier"):
        await log_in(client, name, "wrong password")
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 429


async def test_the_lock_lifts_once_the_failures_are_old(client: Client, cashier: int) -> None:
    await fail(client, "cashier", ACCOUNT_LIMIT)
    await LoginFailure.update({LoginFailure.at: now_utc() - WINDOW - timedelta(seconds=1)}, force=True)
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 303


async def test_a_success_starts_the_account_count_again(client: Client, cashier: int) -> None:
    await fail(client, "cashier", ACCOUNT_LIMIT - 1)
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 303
    client.cookies.clear()
    await fail(client, "cashier", ACCOUNT_LIMIT - 1)
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 303


async def test_one_client_trying_many_accounts_is_stopped(app: Litestar, client: Client, cashier: int) -> None:
    for n in range(CLIENT_LIMIT):
        await log_in(client, f"guess{n}", "wrong password")
    response = await log_in(client, "cashier", PASSWORD)
    assert response.status_code == 429
    assert "Too many wrong passwords from this device" in response.text
    # Another address is not affected (the test client always comes from the same one).
    assert await login_limit.refusal("cashier", "192.0.2.7") is None


async def test_refused_attempts_do_not_extend_the_lock(client: Client, cashier: int) -> None:
    await fail(client, "cashier", ACCOUNT_LIMIT)
    for _ in range(3):
        assert (await log_in(client, "cashier", "wrong password")).status_code == 429
    assert await LoginFailure.count() == ACCOUNT_LIMIT


async def test_old_failures_are_cleared_away(client: Client, cashier: int) -> None:
    await make_user("other", warehouses=())
    await fail(client, "other", 2)
    await LoginFailure.update({LoginFailure.at: now_utc() - WINDOW - timedelta(minutes=1)}, force=True)
    await fail(client, "cashier", 1)
    assert await LoginFailure.count() == 1


async def test_a_locked_account_on_one_browser_is_locked_on_every_browser(
    app: Litestar, client: Client, cashier: int
) -> None:
    await fail(client, "cashier", ACCOUNT_LIMIT)
    async with AsyncTestClient(app=app) as other_browser:
        other_browser.follow_redirects = False
        assert (await log_in(other_browser, "cashier", PASSWORD)).status_code == 429
