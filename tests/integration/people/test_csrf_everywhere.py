"""CSRF on every unsafe route the app serves, forms and htmx alike; Stripe's signed webhook is the
only exemption. Routes come from the app, so new ones are covered as they are added."""

from __future__ import annotations

from litestar import Litestar

from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.admin_support import Client, fill, routes, snapshot
from tests.kiosk_support import CSRF_COOKIE, csrf_token, post_form

EXEMPT = {"/webhooks/stripe"}
FORGED = "0" * 64


def unsafe_routes(app: Litestar) -> list[str]:
    return [template for method, template in routes(app) if method != "GET" and template not in EXEMPT]


async def test_only_get_and_post_are_served(app: Litestar) -> None:
    assert {method for method, _ in routes(app)} <= {"GET", "POST"}


async def test_every_unsafe_route_refuses_a_missing_or_forged_token(
    app: Litestar, admin_client: Client, cashier: int, warehouse: int
) -> None:
    receipt = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt, warehouse, "4.00")
    await post_form(admin_client, "/warehouses", {"warehouse_id": str(warehouse)})
    ids = {"receipt_id": receipt, "user_id": cashier, "warehouse_id": warehouse, "code": "usd"}
    real = await csrf_token(admin_client)
    before = await snapshot()
    for template in unsafe_routes(app):
        url = fill(template, ids)
        attempts = {
            "no token": await admin_client.post(url, data={"name": "x"}),
            "forged form token": await admin_client.post(url, data={"_csrf_token": FORGED}),
            "htmx without header": await admin_client.post(url, headers={"HX-Request": "true"}),
            "htmx forged header": await admin_client.post(url, headers={"HX-Request": "true", "x-csrftoken": FORGED}),
        }
        for how, response in attempts.items():
            assert response.status_code == 403, (url, how, response.status_code)
    assert await snapshot() == before
    assert admin_client.cookies[CSRF_COOKIE] == real  # refusals did not rotate the browser's token


async def test_the_htmx_header_alone_is_accepted(admin_client: Client) -> None:
    token = await csrf_token(admin_client)
    headers = {"HX-Request": "true", "x-csrftoken": token}
    response = await admin_client.post("/admin/warehouses", data={"name": "Annex", "currency": "usd"}, headers=headers)
    assert response.status_code == 303


async def test_a_refused_htmx_request_gets_the_friendly_403(admin_client: Client) -> None:
    response = await admin_client.post("/admin/warehouses", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "This form has expired" in response.text
