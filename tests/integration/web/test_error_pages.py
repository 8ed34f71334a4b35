"""People get friendly pages for missing pages and failures, never a stack trace."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from kiosk.app import create_app
from tests.kiosk_support import kiosk_settings, log_in


@get("/explode", sync_to_thread=False)
def explode() -> str:
    raise RuntimeError("secret internals: /work/main/kiosk/db/engine.py line 42")


async def test_unknown_page_is_a_friendly_404(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "We could not find that page" in response.text


async def test_a_crash_is_a_friendly_500_without_details(db: str, cashier: int) -> None:
    app = create_app(kiosk_settings())
    app.register(explode)
    async with AsyncTestClient(app=app, raise_server_exceptions=False) as client:
        await log_in(client)
        response = await client.get("/explode")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "Traceback" not in response.text and "secret internals" not in response.text


async def test_wrong_method_is_a_friendly_page(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/logout")  # logging out is a POST
    assert response.status_code == 405
    assert "That action is not available here" in response.text
