"""Child processes of the bench (simulator, kiosk server) and what /proc says about them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import PROJECT_ROOT

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Until something accepts connections on 127.0.0.1:port (or the process died, or time is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process on port {port} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f}s")


@dataclass
class Child:
    """A running child process whose output goes to a log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_module(name: str, module: str, args: list[str], env: dict[str, str], logdir: Path) -> Child:
    """`python -m module args` with `env`, from the project root, output to logdir/name.log."""
    log = logdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", module, *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Child(name, proc, log)


@dataclass(frozen=True)
class ProcSample:
    """CPU seconds used so far (user + system) and memory of one process."""

    cpu_seconds: float
    rss_bytes: int
    peak_rss_bytes: int
    # The largest peak of one process of the tree (a server worker's own, the goal's figure).
    largest_peak_rss_bytes: int = 0


def _stat_fields(pid: int) -> list[str]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces; the fields after its closing parenthesis are fixed.
    return stat[stat.rindex(")") + 2 :].split()


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (a server's worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def sample(pid: int, with_children: bool = True) -> ProcSample:
    """CPU (utime + stime) and memory (VmRSS, VmHWM) of a process and its workers, summed: the
    peak is then the sum of each process's own peak. `with_children=False`: the process alone (the
    bench, whose children are the simulator and the kiosk)."""
    cpu, rss, peak, largest = 0.0, 0, 0, 0
    for member in _tree(pid) if with_children else [pid]:
        try:
            fields = _stat_fields(member)
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        memory = {"VmRSS": 0, "VmHWM": 0}
        for line in status.splitlines():
            key, _, value = line.partition(":")
            if key in memory:
                memory[key] = int(value.split()[0]) * 1024
        rss += memory["VmRSS"]
        peak += memory["VmHWM"]
        largest = max(largest, memory["VmHWM"])
    return ProcSample(cpu, rss, peak, largest)


@dataclass(frozen=True)
class ThreadCPU:
    """CPU time of every thread of a process tree (its workers' too), in nanoseconds, and which
    threads they were: the scheduler's own count (`/proc/<pid>/task/<tid>/schedstat`), exact where
    utime/stime are 10-ms clock ticks. A thread that ends takes its count with it, so a window's
    figure is whole only if `threads` at its end holds every thread of its start (`ended`)."""

    seconds: float
    threads: frozenset[tuple[int, int]]

    def ended(self, later: ThreadCPU) -> int:
        """Threads of this sample that `later` no longer has (their CPU is missing from a difference)."""
        return len(self.threads - later.threads)


# Kernels built without schedstat have no such file for any process: the clock ticks of `sample` then.
SCHEDSTAT = Path("/proc/self/schedstat").exists()


def thread_cpu(pid: int) -> ThreadCPU:
    """The scheduler's CPU time of `pid`, its workers and all their threads (see ThreadCPU); the
    clock ticks of `sample` on a kernel without schedstat."""
    if not SCHEDSTAT:
        return ThreadCPU(sample(pid).cpu_seconds, frozenset())
    total, threads = 0, set()
    for member in _tree(pid):
        try:
            tasks = list(Path(f"/proc/{member}/task").iterdir())
        except OSError:
            continue  # gone meanwhile
        for task in tasks:
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue  # the thread ended meanwhile (its file gone with it)
            threads.add((member, int(task.name)))
    return ThreadCPU(total / 1e9, frozenset(threads))


def machine() -> dict[str, object]:
    """What the figures came from: cores, CPU model, memory, Python."""
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cores = len(os.sched_getaffinity(0))
    python = sys.version.split()[0]
    return {"cores": cores, "cpu": model, "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": python}
