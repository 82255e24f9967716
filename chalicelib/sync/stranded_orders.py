"""Orders stored but in no queue: found again at the next Web Connector run and queued.

The order record is the truth and the connection's SQS queue only a signal. A queue message can be missing
for an order that waits (a crash between storing an order and queueing it, a message lost with a restarted
embedded stack, an order claimed into a set whose session died before the set was recorded). Every order on its
way to QuickBooks sits in the sparse `open` index of its connection with the time of its last queue message.
When a Web Connector signs in, pending orders queued well before a session last found the queue empty (so their
message was not there) are queued again (a duplicate message is harmless: the engine reads the order's status
first), and orders claimed over STALE_AFTER ago into a set that is not the connection's unresolved one go back to
pending, to be verified in QuickBooks before they are posted again. A synced order still in the index was kept
there because a newer version came while it was in flight, and the process died before its refunds were looked at:
they are queued now (`queue_waiting_refunds`).

The sweep is a query of that index, and an idle sign-in (nothing queued) is most of a connection's sign-ins, so
an idle sign-in either sweeps or writes to the connection, never both (at most two DynamoDB calls with reading
the connection): it writes (the contact and the drained queue's time) when the last contact is older than
1.5 runs of the connection's schedule, and otherwise sweeps. Polling on schedule the two alternate: the drained
mark moves every other run, and the run after sweeps with it. A mark that moves less often only makes the sweep
more careful (an order counts as stranded only when queued before a time the queue was surely found empty). A
Web Connector back after 2.5 runs or more (the computer was off, or it runs less often than the connection says)
both writes and sweeps; one polling between 1.5 and 2.5 runs apart only writes, and its stranded orders are
found at its next sign-in with work. A sign-in with work sweeps every time, as before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.aws import WorkQueue
from chalicelib.dal import orders
from chalicelib.dal.connections import Connection
from chalicelib.lazy import lazy_module
from chalicelib.observability import logger
from chalicelib.sync.order_jobs import post_jobs

if TYPE_CHECKING:
    from chalicelib.sync import orders as order_desk
else:  # the order model, its rules and qbXML: only when a sweep finds synced orders kept open
    order_desk = lazy_module("chalicelib.sync.orders")

STALE_AFTER = timedelta(minutes=15)  # an order claimed this long ago into a set never recorded is stranded
LOST_MARGIN = timedelta(
    minutes=2
)  # a message sent this close to a drained queue may simply not have shown yet
SWEEP_LIMIT = 500  # orders looked at per sign-in; the rest at the next one
CONTACT_EVERY_RUNS = 1.5  # an idle sign-in writes the contact when the last is older than this many runs
OVERDUE_RUNS = 2.5  # ... and sweeps as well when it is older than this many


def idle_write_due(conn: Connection, now: datetime) -> bool:
    """Whether an idle sign-in at `now` (the service's clock, as `last_contact_at`) writes the contact and the
    drained queue's time (else it sweeps): no contact or drained mark yet, or the contact older than
    CONTACT_EVERY_RUNS runs of the connection's schedule."""
    if conn.last_contact_at is None or conn.queue_drained_at is None:
        return True
    every = timedelta(minutes=max(1, conn.run_every_minutes) * CONTACT_EVERY_RUNS)
    return now - conn.last_contact_at >= every


def overdue_sweep(conn: Connection, now: datetime) -> bool:
    """Whether an idle sign-in that writes sweeps as well: the Web Connector was away OVERDUE_RUNS runs or more
    (or never signed in), so no sweep ran in between."""
    if conn.last_contact_at is None:
        return True
    return now - conn.last_contact_at >= timedelta(minutes=max(1, conn.run_every_minutes) * OVERDUE_RUNS)


def requeue_stranded(conn: Connection, queue: WorkQueue, *, retry_delay_seconds: int = 60) -> int:
    """Queue again what waits without a message; returns how many orders were queued.

    Pending orders count as stranded only when queued well before a session last found the queue empty (their
    message was not there to take), so a backlog that simply waits for the Web Connector is left alone. Times are
    the wall clock, as the orders' `queued_at`."""
    now = datetime.now(UTC)
    claimed_before = now - STALE_AFTER
    margin = max(
        LOST_MARGIN, timedelta(seconds=2 * retry_delay_seconds)
    )  # deferred retries are invisible a while
    drained = (
        datetime.fromtimestamp(conn.queue_drained_at, UTC) - margin
        if conn.queue_drained_at is not None
        else None
    )
    cutoff = max(claimed_before, drained) if drained is not None else claimed_before
    unresolved = conn.unresolved_set_id
    jobs = []
    synced_kept_open = []
    for order in orders.open_orders(conn.connection_id, queued_before=cutoff, limit=SWEEP_LIMIT):
        queued = datetime.fromisoformat(order.queued_at) if order.queued_at else None
        if order.status == orders.SYNCED:  # its newer version's refunds were never looked at (a crash)
            synced_kept_open.append((order.channel_id, order.order_id))
            continue
        if order.status == orders.PENDING:
            if drained is None or queued is None or queued >= drained:
                continue
            rescued = orders.mark_queued(order)
        elif order.status == orders.IN_FLIGHT and order.message_set_id and order.message_set_id != unresolved:
            claimed = datetime.fromisoformat(order.claimed_at) if order.claimed_at else queued
            if claimed is not None and claimed >= claimed_before:
                continue
            rescued = orders.back_to_pending(order, order.message_set_id, None, verify=True)
        else:
            continue
        if rescued:
            jobs.append((order.channel_id, order.order_id))
    if synced_kept_open:
        jobs += order_desk.queue_waiting_refunds(synced_kept_open)
    if jobs:
        queue.send_many(post_jobs(jobs))
        logger.info(
            "stranded orders queued again", extra={"connection_id": conn.connection_id, "count": len(jobs)}
        )
    return len(jobs)
