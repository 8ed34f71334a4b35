"""SQLite's one writer, taken in turn: write transactions run on the event loop, one at a time per
process, and one process at a time by a lock file next to the database.

SQLite lets one connection write at a time, and a writer that finds the file's write lock taken
does not wait to be told it is free: its busy handler sleeps and looks again, in growing steps (up
to 100 ms). Piccolo also ran every statement of a transaction on the connection's own thread, and
each of those hand-offs waited for the event loop and for the GIL (up to 5 ms under load) while the
transaction held the lock. With two server workers on one file the writers queued behind each
other's hand-offs and sleeps (webhook sent → committed p95 435 ms at 700 tablets).

Here a write transaction (IMMEDIATE or EXCLUSIVE) and a single write outside one:
1. wait their turn in this process (a queue on the event loop, first come first served);
2. take an exclusive `flock` on `<database>-writer` without blocking; when another process holds
   it, the writer says it waits (a shared lock on `<database>-writer-waiting`) and looks again every
   millisecond, on the loop. A writer that finds another process waiting joins the wait instead of
   taking the lock the moment it is free, so the processes take turns. (A thread blocked in `flock`
   is woken by the kernel at once, but then has to win the GIL back from a busy loop: under load
   that cost more than the wait itself.);
3. run BEGIN and their statements on the event loop's own connection, right there (a point write
   takes microseconds: no thread hand-off and back per statement while the lock is held), and the
   COMMIT on a thread of the loop's own (its fsync, a few milliseconds on a busy disk, must not stop
   the loop), which lets the lock go as soon as the COMMIT returns. SQLite's lock is free when they
   ask for it (busy timeout 0; were it taken by a writer that does not use the lock file, the
   statement waits for it on a thread with SQLite's busy timeout, as every writer did before).
   A transaction begun inside `durability.recoverable()` commits with `synchronous = NORMAL` (no
   fsync) right there on the loop instead (kiosk/db/durability.py says when that is allowed);
4. let the turn go after COMMIT or ROLLBACK.
A server's write connection does not checkpoint at each commit (a checkpoint writes and syncs the
database file: milliseconds, on the loop for a commit there). Every CHECKPOINT_EVERY commits, one
COMMIT goes to the committer's thread whatever its durability, and the log is folded back into the
file right after it, before the turn is let go, as SQLite's own checkpoint would: no writer of any
process adds to the log meanwhile, so it is folded back whole and the next writer starts it anew.
Reads outside a transaction take no part (WAL: they never wait for a writer).

What keeps it safe:
- The locks belong to open files, opened for one turn and closed after it: a worker that dies
  (or is killed) lets them go with its files; SQLite rolls back what it had not committed.
- One turn per transaction (a nested one joins the outer one and takes nothing), and the same
  order everywhere (the process's queue, then the file): a writer never waits for a lock held by
  one that waits for it.
- Waiting is bounded like SQLite's own (the engine's `timeout`): a writer that waited that long
  gives up with SQLite's own "database is locked" (`GaveUp`); a cancelled waiter holds nothing.
- A transaction that fails to begin, or whose COMMIT fails, is rolled back and lets its turn go.
- Deferred transactions (reads) and `engine.batch` stay Piccolo's own, on kept thread connections
  (kiosk/db/sqlite_writes.py). PostgreSQL is not concerned.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import threading
import weakref
from collections import deque
from collections.abc import Callable
from queue import SimpleQueue
from time import monotonic
from typing import Any

from piccolo.engine.sqlite import SQLiteTransaction, dict_factory

from kiosk.db.durability import is_recoverable
from kiosk.db.sqlite_writes import file_identity

LOCK_SUFFIX = "-writer"
WAITING = "-waiting"

# SQLite's `synchronous` levels: a durable COMMIT waits for the disk, a recoverable one does not.
FULL, NORMAL = "FULL", "NORMAL"
# A kept write connection's commits between two checkpoints on the committer's thread (SQLite's own
# comes at 1,000 pages of log; a sale's commits write 2 to 6 pages each).
CHECKPOINT_EVERY = 100


class GaveUp(sqlite3.OperationalError):
    """Waited the busy timeout for the write lock: SQLite's own words, so callers treat it alike."""

    def __init__(self) -> None:
        super().__init__("database is locked")


class WaitFigures:
    """How many turns this process took, how many had to wait, and how long they waited in all."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self.turns = 0
        self.waits = 0
        self.seconds = 0.0

    def add(self, waited: float | None) -> None:
        with self._mutex:
            self.turns += 1
            if waited is not None:
                self.waits += 1
                self.seconds += waited


FIGURES = WaitFigures()


def lock_path(database: str) -> str:
    return database + LOCK_SUFFIX


class FileTurn:
    """One turn's hold on the database's lock file (on the event loop). A writer that has to wait
    says so with a shared lock on `<database>-writer-waiting` while it looks again and again; a
    writer that finds someone waiting there joins the wait instead of taking the lock the moment it
    is let go, so a process with a queue of writers does not keep the lock from the other one."""

    __slots__ = ("_fd", "_waiting_fd", "path")

    def __init__(self, database: str) -> None:
        self.path = lock_path(database)
        self._fd: int | None = None
        self._waiting_fd: int | None = None

    def _open(self, path: str) -> int | None:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            return None  # no lock file here (a read-only directory): SQLite's own lock, as before

    def others_wait(self) -> bool:
        """Is a writer of another process waiting for the lock (before this one has asked)?"""
        fd = self._waiting_fd = self._waiting_fd if self._waiting_fd is not None else self._open(self.path + WAITING)
        if fd is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False

    def wait_too(self) -> None:
        """Say this writer waits (a shared lock: every waiter holds one)."""
        if self._waiting_fd is not None:
            with contextlib.suppress(BlockingIOError):  # someone looking just now (others_wait)
                fcntl.flock(self._waiting_fd, fcntl.LOCK_SH | fcntl.LOCK_NB)

    def take_now(self) -> bool:
        """The lock if it is free (or there is no lock file); False when another writer holds it
        (the file stays open for the next try; `let_go` closes it)."""
        if self._fd is None:
            self._fd = self._open(self.path)
            if self._fd is None:
                return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if self._waiting_fd is not None:
            os.close(self._waiting_fd)  # no longer waiting
            self._waiting_fd = None
        return True

    def let_go(self) -> None:
        """Closing the files lets the lock go (and any wait said)."""
        for fd in (self._fd, self._waiting_fd):
            if fd is not None:
                os.close(fd)
        self._fd = self._waiting_fd = None


class _Queue:
    """This event loop's writers, one at a time, first come first served."""

    def __init__(self) -> None:
        self.busy = False
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def enter(self, wait: float) -> bool:
        """True once it is this writer's turn (after waiting for others: the bool says whether)."""
        if not self.busy and not self.waiters:
            self.busy = True
            return False
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        self.waiters.append(turn)
        expiry = loop.call_later(wait, _expire, turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self.leave()  # handed the turn just as it was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self.waiters.remove(turn)
            raise
        finally:
            expiry.cancel()
        return True

    def leave(self) -> None:
        while self.waiters:
            turn = self.waiters.popleft()
            if not turn.done():
                turn.set_result(None)  # handed over: still busy
                return
        self.busy = False


def _expire(turn: asyncio.Future[Any]) -> None:
    if not turn.done():
        turn.set_exception(GaveUp())


class _Committer:
    """The thread a loop's COMMITs run on (their fsync must not stop the loop), one at a time."""

    def __init__(self) -> None:
        self.jobs: SimpleQueue[tuple[Callable[[], Any], asyncio.Future[Any] | None] | None] = SimpleQueue()
        threading.Thread(target=self._run, name="kiosk-sqlite-commit", daemon=True).start()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            fn, future = job
            try:
                result, failure = fn(), None
            except BaseException as exc:  # handed to the waiter
                result, failure = None, exc
            if future is not None:
                with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
                    future.get_loop().call_soon_threadsafe(_deliver, future, result, failure)

    async def run(self, fn: Callable[[], Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.jobs.put((fn, future))
        return await future

    def then(self, fn: Callable[[], Any]) -> None:
        """After the jobs queued so far, with nobody waiting."""
        self.jobs.put((fn, None))

    def stop(self) -> None:
        self.jobs.put(None)


def _deliver(future: asyncio.Future[Any], result: Any, failure: BaseException | None) -> None:
    if future.done():
        return
    if failure is not None:
        future.set_exception(failure)
    else:
        future.set_result(result)


class LoopWriter:
    """One event loop's write connection (kept between transactions by a server), its queue and the
    thread its COMMITs run on."""

    def __init__(self) -> None:
        self.queue = _Queue()
        self.conn: sqlite3.Connection | None = None
        self.identity: tuple[str, int, int] | None = None
        self._committer: _Committer | None = None
        self.synchronous = FULL  # the connection's level now
        self.commits = 0  # since the last checkpoint (a kept connection's)

    @property
    def committer(self) -> _Committer:
        if self._committer is None:
            self._committer = _Committer()
        return self._committer

    def connection(self, kwargs: dict[str, Any], keep: bool) -> sqlite3.Connection:
        """The connection to the file at the path now (a replaced file or a new path: a new one)."""
        path = str(kwargs["database"])
        identity = file_identity(path)
        if self.conn is not None and keep and identity == self.identity:
            return self.conn
        self.close()
        conn = sqlite3.connect(
            path,
            timeout=0,  # the lock file keeps SQLite's lock free; see `_begin` for when it is not
            detect_types=kwargs.get("detect_types", 0),
            isolation_level=None,
            check_same_thread=False,  # a BEGIN that must wait for SQLite's lock waits on a thread
        )
        conn.row_factory = dict_factory
        conn.execute("PRAGMA foreign_keys = 1")
        conn.execute(f"PRAGMA synchronous = {FULL}")
        if keep:  # checkpoints on the committer's thread, every CHECKPOINT_EVERY commits (`checkpoint_due`)
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        self.conn, self.identity, self.synchronous, self.commits = conn, identity, FULL, 0
        return conn

    def durable(self, durable: bool) -> None:
        """Before BEGIN: the connection's COMMIT waits for the disk or not (SQLite refuses to change
        it inside a transaction)."""
        level = FULL if durable else NORMAL
        if self.conn is not None and level != self.synchronous:
            self.conn.execute(f"PRAGMA synchronous = {level}")
            self.synchronous = level

    def checkpoint_due(self, keep: bool) -> bool:
        """Does this COMMIT of a kept connection (one more) bring the log's checkpoint?"""
        if not keep:
            return False  # SQLite's own checkpoints (the connection closes after its turn)
        self.commits += 1
        if self.commits < CHECKPOINT_EVERY:
            return False
        self.commits = 0
        return True

    def close(self) -> None:
        if self.conn is not None:
            conn, self.conn, self.identity = self.conn, None, None
            conn.close()

    def stop(self) -> None:
        """Close the connection and end the committer's thread (after its queued jobs)."""
        self.close()
        if self._committer is not None:
            self._committer.stop()
            self._committer = None


class Writers:
    """An engine's writers: one per event loop (a server has one loop; tests and commands may run
    several, one after another or on other threads)."""

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopWriter] = weakref.WeakKeyDictionary()
        self._mutex = threading.Lock()

    def here(self) -> LoopWriter:
        loop = asyncio.get_running_loop()
        with self._mutex:
            writer = self._by_loop.get(loop)
            if writer is None:
                writer = self._by_loop[loop] = LoopWriter()
        return writer

    def close(self) -> None:
        """Close the kept connections (those in a transaction close at its end: not kept)."""
        with self._mutex:
            writers = list(self._by_loop.values())
        for writer in writers:
            if not writer.queue.busy:
                writer.stop()


async def take_turn(writer: LoopWriter, database: str, wait: float) -> FileTurn:
    """This process's turn, then the file's lock; GaveUp after `wait` seconds."""
    start = monotonic()
    waited = await writer.queue.enter(wait)
    try:
        turn = FileTurn(database)
        if turn.others_wait() or not turn.take_now():
            waited = True
            await _poll_for_file(turn, start + wait)
    except BaseException:
        writer.queue.leave()
        raise
    FIGURES.add(monotonic() - start if waited else None)
    return turn


# How often a writer whose process has its turn looks whether the other process let the lock go.
POLL_SECONDS = 0.001


async def _poll_for_file(turn: FileTurn, deadline: float) -> None:
    try:
        turn.wait_too()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if turn.take_now():
                return
            if monotonic() >= deadline:
                raise GaveUp
    except BaseException:
        turn.let_go()
        raise


def end_turn(writer: LoopWriter, turn: FileTurn, keep: bool) -> None:
    turn.let_go()
    if not keep:  # a command's or a test's engine: nothing kept open after its writes
        writer.stop()
    writer.queue.leave()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


async def _with_busy_wait(writer: LoopWriter, statement: str, args: list[Any], wait: float) -> list[Any]:
    """A statement SQLite refused because a writer outside the lock file holds its lock: run on a
    thread with SQLite's busy timeout, as every writer did before (the loop goes on meanwhile). If
    the caller is cancelled meanwhile, the connection is closed once the thread is done with it (which
    rolls back anything it began) and the writer opens a new one next time."""
    conn = writer.conn
    assert conn is not None

    def run() -> list[Any]:
        conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            return conn.execute(statement, args).fetchall()
        finally:
            conn.execute("PRAGMA busy_timeout = 0")

    task = asyncio.ensure_future(asyncio.to_thread(run))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        writer.conn, writer.identity = None, None
        task.add_done_callback(lambda _: conn.close())
        raise


async def run_statement(writer: LoopWriter, statement: str, args: list[Any], wait: float) -> list[Any]:
    """A statement that needs SQLite's write lock (BEGIN …, a write outside a transaction), run here
    on the loop; on a thread only if a writer outside the lock file holds SQLite's lock."""
    conn = writer.conn
    assert conn is not None
    try:
        return conn.execute(statement, args).fetchall()
    except sqlite3.OperationalError as exc:
        if not _is_busy(exc) or conn.in_transaction:
            raise
    return await _with_busy_wait(writer, statement, args, wait)


def _commit_and_let_go(conn: sqlite3.Connection, turn: FileTurn, checkpoint: bool = False) -> None:
    """COMMIT (on the committer's thread: its fsync; SQLite's checkpoint now and then for a connection
    that is not kept; `checkpoint`: the log folded back, a kept connection's), and the lock let go
    right after it, without waiting for the loop."""
    try:
        conn.execute("COMMIT")
        if checkpoint and not conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # a reader holding the log back: the next one will
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        if not conn.in_transaction:
            turn.let_go()


def _close_and_let_go(conn: sqlite3.Connection, turn: FileTurn) -> None:
    try:
        conn.close()
    finally:
        turn.let_go()


async def commit_turn(writer: LoopWriter, turn: FileTurn, keep: bool) -> None:
    """COMMIT and end the turn: on the committer's thread, or right here when the connection's
    COMMIT does not wait for the disk (a recoverable transaction's). A COMMIT that fails is rolled
    back and raised. If the caller is cancelled meanwhile, the thread finishes the COMMIT with the
    connection, then closes it (rolling back what did not commit) and lets the lock go; the process's
    next writer opens a new connection."""
    conn = writer.conn
    assert conn is not None
    checkpoint = writer.checkpoint_due(keep)
    try:
        if writer.synchronous == NORMAL and not checkpoint:
            _commit_and_let_go(conn, turn)
        else:
            await writer.committer.run(lambda: _commit_and_let_go(conn, turn, checkpoint))
    except asyncio.CancelledError:
        writer.conn, writer.identity = None, None
        writer.committer.then(lambda: _close_and_let_go(conn, turn))
        writer.queue.leave()
        raise
    except BaseException:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        finally:
            end_turn(writer, turn, keep)
        raise
    end_turn(writer, turn, keep)


async def write_once(engine: Any, query: str, args: list[Any]) -> list[Any]:
    """A single write outside a transaction, in its turn: BEGIN IMMEDIATE, the statement and its
    rows here, the COMMIT as `commit_turn` does it."""
    writer = engine.writers.here()
    wait = engine.write_wait
    keep = engine.keep_writers
    turn = await take_turn(writer, str(engine.path), wait)
    try:
        conn = writer.connection(engine.connection_kwargs, keep)
        writer.durable(not is_recoverable())
        await run_statement(writer, "BEGIN IMMEDIATE", [], wait)
        try:
            rows: list[Any] = conn.execute(query, args).fetchall()
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except BaseException:
        end_turn(writer, turn, keep)
        raise
    await commit_turn(writer, turn, keep)
    return rows


class LoopConnection:
    """A transaction's connection as Piccolo uses it (`execute` awaited: savepoints); statements of
    the kiosk's own run on `raw` directly (kiosk/db/sqlite_reads.py: `_run_in_existing_connection`)."""

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    async def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[Any]:
        rows: list[Any] = self.raw.execute(sql, parameters).fetchall()
        return rows

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction


class TurnTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction (IMMEDIATE or EXCLUSIVE), in its turn, on the loop's connection."""

    __slots__ = ("_turn", "_writer")

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        engine: Any = self.engine
        writer = engine.writers.here()
        turn = await take_turn(writer, str(engine.path), engine.write_wait)
        try:
            writer.connection(engine.connection_kwargs, engine.keep_writers)
            writer.durable(not is_recoverable())
            await run_statement(writer, f"BEGIN {self.transaction_type.value}", [], engine.write_wait)
            raw = writer.conn
            assert raw is not None
        except BaseException:
            end_turn(writer, turn, engine.keep_writers)
            raise
        self._writer: LoopWriter | None = writer
        self._turn: FileTurn | None = turn
        self.connection = LoopConnection(raw)
        self.context = self.engine.current_transaction.set(self)
        return self

    def _end(self) -> None:
        if self._writer is not None and self._turn is not None:
            writer, turn, self._writer, self._turn = self._writer, self._turn, None, None
            end_turn(writer, turn, self.engine.keep_writers)  # type: ignore[attr-defined]

    async def begin(self) -> None:
        raise NotImplementedError("begun in __aenter__, in its turn")

    async def commit(self) -> None:
        if self._writer is not None and self._turn is not None:
            writer, turn, self._writer, self._turn = self._writer, self._turn, None, None
            await commit_turn(writer, turn, self.engine.keep_writers)  # type: ignore[attr-defined]
        self._committed = True

    async def rollback(self) -> None:
        if self._writer is None:  # ended already (a COMMIT that failed rolled back)
            self._rolled_back = True
            return
        raw = self.connection.raw
        try:
            if raw.in_transaction:  # (SQLite may have rolled back itself after an I/O error)
                raw.execute("ROLLBACK")
        finally:
            self._end()
        self._rolled_back = True

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                try:
                    await self.commit()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await self.rollback()
                    raise
        finally:
            self._end()
            self.engine.current_transaction.reset(self.context)
        return exception is None
