"""The login limit: wrong passwords slow down the device that types them, for that account, with a wait
that grows and is said; the right password from another device always works; a device trying many
accounts waits too, except for the people who have logged in on it before."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar

from kiosk.people import login_limit
from kiosk.people.auth import now_utc
from kiosk.people.login_limit import FREE_TRIES, MEMORY, SPRAY_ACCOUNTS
from kiosk.people.tables import LoginFailure, Session
from tests.admin_support import ADMIN, Client
from tests.integration.people.login_support import TEST_CLIENT, age_failures, device, fail
from tests.kiosk_support import PASSWORD, log_in, make_user


async def test_wrong_passwords_make_this_device_wait_and_the_page_says_how_long(client: Client, cashier: int) -> None:
    said = await fail(client, "cashier", FREE_TRIES - 1)
    assert "One more wrong password and this device must wait 30 seconds" in said
    said = await fail(client, "cashier", 1)
    assert "wait 30 seconds before trying again" in said
    response = await log_in(client, "cashier", PASSWORD)  # even the right one: not checked while waiting
    assert response.status_code == 429
    assert "Wait 30 seconds before trying again" in response.text
    assert "Other devices can still log in to it" in response.text
    assert 0 < int(response.headers["retry-after"]) <= 31
    assert 'value="cashier"' in response.text  # the username stays typed in
    assert await Session.count() == 0


async def test_the_right_password_from_another_device_logs_in_at_once(
    app: Litestar, client: Client, cashier: int
) -> None:
    await fail(client, "cashier", FREE_TRIES)  # this device now waits
    async with device(app, "192.0.2.20") as tablet:
        assert (await log_in(tablet, "cashier", PASSWORD)).status_code == 303
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 429  # the guesser still waits


async def test_the_wait_is_per_account(client: Client, cashier: int, admin_user: int) -> None:
    await fail(client, "cashier", FREE_TRIES)
    assert (await log_in(client, ADMIN, PASSWORD)).status_code == 303


async def test_each_further_wrong_password_doubles_the_wait_up_to_15_minutes(client: Client, cashier: int) -> None:
    await fail(client, "cashier", FREE_TRIES)
    expected = ["1 minute", "2 minutes", "4 minutes", "8 minutes", "15 minutes", "15 minutes"]
    for wait in expected:
        await age_failures(timedelta(minutes=16))  # whatever the wait was, it is over
        said = await fail(client, "cashier", 1)
        assert f"wait {wait} before trying again" in said
        refused = await log_in(client, "cashier", PASSWORD)
        assert refused.status_code == 429 and f"Wait {wait} before trying again" in refused.text


async def test_waiting_out_the_delay_is_enough(client: Client, cashier: int) -> None:
    await fail(client, "cashier", FREE_TRIES)
    await age_failures(timedelta(seconds=31))
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 303


async def test_usernames_are_counted_whatever_their_case(client: Client, cashier: int) -> None:
    for name in ("Cashier", "CASHIER", " cashier", "cashieR", "cashier"):
        await log_in(client, name, "wrong password")
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 429


async def test_a_success_starts_the_device_count_again(client: Client, cashier: int) -> None:
    await fail(client, "cashier", FREE_TRIES - 1)
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 303
    client.cookies.clear()
    await fail(client, "cashier", FREE_TRIES - 1)
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 303


async def test_a_success_elsewhere_does_not_lift_a_guessers_wait(app: Litestar, client: Client, cashier: int) -> None:
    await fail(client, "cashier", FREE_TRIES)
    async with device(app, "192.0.2.20") as tablet:
        assert (await log_in(tablet, "cashier", PASSWORD)).status_code == 303
    assert (await log_in(client, "cashier", "another guess")).status_code == 429


async def test_attempts_refused_while_waiting_do_not_count(client: Client, cashier: int) -> None:
    await fail(client, "cashier", FREE_TRIES)
    for _ in range(3):
        assert (await log_in(client, "cashier", "wrong password")).status_code == 429
    assert await LoginFailure.count() == FREE_TRIES


async def test_failures_older_than_a_day_are_forgotten(client: Client, cashier: int) -> None:
    await make_user("other", warehouses=())
    await fail(client, "other", 2)
    await age_failures(MEMORY + timedelta(minutes=1))
    await fail(client, "cashier", 1)
    assert await LoginFailure.count() == 1


async def test_a_device_trying_many_accounts_waits_but_the_people_who_used_it_before_do_not(
    app: Litestar, cashier: int
) -> None:
    await make_user("ann", warehouses=("Main",))
    async with device(app, "203.0.113.9") as till:  # the shop's till: the cashier has logged in on it
        assert (await log_in(till, "cashier", PASSWORD)).status_code == 303
        till.cookies.delete("kiosk_session")
        async with device(app, "203.0.113.9") as sprayer:  # someone else behind the shop's address
            for n in range(SPRAY_ACCOUNTS):
                await log_in(sprayer, f"guess{n}", "Password1")
            refused = await log_in(sprayer, "cashier", PASSWORD)
            assert refused.status_code == 429
            assert "Too many wrong passwords for different accounts from this device" in refused.text
            assert "Wait 1 minute" in refused.text
        # The cashier's own till still lets her in; a new device at that address waits...
        assert (await log_in(till, "cashier", PASSWORD)).status_code == 303
        async with device(app, "203.0.113.9") as new_tablet:
            assert (await log_in(new_tablet, "ann", PASSWORD)).status_code == 429
    # ...and devices elsewhere do not.
    async with device(app, "198.51.100.4") as elsewhere:
        assert (await log_in(elsewhere, "ann", PASSWORD)).status_code == 303


async def test_the_mark_of_a_known_browser_cannot_be_made_up(app: Litestar, cashier: int) -> None:
    async with device(app, "203.0.113.9") as sprayer:
        for n in range(SPRAY_ACCOUNTS):
            await log_in(sprayer, f"guess{n}", "Password1")
        sprayer.cookies.set("kiosk_known", "0" * 32 + "." + "f" * 32, domain="testserver.local", path="/login")
        assert (await log_in(sprayer, "cashier", PASSWORD)).status_code == 429


async def test_failures_are_kept_per_address(app: Litestar, client: Client, cashier: int) -> None:
    await fail(client, "cashier", 2)
    async with device(app, "192.0.2.20") as tablet:
        await fail(tablet, "cashier", 1)
    found = {(f.client, f.failures) for f in await login_limit.account_failures("cashier")}
    assert found == {(TEST_CLIENT, 2), ("192.0.2.20", 1)}
    assert all(row["at"] <= now_utc() for row in await LoginFailure.select(LoginFailure.at))
