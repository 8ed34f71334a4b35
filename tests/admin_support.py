"""Fixtures for admin and security tests: an admin's browser beside the cashier's, every route of
the app with its path filled in, and a snapshot of the whole database to prove nothing changed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from piccolo.conf.apps import Finder

from tests.kiosk_support import log_in, make_user

Client = AsyncTestClient[Litestar]
ADMIN = "boss"
_PARAM = re.compile(r"\{(\w+):(\w+)\}")


@pytest.fixture
async def admin_user(warehouse: int) -> int:
    """User "boss", an admin (no warehouse links: admins may use every warehouse)."""
    return await make_user(ADMIN, admin=True, warehouses=())


@pytest.fixture
async def admin_client(app: Litestar, admin_user: int) -> AsyncIterator[Client]:
    """A second browser, logged in as the admin."""
    async with AsyncTestClient(app=app) as browser:
        browser.follow_redirects = False
        response = await log_in(browser, ADMIN)
        assert response.status_code == 303, response.text
        yield browser


def routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route the app serves (OPTIONS and HEAD aside)."""
    found = []
    for route in app.routes:
        assert isinstance(route, HTTPRoute), f"unexpected route kind {route!r}: classify it in the tests"
        found += [(method, route.path) for method in sorted(route.methods - {"OPTIONS", "HEAD"})]
    return found


def fill(template: str, ids: dict[str, Any]) -> str:
    """A path template with its parameters filled: a known id by name, else a harmless guess."""

    def value(match: re.Match[str]) -> str:
        name, kind = match.groups()
        if name in ids:
            return str(ids[name])
        return {"int": "1", "path": "kiosk.css"}.get(kind, "x")

    return _PARAM.sub(value, template)


async def snapshot() -> dict[str, list[str]]:
    """Every row of every table, to compare before and after a refused request."""
    tables = Finder().get_table_classes()
    state = {}
    for table in tables:
        rows = await table.select()
        state[table._meta.tablename] = sorted(repr(sorted(row.items())) for row in rows)
    return state
