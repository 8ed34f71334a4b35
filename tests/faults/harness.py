"""Real processes for the fault suite: the Stripe simulator (`kiosk simulator`) and kiosk servers
(`kiosk serve`), each a child process on a free 127.0.0.1 port, started, killed and restarted by
the tests exactly as an operator or a power cut would.

A server's patience is shortened through KIOSK_PAYMENT_TIMING / KIOSK_RECOVERY so that missing
webhooks and stuck readers resolve in seconds; `kill_at` sets KIOSK_FAULT_KILL_AT (kiosk/payments/faults.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from kiosk.bench.procs import free_port
from kiosk.config import PROJECT_ROOT

SIM_KEY = "sk_test_kiosk_faults"
START_TIMEOUT = 30.0
# The simulator answers its control and API calls in milliseconds; a machine busy with other test
# runs can hold one up for seconds, which is no failure of anything under test.
CONTROL_TIMEOUT = 60.0
FAST_TIMING = (
    "webhook_grace=0.8,check_interval=0.4,max_check_interval=0.8,stuck_after=10,"
    "attention_recheck=1,in_flight=3,resume_window=60"
)
# For tests that wait for a stuck reader action to need the cashier's attention.
STUCK_SOON = FAST_TIMING.replace("stuck_after=10", "stuck_after=3")
FAST_RECOVERY = "tick=0.2,batch=20,sweep_every=0.5,abandon_after=3600,stripe_calls_per_second=25"


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=1.0, trust_env=False).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", *argv], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out
        )


@dataclass
class SimulatorProcess:
    """`kiosk simulator` in a child process; `control` drives its /_sim API."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SimulatorProcess:
        log = self.workdir / "simulator.log"
        argv = ["simulator", "--port", str(self.port), "--api-key", SIM_KEY, "--log-level", "warning"]
        self.proc = _spawn(argv, {**os.environ, "PYTHONUNBUFFERED": "1"}, log)
        _wait_http(f"{self.url}/_sim/state", self.proc, log)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    async def control(self, method: str, path: str, json: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=CONTROL_TIMEOUT) as client:
            response = await client.request(method, path, json=json)
            response.raise_for_status()
            return response.json()

    async def api(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """A Stripe API call, form-encoded as the SDK sends it."""
        headers = {"Authorization": f"Bearer {SIM_KEY}"}
        async with httpx.AsyncClient(
            base_url=self.url, trust_env=False, timeout=CONTROL_TIMEOUT, headers=headers
        ) as client:
            if method == "GET":
                response = await client.get(path, params=data)
            else:
                response = await client.post(path, data=data)
            response.raise_for_status()
            return response.json()

    async def calls(self, route: str) -> int:
        counts = await self.control("GET", "/_sim/calls")
        return int(counts["calls"].get(route, 0))


@dataclass
class KioskServer:
    """`kiosk serve` in a child process, on a port it keeps across restarts."""

    workdir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / f"kiosk-{self.port}.log"

    def start(self, *, kill_at: str | None = None, **env: str) -> KioskServer:
        full = {**os.environ, **self.env, **env, "PYTHONUNBUFFERED": "1"}
        full.pop("KIOSK_FAULT_KILL_AT", None)
        if kill_at:
            full["KIOSK_FAULT_KILL_AT"] = kill_at
        self.starts += 1
        argv = ["serve", "--port", str(self.port), "--log-level", "warning"]
        self.proc = _spawn(argv, full, self.log)
        _wait_http(f"{self.url}/healthz", self.proc, self.log)
        return self

    def restart(self, **env: str) -> KioskServer:
        self.stop()
        return self.start(**env)

    def kill(self) -> None:
        """SIGKILL, as the power cut would; waits so the pid is gone (no zombie holding leases)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    async def died_by_sigkill(self, within: float = 15.0) -> bool:
        """Wait for the kill point to fire: the process ends with SIGKILL."""
        assert self.proc is not None
        try:
            code = await asyncio.wait_for(asyncio.to_thread(self.proc.wait), within)
        except TimeoutError:
            return False
        return code == -signal.SIGKILL

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
