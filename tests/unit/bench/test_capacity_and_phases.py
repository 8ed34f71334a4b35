"""The bench's verdicts: a capacity step counts only when all three figures hold, and py-spy's stacks
are added up by the phase they spend their time in."""

from __future__ import annotations

import time
from pathlib import Path

from kiosk.bench.fleet import Step, Usage
from kiosk.bench.metrics import Recorder, tap_legs
from kiosk.bench.options import BenchOptions
from kiosk.bench.profile import phase_of, summarize
from kiosk.bench.run import _passes, verdict


def _step(poll_ms: float, tap_ms: float, errors: int = 0) -> Step:
    rec = Recorder()
    rec.open(60)
    now = time.monotonic()
    for _ in range(100):
        rec.request("poll", now, poll_ms / 1000)
    rec.payment_done(now, 2.0, False, tap_ms / 1000)
    if errors:
        rec.errors["HTTP 500 on poll"] = errors
    return Step(tablets=100, recorder=rec, usage=Usage({}), calls={}, window_calls=0, webhook_drops={})


def test_a_step_with_fast_polls_but_slow_taps_is_no_capacity() -> None:
    opts = BenchOptions()
    assert _passes(_step(poll_ms=20, tap_ms=900), opts)
    slow_tap = _step(poll_ms=20, tap_ms=1500)
    assert not _passes(slow_tap, opts)
    assert verdict(slow_tap, opts) == {"no_errors": True, "poll_p99_met": True, "tap_to_screen_p95_met": False}
    assert not _passes(_step(poll_ms=150, tap_ms=900), opts)
    assert not _passes(_step(poll_ms=20, tap_ms=900, errors=1), opts)


def test_tap_to_screen_is_split_at_the_webhook_of_the_readers_action() -> None:
    taps = [("tmr_1", 100.0, 101.0)]
    deliveries = [
        {"object_id": "tmr_1", "status": 200, "sent_at": 99.0, "at": 99.1},  # an earlier sale's
        {"object_id": "tmr_2", "status": 200, "sent_at": 100.1, "at": 100.2},  # another reader's
        {"object_id": "tmr_1", "status": 200, "sent_at": 100.2, "at": 100.5},
    ]
    legs = tap_legs(taps, deliveries)
    assert legs["matched"] == 1
    assert legs["decided_to_webhook_sent"]["p50"] == 200.0
    assert legs["webhook_sent_to_committed"]["p50"] == 300.0
    assert legs["committed_to_poll_shown"]["p50"] == 500.0


def test_stacks_count_for_their_most_specific_phase(tmp_path: Path) -> None:
    base = "run (asyncio/runners.py:1);__call__ (litestar/middleware/compression/middleware.py:9)"
    render = f"{base};show (kiosk/till/controllers/till.py:5);render (jinja2/environment.py:1)"
    query_in_render = f"{render};run (piccolo/query/base.py:3);execute (aiosqlite/core.py:4)"
    gzip = f"{base};compress (litestar/middleware/compression/gzip_facade.py:2);write (gzip.py:3)"
    own = f"{base};lookup (kiosk/payments/poll_fast_path.py:7)"
    assert phase_of(render) == "rendering"
    assert phase_of(query_in_render) == "database"
    assert phase_of(gzip) == "gzip"
    assert phase_of(own) == "kiosk code"
    assert phase_of(base) == "framework"
    raw = tmp_path / "server.prof"
    raw.write_text(f"{render} 3\n{gzip} 1\n")
    summary = summarize(raw)
    assert summary["samples"] == 4
    assert summary["phases"] == {"rendering": 0.75, "gzip": 0.25}


def test_threads_waiting_for_work_are_left_out(tmp_path: Path) -> None:
    waiting = "_bootstrap (threading.py:1);run (threading.py:2);wait (threading.py:3);Condition.wait (threading.py:327)"
    working = "run (asyncio/runners.py:1);show (kiosk/till/controllers/till.py:5);render (jinja2/environment.py:1)"
    raw = tmp_path / "server.prof"
    raw.write_text(f"{waiting} 5\n{working} 2\n")
    summary = summarize(raw)
    assert summary["samples"] == 2 and summary["idle_samples_left_out"] == 5
    assert summary["phases"] == {"rendering": 1.0}


def test_an_idle_uvloop_and_socket_writes_are_told_apart_from_the_framework(tmp_path: Path) -> None:
    """Under uvloop an idle event loop's innermost frame is `Runner.run` itself, and SQLite's commit
    thread waiting for work is `_Committer._run` itself: left out, as a waiting thread is; uvicorn
    writing an answer to the socket is its own phase, not Litestar's."""
    idle = "_run_code (<frozen runpy>:1);serve (kiosk/server.py:2);Runner.run (asyncio/runners.py:118)"
    route = "Runner.run (asyncio/runners.py:118);handle (litestar/routes/http.py:4)"
    write = f"{route};send (litestar/app.py:9);RequestResponseCycle.send (uvicorn/protocols/http/httptools_impl.py:522)"
    raw = tmp_path / "server.prof"
    committer = "_bootstrap (threading.py:1);run (threading.py:2);_Committer._run (kiosk/db/sqlite_lock.py:207)"
    raw.write_text(f"{idle} 6\n{committer} 2\n{route} 3\n{write} 1\n")
    summary = summarize(raw)
    assert summary["samples"] == 4 and summary["idle_samples_left_out"] == 8
    assert summary["phases"] == {"framework": 0.75, "socket writes": 0.25}
