"""Malformed requests get a plain 4xx and one log line, never a 500 with a traceback: a webhook
signature with a non-ASCII character, a form whose CSRF token has one, and ids beyond 64 bits."""

from __future__ import annotations

import logging

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.shop.tables import Receipt
from tests.kiosk_support import CSRF_COOKIE, csrf_token
from tests.payments_support import Kiosk

HUGE = "99999999999999999999999"  # beyond any 64-bit id
TILL_PATHS = [
    f"/receipts/{HUGE}",
    f"/receipts/{HUGE}/summary",
    f"/receipts/{HUGE}/print",
    f"/payments/{HUGE}/progress",
    f"/payments/{HUGE}/readers",
]


@pytest.mark.parametrize("path", TILL_PATHS)
async def test_an_id_beyond_64_bits_is_not_found(cashier_client: AsyncTestClient[Litestar], path: str) -> None:
    response = await cashier_client.get(path)
    assert response.status_code == 404
    assert "We could not find that page" in response.text


async def test_an_admin_id_beyond_64_bits_is_not_found(admin_client: AsyncTestClient[Litestar]) -> None:
    response = await admin_client.get(f"/admin/users/{HUGE}")
    assert response.status_code == 404


async def test_a_posted_id_beyond_64_bits_changes_nothing(cashier_client: AsyncTestClient[Litestar]) -> None:
    token = await csrf_token(cashier_client)
    response = await cashier_client.post(f"/receipts/{HUGE}/cash", data={"given": "5", "_csrf_token": token})
    assert response.status_code == 404


async def test_a_csrf_token_with_a_non_ascii_character_is_refused(
    cashier_client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    await csrf_token(cashier_client)
    bad = "é" * 64
    form = await cashier_client.post("/receipts", data={"_csrf_token": bad})
    header = await cashier_client.post("/receipts", headers={"x-csrftoken": bad.encode()})
    assert form.status_code == 403 and header.status_code == 403
    good = await csrf_token(cashier_client)
    cookies = "; ".join(f"{name}={value}" for name, value in cashier_client.cookies.items() if name != CSRF_COOKIE)
    cookie = await cashier_client.post(
        "/receipts",
        data={"_csrf_token": good},
        headers={"cookie": f"{cookies}; {CSRF_COOKIE}={bad}".encode()},
    )
    assert cookie.status_code == 403
    assert await Receipt.count() == 0  # no receipt was opened by any of them
    assert "Traceback" not in caplog.text


async def test_a_webhook_signature_with_a_non_ascii_character_is_refused(
    kiosk: Kiosk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with httpx.AsyncClient(base_url=kiosk.url, trust_env=False) as stripe:
        response = await stripe.post(
            "/webhooks/stripe",
            content=b'{"id": "evt_1", "object": "event"}',
            headers={"stripe-signature": "t=1,v1=\u00e9".encode(), "content-type": "application/json"},
        )
    assert response.status_code == 400 and response.json() == {"error": "invalid signature"}
    refusals = [r for r in caplog.records if "webhook refused" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].exc_info is None  # one line, no traceback
