"""`kiosk serve`'s uvicorn server wakes an idle event loop once a second, not ten times, and still
stops at once on Ctrl-C / SIGTERM, between two of its ticks."""

from __future__ import annotations

import asyncio
import signal

import pytest
import uvicorn

from kiosk import server
from kiosk.server import KioskServer


async def _app(scope: object, receive: object, send: object) -> None:
    """An ASGI app that is never called: only the server's own loop runs here."""


def _server() -> KioskServer:
    config = uvicorn.Config(_app, lifespan="off", log_level="warning", server_header=False)
    config.load()
    return KioskServer(config)


@pytest.fixture
def long_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ticks an hour apart: anything that ends the loop sooner came from the signal itself."""
    monkeypatch.setattr(server, "TICK_SECONDS", 3600.0)


@pytest.mark.usefixtures("long_ticks")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_a_stop_signal_ends_the_server_loop_between_ticks(sig: signal.Signals) -> None:
    kiosk = _server()
    with kiosk.capture_signals():  # the handlers `kiosk serve` runs with
        asyncio.get_running_loop().call_later(0.05, signal.raise_signal, sig)
        await asyncio.wait_for(kiosk.main_loop(), 60)
        assert kiosk.should_exit
        kiosk._captured_signals.clear()  # uvicorn would raise it again on leaving: not in a test run


@pytest.mark.usefixtures("long_ticks")
async def test_a_signal_during_a_tick_is_not_missed() -> None:
    kiosk = _server()
    ticks = 0
    real_tick = kiosk.on_tick

    async def tick(counter: int) -> bool:
        nonlocal ticks
        ticks += 1
        if ticks == 1:  # while the first tick runs, before the loop waits for the next one
            kiosk.handle_exit(signal.SIGTERM, None)
            return False
        return await real_tick(counter)

    kiosk.on_tick = tick  # type: ignore[method-assign]
    await asyncio.wait_for(kiosk.main_loop(), 60)
    assert ticks == 2
