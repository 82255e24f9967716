"""The QuickBooks jobs a channel needs on every Web Connector run (not only when a store sent something):
reading inventory for the store, reading sales for ShipStation, writing ShipStation's tracking back.

They are queued when the Web Connector signs in, so `authenticate` sees work and opens a session. A
channel has at most one of each queued at a time (a conditional write of the channel's `channel_outbound` item,
chalicelib/dal/channel_outbound.py); one queued for
over an hour is presumed lost (its message went to the dead-letter queue) and is queued again.

Which channels have standing jobs is kept on the connection (`standing_channels`, as of its `channels_version`,
which every channel added or changed bumps): a sign-in whose connection has none reads no channel at all, so
an idle Web Connector poll costs no channel query. When unknown, the channels are listed and the answer is
handed back for the sign-in's one write to the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.aws import WorkQueue
from chalicelib.dal import channel_outbound, channels, outbound_sales
from chalicelib.dal.connections import Connection
from chalicelib.dal.outbound_sales import TRACK
from chalicelib.lazy import lazy_module
from chalicelib.sync.jobs import READ_INVENTORY, READ_SALES, WRITE_TRACKING, new_job

if TYPE_CHECKING:
    from chalicelib.sync import channels as channel_settings
    from chalicelib.sync import summary_channels
else:  # the channels' settings (and the order settings they parse): only when a sign-in lists the channels
    channel_settings = lazy_module("chalicelib.sync.channels")
    summary_channels = lazy_module("chalicelib.sync.summary_channels")

STALE_SECONDS = 3600


@dataclass(frozen=True)
class StandingJobs:
    """What a sign-in queued, and the channels with standing jobs to keep on the connection (None: as kept)."""

    queued: int
    channels: dict[str, Any] | None


def queue_standing_jobs(conn: Connection, queue: WorkQueue, now: datetime) -> StandingJobs:
    """Queue each of the connection's channels' standing jobs not queued yet."""
    if conn.standing_channel_ids() == []:
        return StandingJobs(0, None)  # known to have none: nothing read
    jobs: list[dict[str, Any]] = []
    standing: list[str] = []
    for channel in channels.list_for_connection(conn.tenant_id, conn.connection_id):
        settings = channel_settings.settings_of(channel)
        if (
            settings.moves("inventory_to_store")
            or settings.moves("quickbooks_to_shipstation")
            or summary_channels.is_summary(settings)
        ):
            standing.append(channel.channel_id)
        # A closed day to post (chalicelib/sync/summary_transactions.py).
        if summary_channels.is_summary(settings):
            jobs += summary_channels.queue_due(conn.connection_id, channel.channel_id, settings, now)
        wanted = []
        if settings.moves("inventory_to_store"):
            wanted.append(("inventory", READ_INVENTORY))
        if settings.moves("quickbooks_to_shipstation"):
            wanted.append(("sales", READ_SALES))
            if outbound_sales.pending(channel.channel_id, TRACK, 1):
                wanted.append(("tracking", WRITE_TRACKING))
        for which, kind in wanted:
            if channel_outbound.claim_standing_job(channel.channel_id, which, now.timestamp(), STALE_SECONDS):
                jobs.append(new_job(kind, conn.connection_id, now, channel_id=channel.channel_id))
    if jobs:
        queue.send_many(jobs)
    known = {"version": conn.channels_version, "ids": standing}
    return StandingJobs(len(jobs), None if known == conn.standing_channels else known)
