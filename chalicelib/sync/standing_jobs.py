"""The QuickBooks jobs a channel needs on every Web Connector run (not only when a store sent something):
reading inventory for the store, reading sales for ShipStation, writing ShipStation's tracking back.

They are queued when the Web Connector signs in, so `authenticate` sees work and opens a session. A
channel has at most one of each queued at a time (a conditional write on the channel); one queued for
over an hour is presumed lost (its message went to the dead-letter queue) and is queued again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.aws import WorkQueue
from chalicelib.dal import channels, outbound_sales
from chalicelib.dal.connections import Connection
from chalicelib.dal.outbound_sales import TRACK
from chalicelib.sync.channels import settings_of
from chalicelib.sync.jobs import READ_INVENTORY, READ_SALES, WRITE_TRACKING, new_job

STALE_SECONDS = 3600


def queue_standing_jobs(conn: Connection, queue: WorkQueue, now: datetime) -> int:
    """Queue each of the connection's channels' standing jobs not queued yet; returns how many."""
    jobs: list[dict[str, Any]] = []
    for channel in channels.list_for_connection(conn.tenant_id, conn.connection_id):
        settings = settings_of(channel)
        wanted = []
        if settings.moves("inventory_to_store"):
            wanted.append(("inventory", READ_INVENTORY))
        if settings.moves("quickbooks_to_shipstation"):
            wanted.append(("sales", READ_SALES))
            if outbound_sales.pending(channel.channel_id, TRACK, 1):
                wanted.append(("tracking", WRITE_TRACKING))
        for which, kind in wanted:
            if channels.claim_standing_job(channel.channel_id, which, now.timestamp(), STALE_SECONDS):
                jobs.append(new_job(kind, conn.connection_id, now, channel_id=channel.channel_id))
    if jobs:
        queue.send_many(jobs)
    return len(jobs)
