"""Where a channel's fetching stands, in its own small item (chalicelib/dal/channel_fetches.py): the lease that keeps
runs of one channel apart, the bookmark that only its holder moves and only forward, the last outcome, the fallback
on what a channel item kept before the move, and the item's size (one write unit a step)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.dal import channel_fetches
from chalicelib.dal import channels as channel_repo
from chalicelib.dal.fetch_runs import FetchRun
from chalicelib.dal.models import ChannelFetchModel, ChannelModel
from chalicelib.sync.fetch import summary
from ledgerbridge.item_sizes import item_size, write_units

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
LEASE = 900


def new_channel() -> channel_repo.Channel:
    return channel_repo.create(f"ten_{uuid.uuid4().hex[:12]}", "con_fetches", "custom_store", "Shop", {})


def test_one_run_holds_the_channel_until_it_gives_it_back_or_its_lease_lapses(aws: str) -> None:
    channel = new_channel()
    now = 1_800_000_000.0
    taken = channel_fetches.take_lease(channel, "run_a", now, LEASE)
    assert taken is not None and taken.run_id == "run_a" and taken.lease_until == now + LEASE
    assert channel_fetches.take_lease(channel, "run_b", now + 1, LEASE) is None  # held
    assert channel_fetches.take_lease(channel, "run_a", now + 60, LEASE) is not None  # the holder renews
    assert channel_fetches.take_lease(channel, "run_b", now + LEASE + 1, LEASE) is None  # renewed: still held
    lapsed = channel_fetches.take_lease(channel, "run_b", now + 60 + LEASE + 1, LEASE)
    assert lapsed is not None and lapsed.run_id == "run_b"  # the holder crashed: another run takes over

    channel_fetches.release_lease(channel.channel_id, "run_a", {"state": "done"})  # not the holder: nothing
    assert channel_fetches.get(channel).run_id == "run_b"
    assert channel_fetches.get(channel).last_fetch is None
    channel_fetches.release_lease(channel.channel_id, "run_b", {"state": "done", "counts": {"new": 2}})
    given_back = channel_fetches.get(channel)
    assert given_back.run_id is None and given_back.lease_until is None and not given_back.running
    assert given_back.last_fetch == {"state": "done", "counts": {"new": 2}}
    assert channel_fetches.take_lease(channel, "run_c", now + 1, LEASE) is not None  # free again


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(st.tuples(st.booleans(), st.integers(-600, 600)), min_size=1, max_size=12))
def test_the_bookmark_moves_only_forward_and_only_for_the_run_holding_the_channel(
    aws: str, moves: list[tuple[bool, int]]
) -> None:
    channel = new_channel()
    assert channel_fetches.take_lease(channel, "run_holder", 1_800_000_000.0, LEASE) is not None
    expected: datetime | None = None
    for by_holder, minutes in moves:
        mark = T0 + timedelta(minutes=minutes)
        moved = channel_fetches.advance_bookmark(
            channel.channel_id, "run_holder" if by_holder else "run_other", mark
        )
        forward = by_holder and (expected is None or mark > expected)
        assert moved == forward
        if forward:
            expected = mark
    assert channel_fetches.get(channel).bookmark == expected


def test_a_channel_fetched_before_the_move_goes_on_from_what_its_item_kept(aws: str) -> None:
    channel = new_channel()
    old_outcome = {"run_id": "run_old", "state": "done", "counts": {"new": 1}}
    # what the code before kept on the channel item, a lease of a run cut short by the upgrade included
    ChannelModel(channel.channel_id).update(
        actions=[
            ChannelModel.bookmark.set(T0),
            ChannelModel.last_fetch.set(old_outcome),
            ChannelModel.fetch_run_id.set("run_old"),
            ChannelModel.fetch_lease_until.set(4_000_000_000),
        ]
    )
    legacy = channel_repo.get(channel.channel_id)
    assert (
        channel_fetches.get(legacy).bookmark == T0 and channel_fetches.get(legacy).last_fetch == old_outcome
    )
    assert channel_fetches.get_many([legacy])[channel.channel_id].bookmark == T0

    taken = channel_fetches.take_lease(legacy, "run_new", 1_800_000_000.0, LEASE)  # the old lease is not read
    assert taken is not None and taken.bookmark == T0  # the run goes on from the old bookmark, copied over
    assert ChannelFetchModel.get(channel.channel_id, consistent_read=True).bookmark == T0
    assert channel_fetches.get(legacy).last_fetch == old_outcome  # until the run ends
    # its first page, read from the bookmark less the overlap, does not move the bookmark back
    assert not channel_fetches.advance_bookmark(channel.channel_id, "run_new", T0 - timedelta(minutes=5))

    assert channel_fetches.advance_bookmark(channel.channel_id, "run_new", T0 + timedelta(hours=1))
    channel_fetches.release_lease(channel.channel_id, "run_new", {"run_id": "run_new", "state": "done"})
    now = channel_fetches.get(legacy)
    assert now.bookmark == T0 + timedelta(hours=1) and now.last_fetch == {
        "run_id": "run_new",
        "state": "done",
    }
    stored = ChannelModel.get(channel.channel_id, consistent_read=True)
    assert stored.bookmark == T0 and stored.last_fetch == old_outcome  # the channel item is not written


def test_several_channels_are_read_at_once_each_with_its_own_state(aws: str) -> None:
    quiet, busy = new_channel(), new_channel()
    channel_fetches.take_lease(busy, "run_busy", 1_800_000_000.0, LEASE)
    states = channel_fetches.get_many([quiet, busy, quiet])
    assert set(states) == {quiet.channel_id, busy.channel_id}
    assert not states[quiet.channel_id].running and states[busy.channel_id].run_id == "run_busy"
    assert channel_fetches.get_many([]) == {}


def test_the_state_goes_with_its_channel_and_the_run_going_on_does_not_bring_it_back(aws: str) -> None:
    channel = new_channel()
    channel_fetches.take_lease(channel, "run_a", 1_800_000_000.0, LEASE)
    assert channel_fetches.renew_lease(channel.channel_id, "run_a", 1_800_000_060.0, LEASE)
    assert not channel_fetches.renew_lease(
        channel.channel_id, "run_b", 1_800_000_060.0, LEASE
    )  # not the holder
    channel_repo.delete(channel.tenant_id, channel.channel_id)
    # the run goes on with its next page, then ends
    assert not channel_fetches.renew_lease(channel.channel_id, "run_a", 1_800_000_120.0, LEASE)
    assert not channel_fetches.advance_bookmark(channel.channel_id, "run_a", T0)
    channel_fetches.release_lease(channel.channel_id, "run_a", {"state": "done"})
    with pytest.raises(ChannelFetchModel.DoesNotExist):
        ChannelFetchModel.get(channel.channel_id, consistent_read=True)


def test_each_step_of_a_fetch_writes_one_unit(aws: str) -> None:
    """Taken, the bookmark moved, given back with the outcome of a run that read every kind of order: the item stays
    under 1 KB, so each of those writes costs one write unit (the channel item with its settings costs three)."""
    channel = new_channel()
    run = FetchRun(
        channel_id=channel.channel_id,
        run_key="2026-11-02T09:30:00#run_20261102093000abcdef12",
        run_id="run_20261102093000abcdef12",
        tenant_id=channel.tenant_id,
        trigger="schedule",
        since=T0,
        until=T0 + timedelta(minutes=15),
        checkpoint=T0,
        page_token=None,
        state="done",
        counts={
            "fetched": 100_000,
            "unreadable": 100_000,
            "already_in_quickbooks": 100_000,
            "new": 100_000,
            "changed": 100_000,
            "unchanged": 100_000,
            "refunded": 100_000,
            "skipped": 100_000,
        },
        total=100_000,
        pages=1_000,
        started_at=T0,
        ended_at=T0 + timedelta(minutes=14),
        error=None,
    )
    channel_fetches.take_lease(channel, run.run_id, 1_800_000_000.0, LEASE)
    channel_fetches.advance_bookmark(channel.channel_id, run.run_id, T0 + timedelta(minutes=14))
    held = ChannelFetchModel.get(channel.channel_id, consistent_read=True).serialize()
    channel_fetches.release_lease(channel.channel_id, run.run_id, summary(run))
    ended = ChannelFetchModel.get(channel.channel_id, consistent_read=True).serialize()
    assert write_units(item_size(held)) == 1
    assert write_units(item_size(ended)) == 1, item_size(ended)
