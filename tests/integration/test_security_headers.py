"""Security headers on every answer, and pages that live within the Content-Security-Policy."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.app import create_app
from kiosk.receipts import add_quick_amount, open_receipt
from tests.admin_support import Client, fill, routes
from tests.kiosk_support import kiosk_settings, post_form

HTTPS = "https://testserver.local"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def assert_protected(response: httpx.Response) -> None:
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


async def test_pages_fragments_files_and_errors_all_carry_the_headers(cashier_client: Client) -> None:
    answers = [
        await cashier_client.get("/receipts"),
        await cashier_client.get("/static/kiosk.css"),
        await cashier_client.get("/no/such/page"),
        await cashier_client.get("/admin/"),  # 403
        await cashier_client.post("/receipts"),  # CSRF refusal
        await cashier_client.get("/healthz"),
    ]
    for response in answers:
        assert_protected(response)


async def test_the_demo_on_plain_http_sends_no_hsts(client: Client) -> None:
    assert "strict-transport-security" not in (await client.get("/login")).headers


async def test_hsts_outside_the_demo(db: str) -> None:
    async with AsyncTestClient(app=create_app(kiosk_settings(demo=False)), base_url=HTTPS) as secure:
        response = await secure.get("/login")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert_protected(response)


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
