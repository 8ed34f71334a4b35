"""`kiosk bench --profile FILE`: py-spy samples the kiosk server (and its workers) during the measured
window; the stacks are written to FILE (py-spy's raw "collapsed" format, for flamegraph.pl or
speedscope) and added up here by phase, so the report says what share of the server's CPU goes to
rendering, the database, Piccolo's query building, gzip, the Stripe SDK, the kiosk's own code or the
framework (Litestar, uvicorn, asyncio).

A stack counts for the most specific phase found anywhere in it (a query run while rendering is
database time); a stack with none of them counts for the kiosk's code or the framework, whichever its
innermost frame belongs to.
"""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Most specific first: the first phase whose marks appear in a stack gets its sample.
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gzip", ("gzip.py", "gzip_facade.py", "zlib")),
    # uvicorn handing the answer to the socket: the kernel's loopback delivery, most of it wall time
    # the process is not charged for (the /proc CPU figures leave it out; py-spy sees it).
    ("socket writes", ("RequestResponseCycle.send (uvicorn",)),
    (
        "database",
        (
            "piccolo/engine/",
            "aiosqlite/",
            "asyncpg/",
            "sqlite3/",
            "kiosk/db/sqlite_reads.py",
            "kiosk/db/sqlite_writes.py",
            "kiosk/db/sql.py",
        ),
    ),
    ("query building", ("piccolo/",)),
    ("rendering", ("jinja2/", ".html:", "markupsafe/", "babel/")),
    ("Stripe SDK and HTTP client", ("stripe/", "httpx/", "httpcore/")),
)
OWN = ("kiosk/",)
FRAMEWORK = ("litestar/", "uvicorn/", "granian/", "asyncio/", "uvloop/", "httptools/", "msgspec/", "multipart/")
SAMPLING_RATE = 100  # per second and process
# Leaves of threads that wait rather than work, which py-spy sometimes samples as active: a kept
# SQLite connection's thread waiting for its next statement, a lock or a selector waiting.
# Under uvloop the event loop waits inside its C `run_until_complete`, so an idle main thread shows
# `Runner.run` itself as its innermost frame (any Python work shows deeper frames); SQLite's commit
# thread (kiosk/db/sqlite_lock.py) waits for its next COMMIT in `_Committer._run` itself the same way.
IDLE_LEAVES = (
    "Condition.wait (",
    "Lock.acquire (",
    "select (selectors.py",
    "Event.wait (",
    "Runner.run (asyncio/runners.py",
    "_Committer._run (kiosk/db/sqlite_lock.py",
)


def _aiosqlite_wait_line() -> str | None:
    """`tx.get()` in aiosqlite's worker loop, where a connection's thread waits: `core.py:LINE)`."""
    try:
        import aiosqlite.core
    except ImportError:
        return None
    lines, start = inspect.getsourcelines(aiosqlite.core._connection_worker_thread)
    for offset, line in enumerate(lines):
        if "tx.get()" in line:
            return f"aiosqlite/core.py:{start + offset})"
    return None


def is_idle(stack: str, aiosqlite_wait: str | None) -> bool:
    leaf = stack.rsplit(";", 1)[-1]
    return any(mark in leaf for mark in IDLE_LEAVES) or bool(aiosqlite_wait and leaf.endswith(aiosqlite_wait))


def available() -> str | None:
    """The py-spy executable beside the interpreter or on PATH, if any."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    exe = available()
    if exe is None:
        raise RuntimeError("--profile needs py-spy (pip install py-spy)")
    cmd = [exe, "record", "--pid", str(pid), "--subprocesses", "--format", "raw", "--nonblocking"]
    cmd += ["--rate", str(SAMPLING_RATE), "--duration", str(max(1, round(seconds))), "--output", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603 - py-spy


def phase_of(stack: str) -> str:
    for phase, marks in PHASES:
        if any(mark in stack for mark in marks):
            return phase
    for frame in reversed(stack.split(";")):
        if any(mark in frame for mark in OWN):
            return "kiosk code"
        if any(mark in frame for mark in FRAMEWORK):
            return "framework"
    return "other"


def hot_spots(lines: list[tuple[str, int]], top: int = 12) -> list[dict[str, object]]:
    """The kiosk's own functions under which the most samples were taken (inclusive)."""
    inclusive: Counter[str] = Counter()
    for stack, count in lines:
        seen = {frame for frame in stack.split(";") if "kiosk/" in frame and "kiosk/bench/" not in frame}
        for frame in seen:
            inclusive[frame.split(":")[0] + ")" if ":" in frame else frame] += count
    total = sum(count for _, count in lines) or 1
    return [{"function": f, "share": round(n / total, 3)} for f, n in inclusive.most_common(top)]


def summarize(path: Path) -> dict[str, object]:
    """Shares of the samples by phase, from py-spy's raw output (`stack count` per line)."""
    lines: list[tuple[str, int]] = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if stack and number.isdigit():
            lines.append((stack, int(number)))
    wait = _aiosqlite_wait_line()
    idle = sum(count for stack, count in lines if is_idle(stack, wait))
    lines = [(stack, count) for stack, count in lines if not is_idle(stack, wait)]
    phases: Counter[str] = Counter()
    for stack, count in lines:
        phases[phase_of(stack)] += count
    total = sum(phases.values())
    return {
        "file": str(path),
        "samples": total,
        "idle_samples_left_out": idle,
        "phases": {name: round(n / total, 3) for name, n in phases.most_common()} if total else {},
        "kiosk_hot_spots": hot_spots(lines),
    }
