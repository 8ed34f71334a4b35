"""Helpers for the login limit's tests: browsers on other devices (other addresses), wrong passwords."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.people.tables import LoginFailure
from tests.admin_support import Client
from tests.kiosk_support import log_in

# The address Litestar's test client comes from (not an IP, so it is never a trusted proxy).
TEST_CLIENT = "testclient"


def at_address(app: Litestar, address: str) -> Callable[..., Any]:
    """The app as seen from another device: every request comes from `address`."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (address, 40000)}
        await app(scope, receive, send)  # type: ignore[arg-type]

    return asgi


@asynccontextmanager
async def device(app: Litestar, address: str) -> AsyncIterator[Client]:
    """Another browser, on another device at `address`."""
    async with AsyncTestClient(app=at_address(app, address)) as browser:  # type: ignore[arg-type]
        browser.follow_redirects = False
        yield browser


async def fail(client: Client, username: str, times: int) -> str:
    """`times` wrong passwords; returns what the page said after the last one."""
    said = ""
    for _ in range(times):
        response = await log_in(client, username, "wrong password")
        assert response.status_code == 401, response.text
        said = response.text
    return said


async def age_failures(by: timedelta) -> None:
    """As if the failures so far had happened `by` earlier."""
    for row in await LoginFailure.select(LoginFailure.id, LoginFailure.at):
        await LoginFailure.update({LoginFailure.at: row["at"] - by}).where(LoginFailure.id == row["id"])
