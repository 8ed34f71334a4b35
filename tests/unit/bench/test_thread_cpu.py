"""The bench's CPU count of a server (kiosk/bench/procs.py `thread_cpu`): every thread's, exact."""

from __future__ import annotations

import os
import threading
import time

from kiosk.bench.procs import thread_cpu


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_work_on_any_thread_counts_to_the_nanosecond() -> None:
    spun, stop = threading.Event(), threading.Event()
    worker = threading.Thread(target=lambda: (_spin(0.03), spun.set(), stop.wait()))
    before = thread_cpu(os.getpid())
    worker.start()
    _spin(0.002)  # this thread's own 2 ms: far below one 10-ms clock tick
    spun.wait()
    after = thread_cpu(os.getpid())  # the worker still runs: its count is still there
    stop.set()
    worker.join()
    assert 0.032 <= after.seconds - before.seconds < 0.2
    assert before.ended(after) == 0


def test_a_thread_that_ended_is_reported_as_missing() -> None:
    started = threading.Event()
    stop = threading.Event()
    worker = threading.Thread(target=lambda: (started.set(), stop.wait()))
    worker.start()
    started.wait()
    with_it = thread_cpu(os.getpid())
    stop.set()
    worker.join()
    assert with_it.ended(thread_cpu(os.getpid())) == 1
