"""`kiosk bench-catalogue` runs end to end on a small catalogue and reports its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.config import PROJECT_ROOT


def test_the_catalogue_bench_reports_the_search_per_keystroke(tmp_path: Path) -> None:
    out = tmp_path / "catalogue.json"
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "bench-catalogue", "--items", "400", "--json", str(out)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["items"] == 400 and report["database"] == "sqlite"
    assert report["keystrokes"] == 54  # every prefix of the five searches typed
    assert set(report["by_kind_ms_p95"]) == {"name", "sku", "barcode"}
    assert 0 < report["search_ms_p50"] <= report["search_ms_p95"] <= report["search_ms_max"]
    assert "per keystroke" in done.stdout and "target p95 < 50 ms" in done.stdout
