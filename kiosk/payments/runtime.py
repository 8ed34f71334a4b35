"""Keeps the running payments engine in step with the Stripe keys stored by the admin pages.

The payments engine (`payments_lifespan`, below) builds its gateway from `app.state.settings` when its
lifespan starts. This lifespan runs it inside a supervisor that hands it the stored keys (falling
back to the environment). When the keys change, a running engine gets a new gateway in place (its
reconciler is never cancelled mid-write); the old gateway is closed once its calls are surely over.
Only a change between "no key" and "a key" starts or stops the engine. The admin page that saved
the keys waits for this (`await runtime.reload()`); other kiosk processes of the same shop notice
the change within `CHECK_SECONDS` through the settings revision number.

It also keeps `app.state.stripe_mode` ("test" | "live" | None, for the TEST MODE banner) and the
till's card minimums (kiosk/money/amounts.py) up to date.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import anyio
from anyio.abc import TaskGroup, TaskStatus
from litestar import Litestar

from kiosk.config import Settings
from kiosk.db import settings as settings_store
from kiosk.money import amounts as money
from kiosk.money import currencies
from kiosk.payments.engine import Engine, Timing
from kiosk.payments.recovery import run_forever, until_next
from kiosk.payments.recovery_policy import Recovery, recovery_from_env, timing_from_env
from kiosk.readers.snapshot import DatabaseReaderNews
from kiosk.stripe_account import keys as stripe_settings
from kiosk.stripe_account.gateway import StripeGateway
from kiosk.stripe_account.keys import StripeConfig

logger = logging.getLogger(__name__)

# How often each process looks for settings changed elsewhere (one tiny query).
CHECK_SECONDS = 5.0
# How long a saving admin waits for the payments engine to restart with the new keys.
RELOAD_WAIT_SECONDS = 10.0
RELOAD_POLL_SECONDS = 0.02
# A replaced gateway stays open this long for calls already under way (HTTP timeout and retries).
GATEWAY_DRAIN_SECONDS = 90.0


@asynccontextmanager
async def payments_lifespan(app: Litestar) -> AsyncIterator[None]:
    """`app.state.payments` is the Engine (None without a Stripe key). The engine's patience and the
    reconciler's pace come from KIOSK_PAYMENT_TIMING / KIOSK_RECOVERY (kiosk/payments/recovery_policy.py);
    in-process tests may put a shorter `payment_timing` / `reconciler_tick` in app.state instead."""
    settings: Settings = app.state.settings
    gateway = StripeGateway.from_settings(settings, DatabaseReaderNews())
    if gateway is None:
        app.state.payments = None
        yield
        return
    timing: Timing | None = app.state.get("payment_timing") or timing_from_env()
    engine = Engine.from_settings(settings, gateway, timing)
    app.state.payments = engine
    recovery: Recovery = recovery_from_env()
    if app.state.get("reconciler_tick"):
        recovery = replace(recovery, tick=app.state.reconciler_tick)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run_forever, engine, recovery)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
    finally:
        app.state.payments = None
        await gateway.aclose()


class StripeRuntime:
    """One per app: `base` is the environment's settings, `config` the Stripe keys in force."""

    def __init__(self, app: Litestar, base: Settings) -> None:
        self.app = app
        self.base = base
        self.config = StripeConfig()
        self.revision = -1  # the settings revision last read
        self.applied = -1  # the revision this process fully runs with (engine restarted if needed)
        self._wake = anyio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def reload(self) -> None:
        """Call after saving settings: returns once this process runs with them (or after
        RELOAD_WAIT_SECONDS). Polls rather than awaiting an event: a test may drive the app from
        another event loop than the one this runtime's supervisor runs on."""
        target = await settings_store.revision()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: self._wake.set())
        with anyio.move_on_after(RELOAD_WAIT_SECONDS):
            while self.applied < target:  # noqa: ASYNC110 - an Event cannot be awaited across loops
                await anyio.sleep(RELOAD_POLL_SECONDS)

    async def _refresh(self) -> bool:
        """Read the settings again; True when the payments engine needs a new gateway."""
        revision = await settings_store.revision()
        config = await stripe_settings.load(self.base)
        await currencies.load_raised_minimums()
        restart = config.fingerprint != self.config.fingerprint
        self.config, self.revision = config, revision
        self.app.state.stripe_mode = config.mode
        return restart

    async def _first_load(self) -> None:
        try:
            await self._refresh()
        except Exception:  # an unreachable or unmigrated database must not stop the till starting
            logger.exception("stored settings could not be read; using the environment's Stripe keys")
            self.config = StripeConfig(
                secret_key=self.base.stripe_secret_key, webhook_secret=self.base.stripe_webhook_secret
            )
            self.app.state.stripe_mode = self.config.mode

    async def _changed_keys(self) -> bool:
        """Wait for a wake-up or the periodic check; True when the keys in force changed."""
        with anyio.move_on_after(until_next(CHECK_SECONDS)):
            await self._wake.wait()
        self._wake = anyio.Event()
        try:
            if await settings_store.revision() != self.revision:
                return await self._refresh()
        except Exception:  # the database may be briefly down: keep the engine running as it is
            logger.exception("checking for changed settings failed")
        return False

    @asynccontextmanager
    async def _engine(self) -> AsyncIterator[None]:
        # The engine reads its keys from app.state.settings as it starts, then never again.
        self.app.state.settings = self.config.applied_to(self.base)
        try:
            async with payments_lifespan(self.app):
                self.app.state.settings = self.base
                yield
        finally:
            self.app.state.settings = self.base

    def _swap_gateway(self, retiring: TaskGroup) -> bool:
        """Give the running engine a gateway with the new keys; False when it must (re)start instead."""
        engine: Engine | None = self.app.state.get("payments")
        gateway = StripeGateway.from_settings(self.config.applied_to(self.base), DatabaseReaderNews())
        if engine is None or gateway is None:
            return False
        old, engine.gateway = engine.gateway, gateway
        retiring.start_soon(_retire, old)
        return True

    async def supervise(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        self._loop = asyncio.get_running_loop()
        await self._first_load()
        started = False
        async with anyio.create_task_group() as retiring:
            while True:
                async with self._engine():
                    if not started:
                        task_status.started()
                        started = True
                    self.applied = self.revision
                    while not await self._changed_keys() or self._swap_gateway(retiring):
                        self.applied = self.revision


async def _retire(gateway: StripeGateway) -> None:
    """Close a replaced gateway once any call still using it has finished or timed out."""
    try:
        await anyio.sleep(GATEWAY_DRAIN_SECONDS)
    finally:
        with anyio.CancelScope(shield=True):
            await gateway.aclose()


def runtime_of(app: Litestar) -> StripeRuntime:
    runtime: StripeRuntime = app.state.stripe_runtime
    return runtime


@asynccontextmanager
async def stripe_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Replaces payments_lifespan in create_app: the same engine, with the stored keys."""
    runtime = StripeRuntime(app, app.state.settings)
    app.state.stripe_runtime = runtime
    try:
        async with anyio.create_task_group() as tasks:
            await tasks.start(runtime.supervise)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
    finally:
        app.state.settings = runtime.base
        money.use_raised_minimums({})
