"""Python's cycle collector tuned for a process that keeps many long-lived objects.

The simulator keeps every object of the account (intents, charges, readers, events: JSON trees,
without cycles) and the bench keeps a thousand tablets' clients; the collector's full passes walk
all of them again and again while they only grow, about half of what an event cost the simulator
to make. ``tune`` makes the collector run less often on young objects (most die before it runs)
and leave out what survived a full pass (``gc.freeze``), every ``THAW_SECONDS`` letting it look at
everything once more, so that a cycle which became garbage after being frozen is still freed.
"""

from __future__ import annotations

import gc
import time
from typing import Any

YOUNG_THRESHOLD = 10_000  # allocations between collections of the youngest generation (Python: 700)
THAW_SECONDS = 600.0


class _Freezer:
    def __init__(self) -> None:
        self.thawed_at = time.monotonic()

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != 2:
            return
        if time.monotonic() - self.thawed_at >= THAW_SECONDS:
            gc.unfreeze()  # the next full pass sees everything
            self.thawed_at = time.monotonic()
        else:
            gc.freeze()


def tune() -> None:
    """For a whole process (``kiosk simulator``, ``kiosk bench``), once, before it serves."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    if not any(isinstance(callback, _Freezer) for callback in gc.callbacks):
        gc.callbacks.append(_Freezer())
