"""The kiosk under a browser test: Playwright's sync API owns the test's event loop, so the kiosk
runs on an event loop of its own in a thread; and the console watch for CSP violations."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import TypeVar

from playwright.sync_api import ConsoleMessage, Page

T = TypeVar("T")
START_SECONDS = 30


@contextmanager
def in_thread(serve: Callable[[], AbstractAsyncContextManager[T]]) -> Iterator[T]:
    """Enter `serve()` on a new event loop in a thread; yields what it gives, exits it at the end."""
    ready, stop = threading.Event(), threading.Event()
    given: list[T] = []
    failed: list[BaseException] = []

    async def main() -> None:
        try:
            async with serve() as value:
                given.append(value)
                ready.set()
                await asyncio.to_thread(stop.wait)
        except BaseException as exc:  # shown by the test instead of a bare "did not start"
            failed.append(exc)
            ready.set()
            raise

    thread = threading.Thread(target=lambda: asyncio.run(main()), name="kiosk")
    thread.start()
    try:
        assert ready.wait(START_SECONDS) and given, f"the kiosk did not start: {failed}"
        yield given[0]
    finally:
        stop.set()
        thread.join(START_SECONDS)


def watch_csp(page: Page, violations: list[str]) -> Page:
    """Collect the page's Content-Security-Policy violations from its console into `violations`."""

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    return page
