"""The cashier's browser gets htmx 2.0.x from the pinned npm package, and the kiosk's own CSS."""

import json

from litestar.testing import AsyncTestClient

from kiosk.app import create_app
from kiosk.config import PROJECT_ROOT


async def test_htmx_is_served_from_the_pinned_package() -> None:
    pinned = json.loads((PROJECT_ROOT / "package.json").read_text())["dependencies"]["htmx.org"]
    assert pinned.startswith("2.0.")
    async with AsyncTestClient(app=create_app()) as client:
        response = await client.get("/static/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert f'version:"{pinned}"' in response.text.replace(" ", "")


async def test_stylesheet_is_served() -> None:
    async with AsyncTestClient(app=create_app()) as client:
        response = await client.get("/static/kiosk.css")
    assert response.status_code == 200
    assert "@media" in response.text
