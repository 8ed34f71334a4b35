"""Wiring the payments engine into the app: a lifespan that builds the Stripe
gateway on the server's event loop and runs the reconciler beside the requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import anyio
from litestar import Litestar

from kiosk.config import Settings
from kiosk.payments.engine import Engine, Timing
from kiosk.payments.recovery import run_forever
from kiosk.payments.recovery_policy import Recovery, recovery_from_env, timing_from_env
from kiosk.readers.snapshot import DatabaseReaderNews
from kiosk.stripe_account.gateway import StripeGateway


@asynccontextmanager
async def payments_lifespan(app: Litestar) -> AsyncIterator[None]:
    """`app.state.payments` is the Engine (None without a Stripe key). The engine's patience and the
    reconciler's pace come from KIOSK_PAYMENT_TIMING / KIOSK_RECOVERY (kiosk/recovery_policy.py);
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
