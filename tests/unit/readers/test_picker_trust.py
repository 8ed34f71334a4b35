"""How long a reader picker trusts the snapshot's word on a reader before listing its location at
Stripe: a picker opening trusts a reader shown online for a minute (Stripe itself calls a silent
reader offline only after two), any other reader for ten seconds; an open picker's own refresh
trusts every reader for ten seconds (an unplugged reader shows Offline within seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.readers import snapshot as reader_snapshot
from kiosk.readers.snapshot import FULL_LIST_SECONDS, LIST_EVERY_SECONDS, TRUST_ONLINE_SECONDS, Snapshot
from kiosk.stripe_account.objects import ReaderAction, ReaderInfo

NOW = datetime(2026, 12, 6, 15, 0, 0, tzinfo=UTC)
OPENING, REFRESH = False, True


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_snapshot, "_now", lambda: NOW)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def reader(reader_id: str, *, online: bool = True, busy_with: str | None = None) -> ReaderInfo:
    action = ReaderAction("process_payment_intent", "in_progress", busy_with) if busy_with else None
    return ReaderInfo(reader_id, reader_id.title(), "simulated_wisepos_e", online, "tml_1", action)


def snapshot(*seen: tuple[ReaderInfo, float], foreign: frozenset[str] = frozenset(), listed: float = 1) -> Snapshot:
    return Snapshot(ago(listed), [r for r, _ in seen], {r.id: ago(age) for r, age in seen}, foreign)


def test_a_picker_opening_trusts_an_online_reader_for_a_minute() -> None:
    assert TRUST_ONLINE_SECONDS == 60.0 and LIST_EVERY_SECONDS == 10.0
    assert not snapshot((reader("front"), LIST_EVERY_SECONDS)).due(refreshing=OPENING)
    assert not snapshot((reader("front"), TRUST_ONLINE_SECONDS - 0.001)).due(refreshing=OPENING)
    assert snapshot((reader("front"), TRUST_ONLINE_SECONDS)).due(refreshing=OPENING)


def test_an_open_pickers_refresh_trusts_an_online_reader_for_ten_seconds() -> None:
    assert not snapshot((reader("front"), LIST_EVERY_SECONDS - 0.001)).due(refreshing=REFRESH)
    assert snapshot((reader("front"), LIST_EVERY_SECONDS)).due(refreshing=REFRESH)
    assert snapshot((reader("front"), TRUST_ONLINE_SECONDS - 1)).due(refreshing=REFRESH)


@pytest.mark.parametrize("refreshing", [OPENING, REFRESH])
def test_a_reader_shown_offline_is_trusted_ten_seconds_whoever_asks(refreshing: bool) -> None:
    """It may be plugged back any moment: the opening picker asks Stripe as soon as the refresh would."""
    offline = reader("back", online=False)
    assert not snapshot((offline, LIST_EVERY_SECONDS - 0.001)).due(refreshing=refreshing)
    assert snapshot((offline, LIST_EVERY_SECONDS)).due(refreshing=refreshing)


def test_a_reader_busy_with_another_apps_action_is_trusted_ten_seconds() -> None:
    busy = reader("front", busy_with="pi_of_another_app")
    assert snapshot((busy, LIST_EVERY_SECONDS), foreign=frozenset({"front"})).due(refreshing=OPENING)
    assert not snapshot((busy, LIST_EVERY_SECONDS - 0.001), foreign=frozenset({"front"})).due(refreshing=OPENING)


def test_a_reader_busy_with_a_kiosk_payment_is_trusted_like_any_online_reader() -> None:
    """Its own payment's calls and events keep its word, and the kiosk knows when that payment ends."""
    busy = reader("front", busy_with="pi_of_the_kiosk")
    assert not snapshot((busy, TRUST_ONLINE_SECONDS - 1)).due(refreshing=OPENING)
    assert snapshot((busy, LIST_EVERY_SECONDS)).due(refreshing=REFRESH)


def test_one_doubtful_reader_is_enough_for_a_listing() -> None:
    fresh_online, old_offline = (reader("front"), 1), (reader("back", online=False), LIST_EVERY_SECONDS)
    assert snapshot(fresh_online, old_offline).due(refreshing=OPENING)
    assert not snapshot(fresh_online, (reader("back", online=False), 5)).due(refreshing=OPENING)
    # An open picker: the online readers' word counts as much as the offline one's.
    assert snapshot((reader("front"), LIST_EVERY_SECONDS), (reader("back", online=False), 5)).due(refreshing=REFRESH)


@pytest.mark.parametrize("refreshing", [OPENING, REFRESH])
def test_the_whole_location_is_listed_every_ten_minutes_however_fresh_its_readers(refreshing: bool) -> None:
    assert not snapshot((reader("front"), 1), listed=FULL_LIST_SECONDS - 0.001).due(refreshing=refreshing)
    assert snapshot((reader("front"), 1), listed=FULL_LIST_SECONDS).due(refreshing=refreshing)


@pytest.mark.parametrize("refreshing", [OPENING, REFRESH])
def test_a_location_without_readers_is_listed_again_after_ten_seconds(refreshing: bool) -> None:
    """None registered yet: one may be any moment (the admin registering it in Stripe's Dashboard)."""
    assert not snapshot(listed=LIST_EVERY_SECONDS - 0.001).due(refreshing=refreshing)
    assert snapshot(listed=LIST_EVERY_SECONDS).due(refreshing=refreshing)
