"""The simulated account on disk, for ``kiosk simulator --persist FILE``.

What is saved is what Stripe itself would remember across a restart: the account id, every object
(webhook endpoints and events included), the call counts and the idempotency keys. Runtime state
(reader devices mid-action, queued webhook deliveries, injected faults) starts fresh, as if the
simulator had been unplugged. The file is written to a temporary name and renamed over the old one,
so a crash mid-write never leaves half a file.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

from kiosk.simulator.core import Simulator
from kiosk.simulator.idempotency import IdempotencyStore

JSON = dict[str, Any]
FORMAT_VERSION = 1
log = logging.getLogger("kiosk.simulator")


def snapshot(sim: Simulator, idempotency: IdempotencyStore) -> str:
    """The state to save, as JSON text."""
    state: JSON = {
        "format": FORMAT_VERSION,
        "account_id": sim.account_id,
        "objects": sim.objects,
        "api_calls": dict(sim.api_calls),
        "idempotency": idempotency.to_json(),
    }
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


def save(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load(path: Path, sim: Simulator, idempotency: IdempotencyStore) -> bool:
    """Restore ``sim`` from ``path``; False when there is no file yet (a fresh account)."""
    if not path.exists():
        return False
    state: JSON = json.loads(path.read_text(encoding="utf-8"))
    if state.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a simulator state file of format {FORMAT_VERSION}")
    sim.account_id = state["account_id"]
    sim.objects = state["objects"]
    sim.api_calls = Counter(state["api_calls"])
    idempotency.load_json(state["idempotency"])
    return True


class Persister:
    """Saves the state whenever it changed since the last save (after each mutating call, and on a timer)."""

    def __init__(self, path: Path, sim: Simulator, idempotency: IdempotencyStore) -> None:
        self.path = path
        self.sim = sim
        self.idempotency = idempotency
        self._last = ""

    def restore(self) -> None:
        if load(self.path, self.sim, self.idempotency):
            self._last = snapshot(self.sim, self.idempotency)
            log.info("simulator state restored from %s", self.path)

    def save_if_changed(self) -> None:
        """Write the state if it changed; a failed write is logged and retried on the next save."""
        text = snapshot(self.sim, self.idempotency)
        if text == self._last:
            return
        try:
            save(self.path, text)
        except OSError:
            log.exception("could not save the simulator state to %s", self.path)
            return
        self._last = text
