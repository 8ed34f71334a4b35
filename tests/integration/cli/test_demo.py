"""`kiosk demo` starts the embedded Stripe and the kiosk with seeded data a newcomer can use at once."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kiosk.bench.procs import free_port
from kiosk.cli.demo import DEMO_STRIPE_KEY
from kiosk.config import PROJECT_ROOT


def _wait_for_banner(proc: subprocess.Popen[str], deadline: float) -> str:
    seen = ""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen += line
        if "press Ctrl+C" in line:
            return seen
    raise AssertionError(f"the demo did not start:\n{seen}")


def test_demo_seeds_readers_and_logins(tmp_path: Path) -> None:
    port, sim_port = free_port(), free_port()
    cmd = [sys.executable, "-m", "kiosk.cli", "demo", "--port", str(port), "--simulator-port", str(sim_port)]
    proc = subprocess.Popen(
        [*cmd, "--data-dir", str(tmp_path)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = _wait_for_banner(proc, time.monotonic() + 60)
        assert f"http://127.0.0.1:{port}/" in banner
        reader_ids = re.findall(r"/_sim/readers/(tmr_\w+)", banner)
        assert len(reader_ids) == 4
        assert "cashier / cashier-demo-pass" in banner
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as kiosk:
            assert kiosk.get("/login").status_code == 200
        with httpx.Client(base_url=f"http://127.0.0.1:{sim_port}", trust_env=False) as sim:
            page = sim.get(f"/_sim/readers/{reader_ids[0]}")
            assert page.status_code == 200 and "Till 1" in page.text
            readers = sim.get("/v1/terminal/readers", headers={"Authorization": f"Bearer {DEMO_STRIPE_KEY}"}).json()[
                "data"
            ]
            assert {r["status"] for r in readers} == {"online"} and all(r["location"] for r in readers)
        assert (tmp_path / "kiosk.sqlite").exists()
        # What the tour uses: items to scan, customers to find, a cashier who may take returns, and
        # each shop's own time zone and way of writing amounts.
        with sqlite3.connect(f"file:{tmp_path / 'kiosk.sqlite'}?mode=ro", uri=True) as db:
            items = db.execute("SELECT name FROM catalogue_item WHERE barcode = '4006381333931'").fetchall()
            assert items == [("Cola 0.33 l",)]
            assert db.execute("SELECT count(*) FROM catalogue_item WHERE favourite").fetchone() == (6,)
            assert db.execute("SELECT name FROM customer ORDER BY name").fetchall() == [
                ("Ada Lovelace",),
                ("Grace Hopper",),
            ]
            shops = db.execute("SELECT name, timezone, locale FROM warehouse ORDER BY name").fetchall()
            assert shops == [("Downtown", "America/Los_Angeles", "en_US"), ("Harbour", "Europe/Dublin", "en_IE")]
            assert db.execute("SELECT count(*) FROM user_permission").fetchone() == (1,)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
