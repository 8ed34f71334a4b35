"""How durable a write transaction's COMMIT is on SQLite: on the disk before it returns (the default),
or, for writes that a power cut may take back, in the operating system's hands.

A durable COMMIT waits for the disk (SQLite's `synchronous = FULL`: an fsync of the write-ahead log)
on the committer's thread (kiosk/db/sqlite_lock.py), so that the event loop goes on meanwhile. On a
shared VM that wait and the two thread hand-offs around it cost about 0.5 ms of CPU a commit, more
than the transaction's own work, and an approved card sale committed seven times.

A transaction begun inside `recoverable()` commits with `synchronous = NORMAL`, right there on the
event loop: SQLite writes the log but does not wait for the disk. Like every commit, it survives a
crash or a kill of the process (the operating system holds the written log); only a power cut or a
crash of the machine itself within the next moments can take it back, and then the database is as
it was before it, whole. Any later durable COMMIT makes it durable too, since the log is written in
order.

Use it only where losing the transaction at a power cut loses nothing that the world relies on:
- what Stripe holds the truth of and the reconciler reads again (a Stripe event recorded: Stripe
  does not send it again once answered 200, but the payment stays due for a check, and the check
  asks Stripe; a payment moved to "on the reader": its PaymentIntent id and idempotency key were
  committed durably before Stripe was called);
- or what nothing outside the database has relied on yet (a receipt just opened: no money has been
  taken on it; its first tender, card or cash, commits durably and takes the receipt with it).
Never for the row written before a Stripe call, cash, a refund's start, a day's close, or settings.

PostgreSQL: no effect (its commits are the server's; `synchronous_commit` is the operator's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_RECOVERABLE: ContextVar[bool] = ContextVar("kiosk_db_recoverable", default=False)


@contextmanager
def recoverable() -> Iterator[None]:
    """Write transactions begun inside commit without waiting for the disk (see above). A
    transaction joined from outside keeps the outer one's durability."""
    token = _RECOVERABLE.set(True)
    try:
        yield
    finally:
        _RECOVERABLE.reset(token)


def is_recoverable() -> bool:
    """Is a write transaction begun here allowed to commit without waiting for the disk?"""
    return _RECOVERABLE.get()
