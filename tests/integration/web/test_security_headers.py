"""Security headers: the full set on every page, file and error page, a short set on fragments and JSON
(the poll's 304s: test_poll_cache.py); and pages that live within the Content-Security-Policy."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.app import create_app
from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.admin_support import Client, fill, routes
from tests.kiosk_support import kiosk_settings, post_form

HTTPS = "https://testserver.local"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
HTMX = {"HX-Request": "true"}
DOCUMENT_ONLY = ("content-security-policy", "x-frame-options", "referrer-policy", "cross-origin-opener-policy")


def assert_protected(response: httpx.Response) -> None:
    """The full set, for anything a browser may show as a page of its own."""
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]


def assert_short(response: httpx.Response) -> None:
    """The short set, for answers that are never a document of their own."""
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not [name for name in (*DOCUMENT_ONLY, "permissions-policy") if name in response.headers]


def varies_on_htmx(response: httpx.Response) -> bool:
    return "hx-request" in response.headers.get("vary", "").lower()


async def test_pages_files_and_error_pages_carry_the_full_set(cashier_client: Client) -> None:
    answers = [
        await cashier_client.get("/receipts"),
        await cashier_client.get("/static/kiosk.css"),
        await cashier_client.get("/no/such/page"),
        await cashier_client.get("/admin/"),  # 403
        await cashier_client.post("/receipts"),  # CSRF refusal
    ]
    for response in answers:
        assert_protected(response)


async def test_the_login_page_and_a_redirect_carry_the_full_set(client: Client) -> None:
    assert_protected(await client.get("/login"))
    assert_protected(await client.get("/receipts"))  # 303 to the login page


async def test_fragments_and_json_carry_the_short_set(cashier_client: Client, cashier: int, warehouse: int) -> None:
    receipt = await open_receipt(warehouse, cashier)
    answers = [
        await cashier_client.get(f"/receipts/{receipt}/summary", headers=HTMX),
        await cashier_client.get("/receipts", headers=HTMX),  # the list redraws itself from its page
        await cashier_client.get("/no/such/page", headers=HTMX),
        await cashier_client.get("/healthz"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 404, 200]
    for response in answers:
        assert_short(response)
    assert all(varies_on_htmx(r) for r in answers[:3]) and not varies_on_htmx(answers[3])


async def test_a_page_fetched_by_htmx_is_not_reused_as_a_document(cashier_client: Client) -> None:
    """The browser's cache keys the fragment on HX-Request, so the back button asks for the page again."""
    fetched = await cashier_client.get("/receipts", headers=HTMX)
    assert "hx-request" in [v.strip() for v in fetched.headers["vary"].lower().split(",")]
    assert_protected(await cashier_client.get("/receipts"))


async def test_the_demo_on_plain_http_sends_no_hsts(client: Client) -> None:
    assert "strict-transport-security" not in (await client.get("/login")).headers


async def test_hsts_outside_the_demo_on_every_answer(db: str) -> None:
    async with AsyncTestClient(app=create_app(kiosk_settings(demo=False)), base_url=HTTPS) as secure:
        page, fragment = await secure.get("/login"), await secure.get("/healthz", headers=HTMX)
    for response in (page, fragment):
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert_protected(page)
    assert_short(fragment)


async def test_no_page_needs_inline_script_or_style(
    app: Litestar, cashier_client: Client, admin_client: Client, cashier: int, warehouse: int
) -> None:
    """Every page and fragment an admin can open renders without inline script, event handler
    attributes or style attributes, which the policy would block."""
    receipt = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt, warehouse, "3.00")
    await post_form(admin_client, "/warehouses", {"warehouse_id": str(warehouse)})
    ids = {"receipt_id": receipt, "user_id": cashier, "warehouse_id": warehouse}
    seen = 0
    for method, template in routes(app):
        if method != "GET" or template.startswith("/static"):
            continue
        response = await admin_client.get(fill(template, ids))
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        seen += 1
        page = response.text
        assert not INLINE_SCRIPT.search(page), template
        assert not EVENT_HANDLER.search(page), template
        assert not STYLE_ATTRIBUTE.search(page), template
    assert seen >= 10


async def test_the_login_and_error_pages_are_clean_too(client: Client) -> None:
    for response in (await client.get("/login"), await client.get("/no/such/page")):
        assert not INLINE_SCRIPT.search(response.text) and not STYLE_ATTRIBUTE.search(response.text)


async def test_no_page_or_fragment_of_the_shop_is_kept_in_the_browsers_cache(
    app: Litestar, client: Client, admin_client: Client, cashier: int, warehouse: int
) -> None:
    """Back after logout on a shared tablet must not show receipts or settings from the cache: every
    HTML answer says no-store, but static files keep their max-age."""
    receipt = await open_receipt(warehouse, cashier)
    await add_quick_amount(receipt, warehouse, "3.00")
    await post_form(admin_client, "/warehouses", {"warehouse_id": str(warehouse)})
    ids = {"receipt_id": receipt, "user_id": cashier, "warehouse_id": warehouse}
    seen = set()
    for method, template in routes(app):
        if method != "GET" or template.startswith("/static"):
            continue
        for headers in ({}, HTMX):
            response = await admin_client.get(fill(template, ids), headers=headers)
            if "text/html" in response.headers.get("content-type", ""):
                assert response.headers.get("cache-control") == "no-store", (template, headers)
                seen.add(template)
    assert {"/receipts", "/receipts/{receipt_id:int}", "/admin/stripe", "/admin/users"} <= seen
    for page in ("/login", "/no/such/page"):
        assert (await client.get(page)).headers["cache-control"] == "no-store"
    css = await admin_client.get("/static/kiosk.css")
    assert "max-age" in css.headers["cache-control"]
