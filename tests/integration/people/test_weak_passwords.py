"""Everywhere a password is set (Add a person, New password, `kiosk create-user`), a common or
trivially guessable one is refused with the reason, and nothing is saved."""

from __future__ import annotations

import pytest
from piccolo.apps.user.tables import BaseUser

from kiosk.cli.main import main
from tests.admin_support import Client
from tests.kiosk_support import PASSWORD, log_in, post_form


@pytest.mark.parametrize("weak", ["password", "12345678", " " * 8])
async def test_adding_a_person_with_a_guessable_password_is_refused(admin_client: Client, weak: str) -> None:
    form = {"username": "dana", "password": weak, "password_again": weak, "role": "cashier"}
    response = await post_form(admin_client, "/admin/users", form)
    assert response.status_code == 400
    assert 'data-testid="error-password">Too easy to guess. ' in response.text
    assert not await BaseUser.exists().where(BaseUser.username == "dana")


async def test_a_guessable_new_password_is_refused_and_the_old_one_still_works(
    admin_client: Client, client: Client, cashier: int
) -> None:
    form = {"password": "password", "password_again": "password"}
    response = await post_form(admin_client, f"/admin/users/{cashier}/password", form)
    assert response.status_code == 400
    assert "Too easy to guess. This is a top-10 common password." in response.text
    assert (await log_in(client, "cashier", PASSWORD)).status_code == 303


def test_kiosk_create_user_refuses_a_guessable_password(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create-user", "ann", "--password", "12345678"]) == 1
    said = capsys.readouterr().err
    assert "kiosk create-user: Too easy to guess. This is a top-10 common password." in said
    assert main(["create-user", "ann", "--password", "ann-at-the-harbour-till"]) == 0
