"""Who reaches what: anonymous / cashier / admin, on every route the app serves.

Routes are enumerated from the app itself, so a route added later is covered without touching
this file: under /admin it must be admins-only, elsewhere it needs a login unless listed PUBLIC.
"""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar

from kiosk.catalogue.tables import CatalogueItem, ItemPrice
from kiosk.customers.tables import Customer
from kiosk.people.permissions import set_take_returns
from kiosk.reports.closing import close_day
from kiosk.shop.tables import ReceiptLine
from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.admin_support import Client, fill, routes, snapshot
from tests.kiosk_support import csrf_token, post_form

# Reachable without logging in, and why.
PUBLIC = {
    ("GET", "/"): "the front door redirects to the login page",
    ("GET", "/login"): "the login page",
    ("POST", "/login"): "logging in",
    ("POST", "/logout"): "logging out (without a session it only clears the cookie)",
    ("GET", "/healthz"): "the load balancer's probe",
    ("GET", "/outage/over"): "whether the database answers again (sessions cannot be read while it is down)",
    ("GET", "/static/{file_path:path}"): "stylesheets and scripts",
    ("GET", "/static/vendor/htmx/{file_path:path}"): "htmx",
    ("POST", "/webhooks/stripe"): "Stripe's signed webhook",
    ("GET", "/metrics"): "Prometheus' scrape: no session; loopback or KIOSK_METRICS_TOKEN (payments/test_metrics.py)",
}


def is_admin_route(template: str) -> bool:
    return template == "/admin" or template.startswith("/admin/")


async def send(client: Client, method: str, url: str, *, htmx: bool = False) -> httpx.Response:
    """A request as the page would make it: unsafe ones carry the CSRF token, so only the access
    rules can refuse them."""
    headers = {"HX-Request": "true"} if htmx else {}
    if method == "GET":
        return await client.get(url, headers=headers)
    headers["x-csrftoken"] = await csrf_token(client)
    return await client.request(method, url, data={"_csrf_token": headers["x-csrftoken"]}, headers=headers)


async def shop(cashier: int, warehouse: int, admin_user: int | None = None) -> dict[str, Any]:
    """Ids that exist: the cashier's open receipt with one line, the cashier, the warehouse, a Z report,
    a catalogue item."""
    receipt = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt, warehouse, "12.00")
    line = await ReceiptLine.select(ReceiptLine.id).first()
    assert line is not None
    z_id = await close_day(warehouse, cashier, "cashier", "", "0", None)  # a Z report of today
    item = await CatalogueItem.insert(CatalogueItem(name="Mug", search_name="mug", sku="MUG")).returning(
        CatalogueItem.id
    )
    await ItemPrice.insert(ItemPrice(item=item[0]["id"], currency="usd", amount=900))
    customer = await Customer.insert(Customer(name="Ada")).returning(Customer.id)
    return {
        "customer_id": customer[0]["id"],
        "item_id": item[0]["id"],
        "z_id": z_id,
        "receipt_id": receipt,
        "line_id": line["id"],
        "user_id": cashier,
        "warehouse_id": warehouse,
        "code": "usd",
        "reader_id": "tmr_unknown",
        "file_path": "kiosk.css",
    }


def private_routes(app: Litestar) -> list[tuple[str, str]]:
    return [(method, template) for method, template in routes(app) if (method, template) not in PUBLIC]


async def test_the_matrix_sees_the_admin_area_and_the_till(app: Litestar) -> None:
    templates = {template for _, template in routes(app)}
    assert {"/admin", "/admin/users", "/admin/warehouses", "/admin/audit", "/receipts"} <= templates
    assert not any(template.startswith("/schema") for template in templates)  # no public API docs


async def test_anonymous_people_are_sent_to_log_in_from_every_private_route(
    app: Litestar, client: Client, cashier: int, warehouse: int
) -> None:
    ids = await shop(cashier, warehouse)
    before = await snapshot()
    for method, template in private_routes(app):
        url = fill(template, ids)
        page = await send(client, method, url)
        assert (page.status_code, page.headers.get("location")) == (303, "/login"), (method, url, page.status_code)
        fragment = await send(client, method, url, htmx=True)
        assert (fragment.status_code, fragment.headers.get("hx-redirect")) == (401, "/login"), (method, url)
    assert await snapshot() == before


async def test_public_routes_answer_without_a_login(app: Litestar, client: Client, warehouse: int) -> None:
    assert (await client.get("/login")).status_code == 200
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/static/kiosk.css")).status_code == 200
    assert (await client.get("/static/vendor/htmx/htmx.min.js")).status_code == 200
    assert (await client.get("/")).headers["location"] == "/login"
    assert (await post_form(client, "/logout")).headers["location"] == "/login"
    assert (await client.get("/metrics")).status_code == 401  # not a page: no login, but no figures either
    assert set(PUBLIC) <= set(routes(app)), "a PUBLIC entry names a route that no longer exists"


async def test_a_cashier_reaches_no_admin_route(
    app: Litestar, cashier_client: Client, cashier: int, warehouse: int
) -> None:
    ids = await shop(cashier, warehouse)
    before = await snapshot()
    admin_routes = [(m, t) for m, t in routes(app) if is_admin_route(t)]
    for method, template in admin_routes:
        url = fill(template, ids)
        page = await send(cashier_client, method, url)
        assert page.status_code == 403, (method, url, page.status_code)
        assert "Admins only" in page.text
        assert (await send(cashier_client, method, url, htmx=True)).status_code == 403, (method, url)
    assert (await cashier_client.get("/admin/")).status_code == 403
    assert await snapshot() == before


async def test_a_cashier_reaches_every_till_route(
    app: Litestar, cashier_client: Client, cashier: int, warehouse: int
) -> None:
    ids = await shop(cashier, warehouse)
    await set_take_returns(cashier, cashier, True)  # the returns pages also need this (test_returns_permission.py)
    for method, template in private_routes(app):
        if is_admin_route(template):
            continue
        url = fill(template, ids)
        response = await send(cashier_client, method, url)
        assert response.status_code not in (401, 403), (method, url, response.status_code)
        assert response.headers.get("location") != "/login", (method, url)
        assert response.status_code < 500, (method, url, response.text)


async def test_an_admin_reaches_every_admin_route(
    app: Litestar, admin_client: Client, cashier: int, warehouse: int
) -> None:
    ids = await shop(cashier, warehouse)
    for method, template in [(m, t) for m, t in routes(app) if is_admin_route(t)]:
        url = fill(template, ids)
        response = await send(admin_client, method, url)
        if method == "GET" and ":str}" not in template and not template.endswith(("/csv", ".csv")):
            # The admin gets the page (a page may say with 503 that Stripe cannot be reached yet);
            # a CSV export is a download, not a page.
            assert 'data-testid="admin-sections"' in response.text, (method, url, response.status_code)
        assert response.status_code not in (401, 403), (method, url, response.status_code)
        assert response.status_code < 500 or response.status_code == 503, (method, url, response.text)


async def test_an_admin_works_the_till_of_any_warehouse(
    app: Litestar, admin_client: Client, cashier: int, warehouse: int
) -> None:
    ids = await shop(cashier, warehouse)
    assert (await post_form(admin_client, "/warehouses", {"warehouse_id": str(warehouse)})).status_code == 303
    for method, template in private_routes(app):
        if is_admin_route(template):
            continue
        url = fill(template, ids)
        response = await send(admin_client, method, url)
        assert response.status_code not in (401, 403), (method, url, response.status_code)
        assert response.status_code < 500, (method, url, response.text)
