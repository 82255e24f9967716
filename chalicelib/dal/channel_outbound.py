"""Where each channel's QuickBooks outbound work stands (the `channel_outbound` table): the inventory and sales
cursors, the last full inventory pass, the shipments bookmark, the standing jobs queued and the last push. One small
item per channel, written at each Web Connector run that queues a standing job and as each job ends.

Channels read before this table existed kept their cursors, bookmark and last push on the channel item; until they
are written here they are read from there (`Channel.legacy_*`). A standing job queued just before the upgrade has
its mark on the channel item, which is not read: a second one may be queued once, which reads QuickBooks again
and changes nothing (what it stages is keyed by item and by sale).

A channel's item is deleted before the channel; later writes do not make it again, except the standing-job mark
and the shipments bookmark, written right after the channel was read: a channel deleted in that instant can leave
a small item behind, read by nothing (channel ids are never reused)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.dal.conditions import updated
from chalicelib.dal.models import ChannelOutboundModel

if TYPE_CHECKING:
    from chalicelib.dal.channels import Channel


@dataclass(frozen=True)
class OutboundState:
    inventory_cursor: datetime | None = None
    inventory_full_at: datetime | None = None
    sales_cursor: datetime | None = None
    shipments_bookmark: datetime | None = None
    last_push: dict[str, Any] | None = None


def get(channel: Channel) -> OutboundState:
    try:
        model: ChannelOutboundModel | None = ChannelOutboundModel.get(
            channel.channel_id, consistent_read=True
        )
    except ChannelOutboundModel.DoesNotExist:
        model = None
    return OutboundState(
        inventory_cursor=(model and model.inventory_cursor) or channel.legacy_inventory_cursor,
        inventory_full_at=(model and model.inventory_full_at) or channel.legacy_inventory_full_at,
        sales_cursor=(model and model.sales_cursor) or channel.legacy_sales_cursor,
        shipments_bookmark=(model and model.shipments_bookmark) or channel.legacy_shipments_bookmark,
        last_push=(model and model.last_push) or channel.legacy_last_push,
    )


# The standing QuickBooks jobs of a channel, queued on each Web Connector run: at most one of each at a time.
STANDING_JOBS = {
    "inventory": ChannelOutboundModel.inventory_job_at,
    "sales": ChannelOutboundModel.sales_job_at,
    "tracking": ChannelOutboundModel.tracking_job_at,
}


def claim_standing_job(channel_id: str, which: str, now: float, stale_seconds: int) -> bool:
    """Mark the channel's `which` job as queued unless one is queued already (one that has been queued for
    `stale_seconds` is presumed lost: its message went to the dead-letter queue)."""
    attr = STANDING_JOBS[which]
    return updated(
        ChannelOutboundModel(channel_id),
        [attr.set(int(now))],
        attr.does_not_exist() | (attr < int(now - stale_seconds)),
    )


def release_standing_job(channel_id: str, which: str) -> None:
    """The job ended: the next run may queue another (nothing is written for a channel that has no item)."""
    _update_existing(channel_id, [STANDING_JOBS[which].remove()])


def record_inventory_pass(channel_id: str, cursor: datetime | None, full_at: datetime | None) -> None:
    """After an inventory read: QuickBooks' newest TimeModified seen, and when the last full pass ended."""
    actions: list[Any] = []
    if cursor is not None:
        actions.append(ChannelOutboundModel.inventory_cursor.set(cursor))
    if full_at is not None:
        actions.append(ChannelOutboundModel.inventory_full_at.set(full_at))
    if actions:
        _update_existing(channel_id, actions)


def record_sales_cursor(channel_id: str, cursor: datetime) -> None:
    _update_existing(channel_id, [ChannelOutboundModel.sales_cursor.set(cursor)])


def record_shipments_bookmark(channel_id: str, bookmark: datetime) -> None:
    """Written by the channel's scheduled task, which has just read the channel: the item is made if need be."""
    ChannelOutboundModel(channel_id).update(actions=[ChannelOutboundModel.shipments_bookmark.set(bookmark)])


def record_push(channel_id: str, summary: dict[str, Any]) -> None:
    _update_existing(channel_id, [ChannelOutboundModel.last_push.set(summary)])


def _update_existing(channel_id: str, actions: list[Any]) -> None:
    """Only where the item exists: a job, a push or a read ends after the standing-job mark made it, so a channel
    deleted meanwhile (its item with it) does not get one back. (A job queued by the code before the move finds no
    item: what it would record is read again at the next run, which marks the job and makes the item.)"""
    updated(ChannelOutboundModel(channel_id), actions, ChannelOutboundModel.channel_id.exists())


def delete(channel_id: str) -> None:
    ChannelOutboundModel(channel_id).delete()
