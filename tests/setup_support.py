"""Helpers for the Stripe set-up pages' tests (keys, locations, readers, currencies): an app pointed
at the simulator with no Stripe key of its own, and the forms as an admin submits them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from litestar import Litestar

from kiosk.config import Settings
from tests.kiosk_support import kiosk_settings, post_form
from tests.simulator_support import DEFAULT_KEY, RunningSimulator

KEY = DEFAULT_KEY
PUBLISHABLE = "pk_test_kioskPublishable01"
ADDRESS = {"display_name": "Harbour shop", "line1": "1 Quay St", "city": "Dublin", "country": "IE"}


def setup_settings(simulator: RunningSimulator, **changes: Any) -> Settings:
    """The demo's settings against the simulator, with no Stripe key in the environment."""
    keys: dict[str, Any] = {"stripe_secret_key": None, "stripe_webhook_secret": None, **changes}
    return kiosk_settings(stripe_api_base=simulator.url, **keys)


def setup_app(simulator: RunningSimulator, **changes: Any) -> Litestar:
    from kiosk.app import create_app

    return create_app(setup_settings(simulator, **changes))


async def submit_keys(client: httpx.AsyncClient, url: str = "/admin/stripe", **typed: str) -> httpx.Response:
    """The keys form as typed (blank fields stay blank), sent to Save or Verify."""
    fields = {"publishable_key": "", "secret_key": "", "webhook_secret": "", **typed}
    return await post_form(client, url, fields)


async def save_keys(client: httpx.AsyncClient, key: str = KEY) -> None:
    response = await submit_keys(client, secret_key=key, publishable_key=PUBLISHABLE)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/stripe?done=saved"


async def stored_bytes(db: str) -> bytes:
    """Everything a copy of the database would hold: the SQLite file and its write-ahead log, or
    on PostgreSQL every row of every table."""
    if db.startswith(("postgres://", "postgresql://")):
        from tests.admin_support import snapshot

        return repr(await snapshot()).encode()
    files = (Path(db), Path(db + "-wal"))
    assert files[0].exists()
    return b"".join(p.read_bytes() for p in files if p.exists())


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port in this event loop; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()
