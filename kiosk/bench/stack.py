"""The system under test: the Stripe simulator and the kiosk server as two processes on 127.0.0.1,
a fresh database (SQLite file or a throwaway PostgreSQL cluster), and shops seeded as they grow.

Stripe objects (locations, readers, the webhook endpoint) are made through the simulator's API like an
admin would; database rows by `python -m kiosk.bench.seed`, so this process never opens the database.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from kiosk.bench.options import BenchOptions
from kiosk.bench.postgres import create_database, postgres_cluster
from kiosk.bench.procs import Child, free_port, start_module, wait_for_port
from kiosk.bench.tablet import Seat
from kiosk.config import PROJECT_ROOT
from kiosk.stripe_account.admin_gateway import StripeAdmin

API_KEY = "sk_test_kiosk_bench"
PASSWORD = "bench-till-password"  # noqa: S105 - throwaway cashiers of a throwaway database
ADDRESS = {"line1": "1 Market St", "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US"}
STARTUP_SECONDS = 60.0


class Stack:
    """The running simulator and kiosk, and the tills seeded so far."""

    def __init__(self, opts: BenchOptions, workdir: Path, sim: Child, sim_url: str, stripe: httpx.AsyncClient) -> None:
        self.opts = opts
        self.workdir = workdir
        self.sim = sim
        self.sim_url = sim_url
        self.stripe = stripe
        self.kiosk: Child | None = None
        self.kiosk_url = ""
        self.env: dict[str, str] = {}
        self.seats: list[Seat] = []
        self.handed_out = 0

    @property
    def kiosk_pid(self) -> int:
        assert self.kiosk is not None
        return self.kiosk.pid

    async def api(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        answer = await self.stripe.post(path, data=form)
        if answer.status_code != 200:
            raise RuntimeError(f"simulator refused {path}: {answer.text}")
        result: dict[str, Any] = answer.json()
        return result

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        answer = await self.stripe.request(method, path, json=body)
        answer.raise_for_status()
        return answer.json()

    async def start_kiosk(self, database_env: dict[str, str]) -> None:
        port = free_port()
        self.kiosk_url = f"http://127.0.0.1:{port}"
        async with StripeAdmin(API_KEY, self.sim_url) as admin:  # the endpoint the admin page registers
            _, webhook_secret = await admin.create_webhook_endpoint(f"{self.kiosk_url}/webhooks/stripe")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        self.env = {
            **env,
            **database_env,
            "KIOSK_DEMO": "1",  # plain-HTTP cookies on 127.0.0.1
            "KIOSK_SECRET_KEY": secrets.token_urlsafe(32),
            "KIOSK_STRIPE_API_BASE": self.sim_url,
            "KIOSK_STRIPE_SECRET_KEY": API_KEY,
            "KIOSK_STRIPE_WEBHOOK_SECRET": webhook_secret,
            "KIOSK_CAPTURE_MODE": self.opts.capture_mode,
        }
        await asyncio.to_thread(self._run, "kiosk migrate", [sys.executable, "-m", "kiosk.cli", "migrate"])
        args = ["--port", str(port), "--log-level", "warning", "--workers", str(self.opts.server_workers)]
        self.kiosk = start_module("kiosk", "kiosk.bench.server", args, self.env, self.workdir)
        await asyncio.to_thread(wait_for_port, port, STARTUP_SECONDS, self.kiosk.proc)

    async def add_tills(self, count: int) -> list[Seat]:
        """`count` more tills; new shops of `tablets_per_shop` readers each are made as needed."""
        per_shop = self.opts.tablets_per_shop
        shops: list[dict[str, Any]] = []
        while len(self.seats) - self.handed_out < count:
            shop_no = len(self.seats) // per_shop
            name = f"Bench shop {shop_no:04d}"
            location = await self.api("/v1/terminal/locations", {"display_name": name, **_address()})
            labels = [f"Till {n + 1}" for n in range(per_shop)]
            readers = await asyncio.gather(*(self._reader(location["id"], label) for label in labels))
            cashiers = [f"till-{shop_no:04d}-{n + 1}" for n in range(per_shop)]
            shops.append({"warehouse": name, "location": location["id"], "cashiers": cashiers})
            self.seats += [
                Seat(user, PASSWORD, reader, location["id"]) for user, reader in zip(cashiers, readers, strict=True)
            ]
        if shops:
            plan = json.dumps({"password": PASSWORD, "shops": shops})
            await asyncio.to_thread(self._run, "seeding", [sys.executable, "-m", "kiosk.bench.seed"], plan)
        seats = self.seats[self.handed_out : self.handed_out + count]
        self.handed_out += count
        return seats

    async def _reader(self, location: str, label: str) -> str:
        form = {"registration_code": "simulated-wpe", "label": label, "location": location}
        reader = await self.api("/v1/terminal/readers", form)
        return str(reader["id"])

    def _run(self, what: str, cmd: list[str], stdin: str | None = None) -> None:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            cmd, cwd=PROJECT_ROOT, env=self.env, input=stdin, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{what} failed:\n{done.stdout}{done.stderr}")


def _address() -> dict[str, str]:
    return {f"address[{k}]": v for k, v in ADDRESS.items()}


@asynccontextmanager
async def running_stack(opts: BenchOptions) -> AsyncIterator[Stack]:
    """Simulator, database and kiosk up; everything stopped and deleted on the way out."""
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, workdir, True)
        port = free_port()
        sim_args = ["simulator", "--port", str(port), "--log-level", "warning", "--api-key", API_KEY]
        sim = start_module("simulator", "kiosk.cli", sim_args, dict(os.environ), workdir)
        cleanup.callback(sim.stop)
        await asyncio.to_thread(wait_for_port, port, STARTUP_SECONDS, sim.proc)
        sim_url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with httpx.AsyncClient(base_url=sim_url, headers=headers, trust_env=False, timeout=60) as client:
            stack = Stack(opts, workdir, sim, sim_url, client)
            if opts.database == "postgres":
                admin_url = cleanup.enter_context(postgres_cluster())
                database_env = {"KIOSK_DATABASE_URL": await create_database(admin_url, "kiosk_bench")}
            else:
                database_env = {"KIOSK_SQLITE_PATH": str(workdir / "kiosk.sqlite")}
            try:
                await stack.start_kiosk(database_env)
                yield stack
            except BaseException:
                for child in (stack.kiosk, sim):
                    if child is not None and child.tail():
                        print(f"--- {child.name} log (last lines) ---\n{child.tail()}", file=sys.stderr)
                raise
            finally:
                if stack.kiosk is not None:
                    stack.kiosk.stop()
