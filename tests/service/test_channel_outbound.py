"""Where a channel's QuickBooks outbound work stands, in its own small item (chalicelib/dal/channel_outbound.py): a
standing job queued at most once at a time, the cursors, the shipments bookmark and the last push, the fallback on
what a channel item kept before the move, and the item's size (one write unit a write)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.dal import channel_outbound
from chalicelib.dal import channels as channel_repo
from chalicelib.dal.models import ChannelModel, ChannelOutboundModel
from ledgerbridge.item_sizes import item_size, write_units

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
STALE = 3600


def new_channel() -> channel_repo.Channel:
    return channel_repo.create(f"ten_{uuid.uuid4().hex[:12]}", "con_outbound", "woocommerce", "Shop", {})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.tuples(st.sampled_from(["claim", "release"]), st.integers(0, 2 * STALE)), max_size=10)
)
def test_a_standing_job_is_queued_at_most_once_at_a_time(aws: str, steps: list[tuple[str, int]]) -> None:
    """A model of the mark: a claim wins when nothing is queued or what is queued went stale; a release clears it."""
    channel = new_channel()
    now, queued_at = 1_800_000_000.0, None
    for step, wait in steps:
        now += wait
        if step == "release":
            channel_outbound.release_standing_job(channel.channel_id, "inventory")
            queued_at = None
            continue
        wins = queued_at is None or queued_at < int(now - STALE)
        assert channel_outbound.claim_standing_job(channel.channel_id, "inventory", now, STALE) == wins
        if wins:
            queued_at = int(now)
    # the three kinds are marked apart
    assert channel_outbound.claim_standing_job(channel.channel_id, "sales", now, STALE)
    assert channel_outbound.claim_standing_job(channel.channel_id, "tracking", now, STALE)


def test_releasing_writes_nothing_for_a_channel_without_an_item(aws: str) -> None:
    channel = new_channel()
    channel_outbound.release_standing_job(channel.channel_id, "sales")
    with pytest.raises(ChannelOutboundModel.DoesNotExist):
        ChannelOutboundModel.get(channel.channel_id, consistent_read=True)


def test_what_the_jobs_record_reads_back(aws: str) -> None:
    channel = new_channel()
    assert channel_outbound.claim_standing_job(channel.channel_id, "inventory", 1_800_000_000.0, STALE)
    channel_outbound.record_inventory_pass(channel.channel_id, T0, None)
    channel_outbound.record_inventory_pass(channel.channel_id, None, T0 + timedelta(minutes=1))
    channel_outbound.record_sales_cursor(channel.channel_id, T0 + timedelta(minutes=2))
    channel_outbound.record_shipments_bookmark(channel.channel_id, T0 + timedelta(minutes=3))
    channel_outbound.record_push(channel.channel_id, {"what": "inventory", "counts": {"pushed": 3}})
    state = channel_outbound.get(channel)
    assert state == channel_outbound.OutboundState(
        inventory_cursor=T0,
        inventory_full_at=T0 + timedelta(minutes=1),
        sales_cursor=T0 + timedelta(minutes=2),
        shipments_bookmark=T0 + timedelta(minutes=3),
        last_push={"what": "inventory", "counts": {"pushed": 3}},
    )


def test_a_channel_read_before_the_move_goes_on_from_what_its_item_kept(aws: str) -> None:
    channel = new_channel()
    old_push = {"what": "sales", "counts": {"sent": 1}, "error": None}
    ChannelModel(channel.channel_id).update(
        actions=[
            ChannelModel.inventory_cursor.set(T0),
            ChannelModel.inventory_full_at.set(T0),
            ChannelModel.sales_cursor.set(T0),
            ChannelModel.shipments_bookmark.set(T0),
            ChannelModel.last_push.set(old_push),
            ChannelModel.inventory_job_at.set(4_000_000_000),  # a job queued by the code before: not read
        ]
    )
    legacy = channel_repo.get(channel.channel_id)
    assert channel_outbound.get(legacy) == channel_outbound.OutboundState(T0, T0, T0, T0, old_push)
    assert channel_outbound.claim_standing_job(channel.channel_id, "inventory", 1_800_000_000.0, STALE)
    channel_outbound.record_sales_cursor(channel.channel_id, T0 + timedelta(hours=1))
    moved = channel_outbound.get(legacy)
    assert moved.sales_cursor == T0 + timedelta(hours=1) and moved.inventory_cursor == T0  # each its newest
    stored = ChannelModel.get(channel.channel_id, consistent_read=True)
    assert stored.sales_cursor == T0  # the channel item is not written


def test_the_state_goes_with_its_channel_and_what_ends_later_does_not_bring_it_back(aws: str) -> None:
    channel = new_channel()
    channel_outbound.claim_standing_job(channel.channel_id, "inventory", 1_800_000_000.0, STALE)
    channel_repo.delete(channel.tenant_id, channel.channel_id)
    # a job, a push or a read that ends after the deletion
    channel_outbound.release_standing_job(channel.channel_id, "inventory")
    channel_outbound.record_inventory_pass(channel.channel_id, T0, T0)
    channel_outbound.record_sales_cursor(channel.channel_id, T0)
    channel_outbound.record_push(channel.channel_id, {"what": "inventory"})
    with pytest.raises(ChannelOutboundModel.DoesNotExist):
        ChannelOutboundModel.get(channel.channel_id, consistent_read=True)


def test_every_write_costs_one_unit(aws: str) -> None:
    """Everything set at once, the last push a failed one with its error: the item stays under 1 KB, so each
    write to it costs one write unit (the channel item with its settings costs three)."""
    channel = new_channel()
    for which in channel_outbound.STANDING_JOBS:
        channel_outbound.claim_standing_job(channel.channel_id, which, 1_800_000_000.0, STALE)
    channel_outbound.record_inventory_pass(channel.channel_id, T0, T0)
    channel_outbound.record_sales_cursor(channel.channel_id, T0)
    channel_outbound.record_shipments_bookmark(channel.channel_id, T0)
    channel_outbound.record_push(
        channel.channel_id,
        {
            "what": "inventory",
            "at": T0.isoformat(),
            "counts": {"pushed": 10_000, "unchanged": 10_000, "unmatched": 10_000, "refused": 10_000},
            "error": "The store refused the request (HTTP 503 Service Unavailable); it is tried again.",
            "retrying": True,
        },
    )
    stored = ChannelOutboundModel.get(channel.channel_id, consistent_read=True).serialize()
    assert write_units(item_size(stored)) == 1, item_size(stored)
