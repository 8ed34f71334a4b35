"""Behind a load balancer: with its address in KIOSK_TRUSTED_PROXIES, each till is known by its own
address (one till's wrong passwords do not slow down the others); `kiosk serve` hands the setting
to uvicorn."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar

from kiosk.cli.main import build_parser
from kiosk.people.login_limit import SPRAY_ACCOUNTS
from kiosk.people.tables import LoginFailure
from kiosk.server import serve
from tests.integration.people.login_support import device
from tests.kiosk_support import PASSWORD, kiosk_settings, log_in

BALANCER = "10.0.0.2"


async def spray_then_log_in_from_another_till(app: Litestar) -> int:
    """Till A tries many accounts, then till B (a browser new to the cashier) logs in, both through
    the balancer; returns till B's status."""
    async with device(app, BALANCER) as till_a, device(app, BALANCER) as till_b:
        till_a.headers["X-Forwarded-For"] = "198.51.100.7"
        till_b.headers["X-Forwarded-For"] = "198.51.100.8"
        for n in range(SPRAY_ACCOUNTS):
            await log_in(till_a, f"guess{n}", "Password1")
        return (await log_in(till_b, "cashier", PASSWORD)).status_code


async def test_with_the_balancer_trusted_each_till_has_its_own_address(db: str, cashier: int) -> None:
    from kiosk.app import create_app

    app = create_app(kiosk_settings(trusted_proxies=("10.0.0.0/8",)))
    assert await spray_then_log_in_from_another_till(app) == 303
    clients = {row["client"] for row in await LoginFailure.select(LoginFailure.client)}
    assert clients == {"198.51.100.7"}


async def test_without_it_every_till_has_the_balancers_address(app: Litestar, cashier: int) -> None:
    assert await spray_then_log_in_from_another_till(app) == 429
    clients = {row["client"] for row in await LoginFailure.select(LoginFailure.client)}
    assert clients == {BALANCER}


async def test_a_browser_that_is_not_a_trusted_proxy_cannot_choose_its_address(app: Litestar, cashier: int) -> None:
    async with device(app, "203.0.113.5") as browser:
        for n in range(3):
            browser.headers["X-Forwarded-For"] = f"192.0.2.{n}"
            await log_in(browser, "cashier", "wrong password")
    clients = {row["client"] for row in await LoginFailure.select(LoginFailure.client)}
    assert clients == {"203.0.113.5"}


def started(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, Any]:
    """What `kiosk serve` would hand uvicorn with this environment (the database check passed)."""
    ran: dict[str, Any] = {}
    monkeypatch.setattr("kiosk.server._start", lambda config: ran.update(vars(config)))
    monkeypatch.setattr("kiosk.server.database_problem", lambda settings: None)
    for name, value in {"KIOSK_SECRET_KEY": "a-secret-key-for-the-test", **env}.items():
        monkeypatch.setenv(name, value)
    assert serve(build_parser().parse_args(["serve"])) == 0
    return ran


def test_kiosk_serve_trusts_the_configured_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    ran = started(monkeypatch, {"KIOSK_TRUSTED_PROXIES": "10.0.0.0/8,192.168.1.7"})
    assert ran["proxy_headers"] is True
    assert ran["forwarded_allow_ips"] == ["10.0.0.0/8", "192.168.1.7"]
    monkeypatch.delenv("KIOSK_TRUSTED_PROXIES")
    assert started(monkeypatch, {})["forwarded_allow_ips"] == ["127.0.0.1", "::1"]


def test_kiosk_serve_refuses_a_bad_setting_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as refused:
        started(monkeypatch, {"KIOSK_TRUSTED_PROXIES": "*"})
    assert str(refused.value).startswith("kiosk serve: KIOSK_TRUSTED_PROXIES cannot be *")
