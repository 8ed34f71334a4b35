"""Every unsafe request needs the page's CSRF token (forms and htmx); only Stripe's webhook is exempt."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.people.tables import Session
from kiosk.shop.tables import Receipt
from tests.kiosk_support import CSRF_COOKIE, PASSWORD, csrf_token, post_form

Client = AsyncTestClient[Litestar]


async def test_form_without_token_is_refused_and_nothing_changes(cashier_client: Client) -> None:
    response = await cashier_client.post("/receipts")
    assert response.status_code == 403
    assert "form has expired" in response.text
    assert await Receipt.count() == 0


async def test_forged_token_is_refused(cashier_client: Client) -> None:
    response = await cashier_client.post("/receipts", data={"_csrf_token": "0" * 128})
    assert response.status_code == 403
    assert await Receipt.count() == 0


async def test_token_from_another_browser_is_refused(cashier_client: Client, app: Litestar) -> None:
    async with AsyncTestClient(app=app) as other_browser:
        foreign = await csrf_token(other_browser)
    assert foreign != cashier_client.cookies[CSRF_COOKIE]
    response = await cashier_client.post("/receipts", data={"_csrf_token": foreign})
    assert response.status_code == 403
    assert await Receipt.count() == 0


async def test_login_form_needs_the_token_too(client: Client, cashier: int) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"username": "cashier", "password": PASSWORD})
    assert response.status_code == 403
    assert await Session.count() == 0


async def test_logout_without_token_keeps_the_session(cashier_client: Client) -> None:
    response = await cashier_client.post("/logout")
    assert response.status_code == 403
    assert await Session.count() == 1


async def test_pages_carry_the_token_for_htmx(cashier_client: Client) -> None:
    token = await csrf_token(cashier_client)
    page = await cashier_client.get("/receipts")
    assert f'<meta name="csrf-token" content="{token}">' in page.text
    assert f"""hx-headers='{{"x-csrftoken": "{token}"}}'""" in page.text


async def test_htmx_header_passes(cashier_client: Client) -> None:
    token = await csrf_token(cashier_client)
    response = await cashier_client.post("/receipts", headers={"x-csrftoken": token, "HX-Request": "true"})
    assert response.status_code == 303
    assert await Receipt.count() == 1


async def test_form_field_passes(cashier_client: Client) -> None:
    assert (await post_form(cashier_client, "/receipts")).status_code == 303


async def test_stripe_webhook_is_not_asked_for_a_token(client: Client) -> None:
    # Stripe signs its webhook instead; whatever the endpoint answers, it is not the CSRF refusal.
    response = await client.post("/webhooks/stripe", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code != 403


async def test_the_cookie_is_set_by_the_first_page_and_kept_by_the_next(client: Client) -> None:
    first = await client.get("/login")
    assert CSRF_COOKIE in first.headers.get("set-cookie", "")
    token = client.cookies[CSRF_COOKIE]
    again = await client.get("/login")
    assert CSRF_COOKIE not in again.headers.get("set-cookie", "")
    assert f'name="_csrf_token" value="{token}"' in again.text
