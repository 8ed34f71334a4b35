"""/admin/users as an admin uses it: add cashiers and admins, choose their warehouses, reset a
password, deactivate — with messages next to the fields and nothing saved on bad input."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser

from kiosk.audit.tables import AuditEntry
from kiosk.people.tables import Session, UserWarehouse
from tests.admin_support import ADMIN, Client, snapshot
from tests.kiosk_support import PASSWORD, log_in, make_warehouse, post_form

NEW_PASSWORD = "a brand new secret"


def new_person(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "username": "dana",
        "password": "dana's password",
        "password_again": "dana's password",
        "role": "cashier",
        "warehouses": [],
    }
    return {**form, **changes}


async def test_admin_adds_a_cashier_who_can_then_work_at_her_warehouse(
    app: Litestar, admin_client: Client, warehouse: int
) -> None:
    await make_warehouse("Annex", "eur")
    response = await post_form(admin_client, "/admin/users", new_person(warehouses=[str(warehouse)]))
    assert response.status_code == 303
    page = await admin_client.get(response.headers["location"])
    assert "Created. They can log in now." in page.text
    assert re.search(rf'data-testid="warehouses-{warehouse}"\s+checked', page.text)  # Main is ticked on her page
    async with AsyncTestClient(app=app) as dana:
        dana.follow_redirects = False
        assert (await log_in(dana, "dana", "dana's password")).status_code == 303
        receipts = await dana.get("/receipts")  # her only warehouse: straight to the till
        assert receipts.status_code == 200 and "Main" in receipts.text
        assert (await dana.get("/admin/")).status_code == 403
    entry = await AuditEntry.select().where(AuditEntry.action == "user.create").first()
    assert entry is not None and entry["actor_name"] == ADMIN and entry["subject"] == "user dana"
    assert "dana's password" not in repr(entry)


async def test_admin_adds_another_admin(app: Litestar, admin_client: Client) -> None:
    response = await post_form(admin_client, "/admin/users", new_person(username="erin", role="admin"))
    assert response.status_code == 303
    async with AsyncTestClient(app=app) as erin:
        erin.follow_redirects = False
        await log_in(erin, "erin", "dana's password")
        assert (await erin.get("/admin/users")).status_code == 200


async def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(admin_client: Client, cashier: int) -> None:
    before = await snapshot()
    form = new_person(username="cashier", password="short", password_again="short", role="boss", warehouses=["999"])
    response = await post_form(admin_client, "/admin/users", form)
    assert response.status_code == 400
    text = response.text
    assert 'data-testid="error-username">The username cashier is taken' in text
    assert 'data-testid="error-password">The password must be at least 8 characters' in text
    assert 'data-testid="error-role">Choose cashier or admin' in text
    assert 'data-testid="error-warehouses">One of the chosen warehouses no longer exists' in text
    assert 'value="cashier"' in text  # what was typed stays in the form...
    assert "short" not in text  # ...except the password
    assert await snapshot() == before


async def test_passwords_must_match_and_usernames_have_no_spaces(admin_client: Client) -> None:
    form = new_person(username="two words", password_again="something else")
    response = await post_form(admin_client, "/admin/users", form)
    assert response.status_code == 400
    assert 'data-testid="error-password_again">The two passwords differ' in response.text
    assert 'data-testid="error-username">A username is 1 to 100 characters without spaces' in response.text
    assert await BaseUser.count() == 1  # the admin alone


async def test_usernames_differing_only_in_case_are_taken(admin_client: Client, cashier: int) -> None:
    response = await post_form(admin_client, "/admin/users", new_person(username="Cashier"))
    assert response.status_code == 400
    assert "The username Cashier is taken" in response.text


async def test_assigning_warehouses_moves_the_cashier(
    cashier_client: Client, admin_client: Client, cashier: int
) -> None:
    annex = await make_warehouse("Annex", "eur")
    form = {"role": "cashier", "warehouses": [str(annex)]}
    response = await post_form(admin_client, f"/admin/users/{cashier}/access", form)
    assert response.headers["location"] == f"/admin/users/{cashier}?done=access"
    links = await UserWarehouse.select(UserWarehouse.warehouse).where(UserWarehouse.user == cashier)
    assert [row["warehouse"] for row in links] == [annex]
    # Her open session at Main no longer reaches Main's till.
    assert (await cashier_client.get("/receipts")).headers["location"] == "/warehouses"
    entry = await AuditEntry.select().where(AuditEntry.action == "user.access").output(load_json=True).first()
    assert entry is not None
    assert entry["detail"]["warehouses"] == {"from": ["Main"], "to": ["Annex"]}


async def test_promoting_a_cashier_opens_the_admin_pages(
    cashier_client: Client, admin_client: Client, cashier: int
) -> None:
    assert (await cashier_client.get("/admin/")).status_code == 403
    await post_form(admin_client, f"/admin/users/{cashier}/access", {"role": "admin"})
    assert (await cashier_client.get("/admin/")).status_code == 200


async def test_an_admin_cannot_demote_or_deactivate_themselves(admin_client: Client, admin_user: int) -> None:
    response = await post_form(admin_client, f"/admin/users/{admin_user}/access", {"role": "cashier"})
    assert response.status_code == 400
    assert 'data-testid="error-role">You cannot take away your own admin role' in response.text
    response = await post_form(admin_client, f"/admin/users/{admin_user}/deactivate")
    assert response.status_code == 400
    assert "You cannot deactivate yourself" in response.text
    row = await BaseUser.select(BaseUser.admin, BaseUser.active).where(BaseUser.id == admin_user).first()
    assert row == {"admin": True, "active": True}


async def test_password_reset_ends_the_sessions_and_the_new_password_works(
    app: Litestar, cashier_client: Client, admin_client: Client, cashier: int
) -> None:
    form = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    response = await post_form(admin_client, f"/admin/users/{cashier}/password", form)
    assert response.status_code == 303
    assert (await cashier_client.get("/receipts")).headers["location"] == "/login"
    async with AsyncTestClient(app=app) as again:
        again.follow_redirects = False
        assert (await log_in(again, "cashier", PASSWORD)).status_code == 401
        assert (await log_in(again, "cashier", NEW_PASSWORD)).status_code == 303
    assert (await admin_client.get("/admin/users")).status_code == 200  # the admin is still in


async def test_a_short_password_is_refused_next_to_the_field(admin_client: Client, cashier: int) -> None:
    before = await snapshot()
    response = await post_form(admin_client, f"/admin/users/{cashier}/password", {"password": "1234567"})
    assert response.status_code == 400
    assert 'data-testid="error-password">The password must be at least 8 characters' in response.text
    assert await snapshot() == before


async def test_an_admin_changing_their_own_password_stays_logged_in(admin_client: Client, admin_user: int) -> None:
    form = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert (await post_form(admin_client, f"/admin/users/{admin_user}/password", form)).status_code == 303
    assert (await admin_client.get("/admin/users")).status_code == 200


async def test_deactivation_logs_the_person_out_at_once_and_reactivation_lets_them_back(
    app: Litestar, cashier_client: Client, admin_client: Client, cashier: int
) -> None:
    response = await post_form(admin_client, f"/admin/users/{cashier}/deactivate")
    assert response.headers["location"] == f"/admin/users/{cashier}?done=deactivated"
    assert await Session.count().where(Session.user == cashier) == 0
    assert (await cashier_client.get("/receipts")).headers["location"] == "/login"
    assert (await log_in(cashier_client)).status_code == 401
    listing = await admin_client.get("/admin/users")
    assert "deactivated" in listing.text
    await post_form(admin_client, f"/admin/users/{cashier}/activate")
    assert (await log_in(cashier_client)).status_code == 303
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]
    assert actions == ["user.deactivate", "user.activate"]


async def test_unknown_people_are_not_found(admin_client: Client) -> None:
    assert (await admin_client.get("/admin/users/999")).status_code == 404
    assert (await post_form(admin_client, "/admin/users/999/deactivate")).status_code == 404
