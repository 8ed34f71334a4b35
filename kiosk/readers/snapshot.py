"""The readers of each Stripe location as Stripe last described them, shared by every server.

The reader picker shows this snapshot and a payment's start trusts it, so listing readers at
Stripe costs per location and per time, not per till, per server or per payment:
- a picker that OPENS (the "+ Card" picker, a retry's, a reader task's, an Interac refund's, the
  till's customer-screen choice) trusts the snapshot's word on a reader shown online for up to
  `TRUST_ONLINE_SECONDS`, and on any other reader (offline: it may be back any moment; busy with an
  action no kiosk payment or task owns: it may be done any moment) for up to `LIST_EVERY_SECONDS`;
  older, it lists the location. Re-listing an online reader sooner would not show an unplugged one
  much sooner: Stripe itself calls a silent reader offline only after two minutes without a signal,
  and the start is Stripe's own check (a reader gone offline is refused with
  `terminal_reader_offline`, the payment says so and offers the others, and the snapshot learns
  it: issue 10 item 2);
- while a picker STAYS OPEN (its own refresh every 5 s, `refresh=1` on its URL), Stripe's word on
  every reader it shows is at most `LIST_EVERY_SECONDS` old: the picker lists the whole location
  once Stripe's word on one of its readers is that old, so a reader unplugged, or plugged back,
  shows so within seconds of Stripe saying so (issue 10 item 3);
- however many pickers are open, on however many servers, a location is listed at most once per
  `LIST_EVERY_SECONDS`: the claim that lets one server list it is refused while the last listing is
  younger. A reader's word is fresh from a listing, and also from any call or event that returns
  the reader: the readers of a busy shop are seen by their own payments, so its location is listed
  only every `FULL_LIST_SECONDS` (which also brings readers registered or removed in Stripe's
  Dashboard; the kiosk's own admin pages expire every snapshot at once). No picker open, no listing;
- one server lists a location at a time (a claim on its `ReaderListing` row); the others show
  the snapshot meanwhile;
- every reader Stripe returns to a call or sends in an event updates its row (`DatabaseReaderNews`),
  the older news never overwriting the newer.
A reader's action of a kiosk payment that has ended since is not shown: the database knows better.
The payments tell which of the actions on readers are theirs and how they stand (`KioskHolds`, passed
in by the payments package, which sits above this one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from kiosk.db.engine import write_transaction
from kiosk.readers import sql
from kiosk.readers.tables import ReaderListing, ReaderStatus
from kiosk.stripe_account.errors import PaymentError
from kiosk.stripe_account.gateway import StripeGateway
from kiosk.stripe_account.objects import ReaderAction, ReaderInfo

logger = logging.getLogger(__name__)

# While a picker is open, Stripe's word on its readers is at most this old (a picker opening trusts
# it this long on readers shown offline or busy with a foreign action); and a location is listed at
# most once per this long, however many pickers are open (the claim holds to it).
LIST_EVERY_SECONDS = 10.0
# A picker opening trusts Stripe's word on a reader shown online (free, or busy with a kiosk payment
# or task) this long: half of the two minutes without a signal after which Stripe itself calls a
# reader offline, so listing it sooner would rarely show an unplugged reader sooner; and the start
# is Stripe's own check (terminal_reader_offline: the cashier is told and offered the others).
TRUST_ONLINE_SECONDS = 60.0
# List the whole location at least this often, however fresh its readers' news.
FULL_LIST_SECONDS = 600.0
# A server listing a location holds the claim this long at most (it may die while listing).
CLAIM_SECONDS = 30.0
# How a kiosk payment holds the reader its action was sent to: "running" (the payment is active),
# "unsure" (it needs attention: its action may still be on the reader) or "ended".
Hold = Literal["running", "unsure", "ended"]


class KioskHolds(Protocol):
    """PaymentIntent ids of actions seen on readers -> how the kiosk's payment of each holds its
    reader (ids that are no kiosk payment's are left out)."""

    async def __call__(self, intent_ids: list[str]) -> dict[str, Hold]: ...


def _now() -> datetime:
    return datetime.now(UTC)


def _age(moment: datetime) -> float:
    return (_now() - moment).total_seconds()


@dataclass(frozen=True)
class Snapshot:
    listed_at: datetime  # the location's last listing
    readers: list[ReaderInfo]
    # reader id -> Stripe's last word on it (a listing, a call, an event)
    seen_at: dict[str, datetime] = field(default_factory=dict)
    # readers busy with an action no kiosk payment or task owns (another app's, or an unknown one)
    foreign: frozenset[str] = frozenset()

    def older_than(self, seconds: float) -> bool:
        return _age(self.listed_at) >= seconds

    def trusted_for(self, reader: ReaderInfo, *, refreshing: bool) -> float:
        """How long a picker trusts Stripe's word on this reader: an open picker's refresh, every
        reader `LIST_EVERY_SECONDS`; a picker opening, a reader shown online `TRUST_ONLINE_SECONDS`."""
        if refreshing or not reader.online or reader.id in self.foreign:
            return LIST_EVERY_SECONDS
        return TRUST_ONLINE_SECONDS

    def due(self, *, refreshing: bool) -> bool:
        """Time for the picker (`refreshing`: an open picker's own refresh, else one opening) to list
        the location at Stripe again. A location without readers is listed as its offline ones."""
        if self.older_than(FULL_LIST_SECONDS):
            return True
        if not self.readers:
            return self.older_than(LIST_EVERY_SECONDS)
        return any(
            _age(self.seen_at.get(reader.id, self.listed_at)) >= self.trusted_for(reader, refreshing=refreshing)
            for reader in self.readers
        )


async def readers_for_picker(
    gateway: StripeGateway, location_id: str, holds: KioskHolds, *, refreshing: bool = False
) -> list[ReaderInfo]:
    """The location's readers for a picker opening, or (`refreshing`) for an open picker's own refresh,
    listed at Stripe only when the snapshot is due for it."""
    snapshot = await load(location_id, holds)
    if snapshot is None:
        return await refresh(gateway, location_id, holds)
    if snapshot.due(refreshing=refreshing) and await _claim(location_id):
        return await refresh(gateway, location_id, holds)
    return snapshot.readers


async def reader_for_payment(
    gateway: StripeGateway, location_id: str, reader_id: str, holds: KioskHolds
) -> ReaderInfo | None:
    """The reader as the picker just showed it; Stripe is asked only about a reader the snapshot
    lacks or shows offline (it may have come back), and no sooner than the claim allows."""
    snapshot = await load(location_id, holds)
    reader = _find(snapshot.readers, reader_id) if snapshot else None
    if reader is not None and reader.online:
        return reader
    if snapshot is None or await _claim(location_id):
        return _find(await refresh(gateway, location_id, holds), reader_id)
    return reader


def _find(readers: list[ReaderInfo], reader_id: str) -> ReaderInfo | None:
    return next((reader for reader in readers if reader.id == reader_id), None)


async def refresh(gateway: StripeGateway, location_id: str, holds: KioskHolds) -> list[ReaderInfo]:
    """List the location's readers at Stripe now and store them as the snapshot."""
    asked = _now()
    try:
        listed = await gateway.list_readers(location_id)
    except PaymentError:
        await ReaderListing.update({ReaderListing.claimed_until: None}).where(ReaderListing.location_id == location_id)
        raise
    async with write_transaction(ReaderStatus._meta.db):
        for reader in listed:
            await _store(reader, asked, location_id)
        gone: Any = (ReaderStatus.location_id == location_id) & (ReaderStatus.observed_at < asked)
        if listed:
            gone = gone & ReaderStatus.reader_id.not_in([reader.id for reader in listed])
        await ReaderStatus.delete().where(gone)  # removed, or moved to another location
        row = ReaderListing(location_id=location_id, listed_at=asked, claimed_until=None)
        await ReaderListing.insert(row).on_conflict(
            target=ReaderListing.location_id,
            action="DO UPDATE",
            values=[ReaderListing.listed_at, ReaderListing.claimed_until],
        )
    snapshot = await load(location_id, holds)
    return snapshot.readers if snapshot else listed


async def expire_all() -> None:
    """An admin registered, renamed or removed a reader: every picker lists its location afresh
    instead of showing the old names for up to `FULL_LIST_SECONDS` (admin changes are rare)."""
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    await ReaderListing.update({ReaderListing.listed_at: long_ago}, force=True)


async def _claim(location_id: str) -> bool:
    """True for one server at a time, and only once the last listing is `LIST_EVERY_SECONDS` old: it
    lists the location, the others keep showing the snapshot. A picker that found the snapshot due
    just before another server's listing landed is refused too (one listing per location and period)."""
    now = _now()
    unclaimed = ReaderListing.claimed_until.is_null() | (ReaderListing.claimed_until < now)
    free = unclaimed & (ReaderListing.listed_at <= now - timedelta(seconds=LIST_EVERY_SECONDS))
    rows = (
        await ReaderListing.update({ReaderListing.claimed_until: now + timedelta(seconds=CLAIM_SECONDS)})
        .where((ReaderListing.location_id == location_id) & free)
        .returning(ReaderListing.id)
    )
    return bool(rows)


async def load(location_id: str, holds: KioskHolds) -> Snapshot | None:
    """The stored snapshot of a location; None when it was never listed."""
    rows = await sql.snapshot_rows(location_id)
    if not rows:
        return None
    readers = [row for row in rows if row["reader_id"] is not None]
    running = [r["action_intent"] for r in readers if r["action_status"] == "in_progress" and r["action_intent"]]
    held = await holds(running) if running else {}
    shown = [_reader_of(row, held) for row in readers]
    seen_at = {row["reader_id"]: row["observed_at"] for row in readers}
    foreign = frozenset(reader.id for reader in shown if reader.busy and _intent(reader) not in held)
    return Snapshot(rows[0]["listed_at"], shown, seen_at, foreign)


def _intent(reader: ReaderInfo) -> str:
    return (reader.action.payment_intent_id if reader.action else None) or ""


def _reader_of(row: dict[str, Any], held: dict[str, Hold]) -> ReaderInfo:
    """The reader as the picker shows it (the action of a kiosk payment that has ended is gone: its
    end frees the reader without asking Stripe)."""
    action = None
    if row["action_status"]:
        action = ReaderAction(str(row["action_type"] or ""), str(row["action_status"]), row["action_intent"])
    hold = held.get(row["action_intent"] or "")
    if action is not None and action.status == "in_progress" and hold == "ended":
        action = None  # that payment has ended, so has its action, whatever Stripe said before
    return ReaderInfo(
        row["reader_id"], row["label"], row["device_type"], bool(row["online"]), row["location_id"] or None, action
    )


async def _store(reader: ReaderInfo, observed_at: datetime, location_id: str | None = None) -> None:
    """Upsert one reader, unless what is stored was observed later."""
    await sql.write(reader_news(reader, observed_at, location_id))


def reader_news(
    reader: ReaderInfo, observed_at: datetime, location_id: str | None = None
) -> tuple[str, tuple[Any, ...]]:
    """The upsert of one reader (unless what is stored was observed later), as a statement and its
    arguments: a webhook's transaction writes it with the event's row (kiosk/payments/events.py), so
    the snapshot learns what an event says of a reader, or neither is kept and the event comes again."""
    action = reader.action
    # A kiosk reader task's SetupIntent stands for its action like a payment's PaymentIntent.
    doing = (action.type, action.status, action.payment_intent_id or action.setup_intent_id) if action else None
    return sql.reader_status_upsert(
        reader.id,
        location_id or reader.location or "",
        reader.label,
        reader.device_type,
        reader.online,
        doing or (None, None, None),
        observed_at,
    )


async def remember_reader(reader: ReaderInfo, observed_at: datetime) -> None:
    """Inside the caller's transaction: the snapshot learns what a call or an event says of a reader."""
    await _store(reader, observed_at)


class DatabaseReaderNews:
    """What the gateway learns about single readers, written to the snapshot. A failed write only
    leaves the snapshot a little older: the Stripe call it came with goes on."""

    async def seen(self, reader: ReaderInfo, observed_at: datetime) -> None:
        try:
            await _store(reader, observed_at)
        except Exception:
            logger.warning("reader %s: the snapshot was not updated", reader.id, exc_info=True)

    async def offline(self, reader_id: str, observed_at: datetime) -> None:
        try:
            await ReaderStatus.update({ReaderStatus.online: False, ReaderStatus.observed_at: observed_at}).where(
                (ReaderStatus.reader_id == reader_id) & (ReaderStatus.observed_at <= observed_at)
            )
        except Exception:
            logger.warning("reader %s: the snapshot was not updated", reader_id, exc_info=True)
