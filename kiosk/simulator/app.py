"""The simulator's web app: Stripe's ``/v1`` API, the ``/_sim`` control API and the virtual readers.

``create_simulator_app(sim)`` builds it around one ``Simulator``; ``run(...)`` serves it with uvicorn
for ``kiosk simulator``. The ``/v1`` requests all go through one catch-all route into the
framework-free ``Pipeline``; the control API and the reader pages are ordinary Litestar routers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from litestar import Litestar, asgi
from litestar.enums import ScopeType
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from kiosk.simulator import control, control_readers, control_webhooks, handlers, params, reader_page, versions
from kiosk.simulator.api import HANDLERS
from kiosk.simulator.collector import tune as tune_collector
from kiosk.simulator.core import Simulator, new_test_key
from kiosk.simulator.errors import StripeError
from kiosk.simulator.idempotency import IdempotencyStore
from kiosk.simulator.persistence import Persister
from kiosk.simulator.pipeline import Pipeline
from kiosk.simulator.routes import ROUTES
from kiosk.simulator.webhooks import EventBus

log = logging.getLogger("kiosk.simulator")

SAVE_INTERVAL_SECONDS = 1.0
_MUTATING = frozenset({"POST", "DELETE"})


@asgi("/v1", is_mount=True, copy_scope=False)
async def stripe_api(scope: Scope, receive: Receive, send: Send) -> None:
    """Every Stripe API request, whatever its method (Stripe answers an unknown one with its 404);
    the pipeline answers it exactly as Stripe would. A bare ASGI handler: Litestar's request and
    response machinery cost the simulator as much as the pipeline itself."""
    if scope["type"] != ScopeType.HTTP:
        return
    state = scope["app"].state
    pipeline: Pipeline = state.pipeline
    method = scope["method"]
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    # Mounted, the path is what follows /v1 with a slash added: the normalized path was /v1 + it.
    path = "/v1" + scope["path"][:-1]
    answer = pipeline.serve(method, path, headers, scope["query_string"].decode(), b"".join(chunks))
    persister: Persister | None = state.persister
    if persister is not None and method in _MUTATING:
        persister.save_if_changed()
    body = answer.content.encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers.items()]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": answer.status, "headers": raw}
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)


def _warm_up() -> None:
    """Compile the params schema of every route that has a handler, so no first request pays for it."""
    for route_ in ROUTES.routes:
        if (route_.method, route_.template) in HANDLERS:
            params.warm(route_)


def create_simulator_app(sim: Simulator | None = None) -> Litestar:
    """The simulator app serving ``sim`` (a fresh account when None)."""
    sim = sim or Simulator()
    if not isinstance(sim.events, EventBus):
        sim.events = EventBus(sim)
    bus = sim.events
    idempotency = IdempotencyStore()
    persister = Persister(sim.persist_path, sim, idempotency) if sim.persist_path else None
    if persister is not None:
        persister.restore()
    log.debug("simulator handlers: %s", ", ".join(handlers.MODULES))
    _warm_up()

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with bus.running(), _saving(persister):
            yield

    app = Litestar(
        route_handlers=[
            stripe_api,
            control.router,
            control_readers.router,
            control_webhooks.router,
            reader_page.router,
        ],
        lifespan=[lifespan],
        openapi_config=None,
    )
    app.state.sim = sim
    app.state.idempotency = idempotency
    app.state.pipeline = Pipeline(sim, idempotency)
    app.state.persister = persister
    return app


@contextlib.asynccontextmanager
async def _saving(persister: Persister | None) -> AsyncIterator[None]:
    """While the app runs, save changes made off the API (reader timers, webhook deliveries, GET counts)
    within a second; save once more at shutdown."""
    if persister is None:
        yield
        return
    task = asyncio.create_task(_save_periodically(persister))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        persister.save_if_changed()


async def _save_periodically(persister: Persister) -> None:
    while True:
        await asyncio.sleep(SAVE_INTERVAL_SECONDS)
        persister.save_if_changed()


def run(
    host: str,
    port: int,
    api_keys: Iterable[str] = (),
    persist: Path | None = None,
    log_level: str = "info",
    api_version: str | None = None,
) -> None:
    """Serve a simulator with uvicorn until interrupted (``kiosk simulator``).

    ``api_version`` is the account's default version (requests without ``Stripe-Version``, events).
    """
    import uvicorn

    keys = frozenset(api_keys) or frozenset({new_test_key()})
    sim = Simulator(api_keys=keys, persist_path=persist)
    if api_version:
        try:
            sim.default_api_version = versions.check(api_version)
        except StripeError as error:
            raise SystemExit(f"kiosk simulator: --api-version: {error.message}") from error
    app = create_simulator_app(sim)
    base = f"http://{host}:{port}"
    print(f"Stripe simulator: API base {base} (StripeClient(key, base_addresses={{'api': '{base}'}}))")
    if not api_keys:
        print(f"  API key (made up for this run; pass --api-key to choose one): {next(iter(keys))}")
    print(f"  default API version: {sim.default_api_version} (a request's Stripe-Version picks its own)")
    print(f"  virtual readers: {base}/_sim/readers   control API: {base}/_sim/calls")
    if persist:
        print(f"  state persisted to {persist}")
    tune_collector()
    uvicorn.run(app, host=host, port=port, log_level=log_level)
