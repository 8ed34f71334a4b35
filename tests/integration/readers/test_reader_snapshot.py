"""The readers' snapshot: pickers and payment starts list a location's readers at Stripe per
location and per time, not per render, per server or per payment, and still show what Stripe says
(a reader back online, a reader Stripe refused as offline, a reader freed by the end of a payment)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from kiosk.payments import actions as payments
from kiosk.payments import store
from kiosk.readers import admin as reader_admin
from kiosk.readers import snapshot as reader_snapshot
from kiosk.readers.tables import ReaderListing, ReaderStatus
from kiosk.stripe_account.admin_gateway import StripeAdmin
from kiosk.stripe_account.gateway import StripeGateway
from kiosk.stripe_account.objects import ReaderAction, ReaderInfo
from tests.integration.payments.test_payments_http import DISABLED, HTMX, options
from tests.payments_support import Kiosk, wait_state
from tests.simulator_support import DEFAULT_KEY

LIST = "GET /v1/terminal/readers"


async def picker(client: httpx.AsyncClient, receipt: int, *, refresh: bool = False) -> dict[str, str]:
    """The "+ Card" picker of the receipt, opening, or (`refresh`) refreshing itself while open as
    its markup has htmx do every 5 s."""
    url = f"/receipts/{receipt}/card/readers"
    answer = await client.get(url, headers=HTMX)
    assert answer.status_code == 200
    if refresh:  # the picker's own refresh: the address its markup polls
        assert f'hx-get="{url}?refresh=1"' in answer.text
        answer = await client.get(f"{url}?refresh=1", headers=HTMX)
        assert answer.status_code == 200
    return options(answer.text)


async def test_pickers_and_the_start_share_one_listing(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        for _ in range(3):  # the picker refreshing itself
            shown = await picker(client, receipt, refresh=True)
        assert set(shown) == set(kiosk.readers) and not DISABLED.search(shown[kiosk.readers[0]])
        started = await kiosk.start(receipt)  # what the picker showed is what the start uses
    assert started.state == "on_reader"
    # Another server (its own gateway, the same database) shows the same snapshot.
    other = StripeGateway(DEFAULT_KEY, api_base=kiosk.sim.url)
    try:
        readers = await reader_snapshot.readers_for_picker(other, kiosk.location, store.reader_holds)
    finally:
        await other.aclose()
    assert {reader.id for reader in readers} == set(kiosk.readers)
    assert await kiosk.calls(LIST) == 1


async def refreshed(client: httpx.AsyncClient, receipt: int) -> dict[str, str]:
    """The open picker's own refresh (`refresh=1`, as its markup polls every 5 s)."""
    answer = await client.get(f"/receipts/{receipt}/card/readers?refresh=1", headers=HTMX)
    assert answer.status_code == 200
    return options(answer.text)


async def test_an_open_picker_shows_an_unplugged_reader_offline_within_ten_seconds(kiosk: Kiosk) -> None:
    second = kiosk.readers[1]
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        assert not DISABLED.search((await picker(client, receipt))[second])  # the picker opens
        await kiosk.control("POST", f"/_sim/readers/{second}/offline")
        # Stripe's word is younger than ten seconds: the picker shows it, without asking Stripe again.
        assert not DISABLED.search((await refreshed(client, receipt))[second])
        assert await kiosk.calls(LIST) == 1
        await age(kiosk.location, listed=reader_snapshot.LIST_EVERY_SECONDS, seen=reader_snapshot.LIST_EVERY_SECONDS)
        assert 'data-status="offline"' in (await refreshed(client, receipt))[second]
        await kiosk.control("POST", f"/_sim/readers/{second}/online")
        await age(kiosk.location, listed=reader_snapshot.LIST_EVERY_SECONDS, seen=reader_snapshot.LIST_EVERY_SECONDS)
        assert not DISABLED.search((await refreshed(client, receipt))[second])
    assert await kiosk.calls(LIST) == 3


async def test_many_open_pickers_list_a_location_once_per_ten_seconds(kiosk: Kiosk) -> None:
    """Twenty pickers refreshing at once, on two servers, after ten seconds: one listing at Stripe."""
    receipts = [await kiosk.receipt("10.00") for _ in range(4)]
    other = StripeGateway(DEFAULT_KEY, api_base=kiosk.sim.url)
    try:
        async with kiosk.cashier() as client:
            await picker(client, receipts[0])
            for expected in (2, 3):
                await age(kiosk.location, listed=reader_snapshot.LIST_EVERY_SECONDS, seen=60)
                pickers = [refreshed(client, receipt) for receipt in receipts * 4]
                elsewhere = reader_snapshot.readers_for_picker(other, kiosk.location, store.reader_holds)
                *shown, listed = await asyncio.gather(*pickers, elsewhere)
                assert all(set(options) == set(kiosk.readers) for options in shown)
                assert {reader.id for reader in listed} == set(kiosk.readers)
                assert await kiosk.calls(LIST) == expected
                # Straight after, however many pickers refresh: the listing just made stands.
                await asyncio.gather(*(refreshed(client, receipt) for receipt in receipts))
                assert await kiosk.calls(LIST) == expected
    finally:
        await other.aclose()


async def test_a_picker_that_found_the_snapshot_due_lists_nothing_once_another_server_has(kiosk: Kiosk) -> None:
    await reader_snapshot.refresh(kiosk.engine.gateway, kiosk.location, store.reader_holds)
    await age(kiosk.location, listed=60, seen=60)
    snapshot = await reader_snapshot.load(kiosk.location, store.reader_holds)
    assert snapshot is not None and snapshot.due(refreshing=True) and snapshot.due(refreshing=False)
    # Meanwhile another server listed the location: this one's claim is refused, nothing more is asked.
    other = StripeGateway(DEFAULT_KEY, api_base=kiosk.sim.url)
    try:
        await reader_snapshot.refresh(other, kiosk.location, store.reader_holds)
    finally:
        await other.aclose()
    assert not await reader_snapshot._claim(kiosk.location)
    assert await kiosk.calls(LIST) == 2


async def test_the_end_of_a_payment_frees_its_reader_without_listing_again(kiosk: Kiosk) -> None:
    receipt, next_receipt = await kiosk.receipt("10.00"), await kiosk.receipt("5.00")
    async with kiosk.cashier() as client:
        await picker(client, receipt)
        started = await kiosk.start(receipt)
        assert 'data-status="busy"' in (await picker(client, next_receipt))[kiosk.readers[0]]
        await kiosk.tap(kiosk.readers[0])
        await wait_state(started.id, "succeeded")
        assert not DISABLED.search((await picker(client, next_receipt))[kiosk.readers[0]])
    assert await kiosk.calls(LIST) == 1


async def test_older_news_of_a_reader_never_overwrites_newer(kiosk: Kiosk) -> None:
    listed = (await reader_snapshot.refresh(kiosk.engine.gateway, kiosk.location, store.reader_holds))[0]
    assert listed.online
    news, now = reader_snapshot.DatabaseReaderNews(), datetime.now(UTC)
    await news.offline(listed.id, now - timedelta(seconds=30))  # e.g. an event delivered late
    stale = ReaderInfo(listed.id, "Renamed long ago", listed.device_type, False, kiosk.location, None)
    await news.seen(stale, now - timedelta(seconds=30))
    snapshot = await reader_snapshot.load(kiosk.location, store.reader_holds)
    assert snapshot is not None and listed in snapshot.readers
    await news.offline(listed.id, datetime.now(UTC))
    snapshot = await reader_snapshot.load(kiosk.location, store.reader_holds)
    assert snapshot is not None
    assert not next(r for r in snapshot.readers if r.id == listed.id).online


async def test_a_reader_removed_at_stripe_leaves_the_snapshot(kiosk: Kiosk) -> None:
    await reader_snapshot.refresh(kiosk.engine.gateway, kiosk.location, store.reader_holds)
    await kiosk.stripe(lambda client: client.v1.terminal.readers.delete(kiosk.readers[1]))
    readers = await reader_snapshot.refresh(kiosk.engine.gateway, kiosk.location, store.reader_holds)
    assert [reader.id for reader in readers] == [kiosk.readers[0]]
    with pytest.raises(LookupError):
        await payments.find_reader(kiosk.engine, kiosk.location, kiosk.readers[1])
    with pytest.raises(LookupError):  # no location paired: no reader at all, whatever Stripe has
        await payments.find_reader(kiosk.engine, "", kiosk.readers[0])


async def test_a_reader_renamed_by_the_admin_shows_its_new_name_at_the_next_picker(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await picker(client, receipt)  # the location is now in the snapshot
        async with StripeAdmin(DEFAULT_KEY, api_base=kiosk.sim.url) as stripe:
            await reader_admin.rename(stripe, kiosk.readers[0], "Front counter", kiosk.user_id)
        answer = await client.get(f"/receipts/{receipt}/card/readers", headers=HTMX)
    assert "Front counter" in answer.text  # not the old name for a minute
    assert await kiosk.calls(LIST) == 2


async def age(location: str, *, listed: float, seen: float, reader: str | None = None) -> None:
    """Make the location's last listing `listed` seconds old and Stripe's word on its readers (or on
    one reader) `seen` seconds old, as if that time had passed."""
    now = datetime.now(UTC)
    await ReaderListing.update({ReaderListing.listed_at: now - timedelta(seconds=listed)}).where(
        ReaderListing.location_id == location
    )
    which = ReaderStatus.location_id == location
    if reader:
        which = which & (ReaderStatus.reader_id == reader)
    await ReaderStatus.update({ReaderStatus.observed_at: now - timedelta(seconds=seen)}).where(which)


async def test_readers_seen_by_their_payments_spare_the_listing(kiosk: Kiosk) -> None:
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await picker(client, receipt)
        # Two minutes on, every reader was seen within ten seconds (their payments' calls and events).
        await age(kiosk.location, listed=120, seen=reader_snapshot.LIST_EVERY_SECONDS / 2)
        await picker(client, receipt)
        assert await kiosk.calls(LIST) == 1
        # One reader not heard of for a while: its status may be stale, so the location is listed.
        await age(kiosk.location, listed=120, seen=120, reader=kiosk.readers[1])
        await picker(client, receipt)
        assert await kiosk.calls(LIST) == 2
        # Ten minutes since the last listing: listed whatever the news (readers added in Stripe's Dashboard).
        await age(kiosk.location, listed=reader_snapshot.FULL_LIST_SECONDS, seen=1)
        await picker(client, receipt)
        assert await kiosk.calls(LIST) == 3


async def test_a_payment_refreshes_its_readers_word(kiosk: Kiosk) -> None:
    await reader_snapshot.refresh(kiosk.engine.gateway, kiosk.location, store.reader_holds)
    await age(kiosk.location, listed=120, seen=120)
    started = await kiosk.start(await kiosk.receipt("10.00"))
    await kiosk.tap(kiosk.readers[0])
    await wait_state(started.id, "succeeded")
    seen = await ReaderStatus.select(ReaderStatus.observed_at).where(ReaderStatus.reader_id == kiosk.readers[0]).first()
    assert seen is not None and (datetime.now(UTC) - seen["observed_at"]).total_seconds() < 60


async def test_a_picker_opening_trusts_an_online_readers_word_for_a_minute_its_refresh_ten_seconds(
    kiosk: Kiosk,
) -> None:
    """Stripe calls a silent reader offline only after two minutes: a picker opening does not list
    the location for readers shown online 30 s ago; the same picker, once open, does."""
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await picker(client, receipt)
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[1]}/offline")  # unplugged meanwhile
        await age(kiosk.location, listed=30, seen=30)
        opened = await picker(client, receipt)  # another receipt's "+ Card" would be the same
        assert not DISABLED.search(opened[kiosk.readers[1]]) and await kiosk.calls(LIST) == 1
        await age(kiosk.location, listed=30, seen=reader_snapshot.TRUST_ONLINE_SECONDS - 5)
        await picker(client, receipt)
        assert await kiosk.calls(LIST) == 1
        # Open, it refreshes itself: Stripe's word on every reader at most ten seconds old.
        assert 'data-status="offline"' in (await refreshed(client, receipt))[kiosk.readers[1]]
        assert await kiosk.calls(LIST) == 2
        # A minute on, even an opening picker lists the location.
        await age(
            kiosk.location, listed=reader_snapshot.TRUST_ONLINE_SECONDS, seen=reader_snapshot.TRUST_ONLINE_SECONDS
        )
        await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[1]}/online")
        assert not DISABLED.search((await picker(client, receipt))[kiosk.readers[1]])
        assert await kiosk.calls(LIST) == 3


async def test_a_picker_opening_asks_stripe_about_a_reader_shown_offline_after_ten_seconds(kiosk: Kiosk) -> None:
    """A reader shown offline may be back any moment: plugged back in, it is offered at the next
    picker opening ten seconds on, not a minute on."""
    second = kiosk.readers[1]
    receipt = await kiosk.receipt("10.00")
    await kiosk.control("POST", f"/_sim/readers/{second}/offline")
    async with kiosk.cashier() as client:
        assert 'data-status="offline"' in (await picker(client, receipt))[second]
        await kiosk.control("POST", f"/_sim/readers/{second}/online")
        await age(kiosk.location, listed=5, seen=5)
        assert 'data-status="offline"' in (await picker(client, receipt))[second]  # Stripe's word 5 s old
        await age(kiosk.location, listed=reader_snapshot.LIST_EVERY_SECONDS, seen=reader_snapshot.LIST_EVERY_SECONDS)
        assert not DISABLED.search((await picker(client, receipt))[second])
    assert await kiosk.calls(LIST) == 2


async def test_a_picker_opening_asks_stripe_about_a_reader_busy_with_another_app_after_ten_seconds(
    kiosk: Kiosk,
) -> None:
    """Another app's action may end any moment (the kiosk hears nothing of it): ten seconds on, the
    opening picker asks Stripe, and the reader is offered again."""
    first = kiosk.readers[0]
    receipt = await kiosk.receipt("10.00")
    async with kiosk.cashier() as client:
        await picker(client, receipt)
        listed = next(
            r
            for r in await reader_snapshot.refresh(kiosk.engine.gateway, kiosk.location, store.reader_holds)
            if r.id == first
        )
        other_app = ReaderAction("process_payment_intent", "in_progress", "pi_of_another_app")
        busy = ReaderInfo(first, listed.label, listed.device_type, True, kiosk.location, other_app)
        await reader_snapshot.DatabaseReaderNews().seen(busy, datetime.now(UTC))
        assert 'data-status="busy"' in (await picker(client, receipt))[first]
        await age(kiosk.location, listed=reader_snapshot.LIST_EVERY_SECONDS, seen=reader_snapshot.LIST_EVERY_SECONDS)
        assert not DISABLED.search((await picker(client, receipt))[first])  # Stripe: it is free
    assert await kiosk.calls(LIST) == 3
