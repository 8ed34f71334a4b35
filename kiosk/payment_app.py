"""Wiring the payments engine into the app: its routes, and a lifespan that builds the Stripe
gateway on the server's event loop and runs the reconciler beside the requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from litestar import Litestar
from litestar.types import ControllerRouterHandler

from kiosk.config import Settings
from kiosk.payment_driver import Engine, Timing
from kiosk.reconciler import run_forever
from kiosk.routes.payments import PaymentsController
from kiosk.routes.webhooks import stripe_webhook
from kiosk.stripe_gateway import StripeGateway

PAYMENT_ROUTES: list[ControllerRouterHandler] = [PaymentsController, stripe_webhook]
# How often the background reconciler looks for payments whose webhook is overdue.
RECONCILER_TICK_SECONDS = 1.0


@asynccontextmanager
async def payments_lifespan(app: Litestar) -> AsyncIterator[None]:
    """`app.state.payments` is the Engine (None without a Stripe key). Tests may put a shorter
    `payment_timing` / `reconciler_tick` in app.state before start-up."""
    settings: Settings = app.state.settings
    gateway = StripeGateway.from_settings(settings)
    if gateway is None:
        app.state.payments = None
        yield
        return
    timing: Timing | None = app.state.get("payment_timing")
    engine = Engine.from_settings(settings, gateway, timing)
    app.state.payments = engine
    tick: float = app.state.get("reconciler_tick", RECONCILER_TICK_SECONDS)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run_forever, engine, tick)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
    finally:
        app.state.payments = None
        await gateway.aclose()
