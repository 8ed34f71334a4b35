"""Two kiosk processes behind one load balancer share the database: keys saved through one are in
force in the other after its periodic settings check (kiosk/payments/runtime.py CHECK_SECONDS, one
hand-written read of the settings revision, kiosk/db/settings.py), without anyone telling it."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.payments import runtime
from tests.kiosk_support import log_in, make_user
from tests.setup_support import save_keys, setup_app
from tests.simulator_support import RunningSimulator

BANNER = 'data-testid="test-mode-banner"'


async def _in_force(app: Litestar) -> None:
    while app.state.stripe_mode != "test" or app.state.get("payments") is None:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def test_keys_saved_in_one_worker_are_in_force_in_the_other_after_its_check(
    db: str, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "CHECK_SECONDS", 0.2)  # the shop's 5 s, shortened for the test
    saving, other = setup_app(simulator), setup_app(simulator)
    await make_user("boss", admin=True, warehouses=())
    async with AsyncTestClient(app=saving) as admin, AsyncTestClient(app=other) as visitor:
        admin.follow_redirects = False
        assert (await log_in(admin, "boss")).status_code == 303
        assert other.state.stripe_mode is None and other.state.get("payments") is None
        assert BANNER not in (await visitor.get("/login")).text
        await save_keys(admin)  # waits for its own worker only
        async with asyncio.timeout(30):
            await _in_force(other)
        assert BANNER in (await visitor.get("/login")).text
