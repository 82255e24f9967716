"""Orders stored but in no queue: found again at the next Web Connector run and queued.

The order record is the truth and the connection's SQS queue only a signal. A queue message can be missing
for an order that waits (a crash between storing an order and queueing it, a message lost with a restarted
embedded stack, an order claimed into a set whose session died before the set was recorded). Every order on its
way to QuickBooks sits in the sparse `open` index of its connection with the time of its last queue message.
When a Web Connector signs in, pending orders queued well before a session last found the queue empty (so their
message was not there) are queued again (a duplicate message is harmless: the engine reads the order's status
first), and orders claimed over STALE_AFTER ago into a set that is not the connection's unresolved one go back to
pending, to be verified in QuickBooks before they are posted again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.aws import WorkQueue
from chalicelib.dal import orders
from chalicelib.dal.connections import Connection
from chalicelib.observability import logger
from chalicelib.sync.orders import post_job

STALE_AFTER = timedelta(minutes=15)  # an order claimed this long ago into a set never recorded is stranded
LOST_MARGIN = timedelta(
    minutes=2
)  # a message sent this close to a drained queue may simply not have shown yet
SWEEP_LIMIT = 500  # orders looked at per sign-in; the rest at the next one


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
    unresolved = (conn.unresolved_set or {}).get("id")
    jobs = []
    for order in orders.open_orders(conn.connection_id, queued_before=cutoff, limit=SWEEP_LIMIT):
        queued = datetime.fromisoformat(order.queued_at) if order.queued_at else None
        if order.status == orders.PENDING:
            if drained is None or queued is None or queued >= drained:
                continue
            rescued = orders.mark_queued(order)
        elif order.status == orders.IN_FLIGHT and order.message_set_id and order.message_set_id != unresolved:
            if queued is not None and queued >= claimed_before:
                continue
            rescued = orders.back_to_pending(order, order.message_set_id, None, verify=True)
        else:
            continue
        if rescued:
            jobs.append(post_job(order.channel_id, order.order_id))
    if jobs:
        queue.send_many(jobs)
        logger.info(
            "stranded orders queued again", extra={"connection_id": conn.connection_id, "count": len(jobs)}
        )
    return len(jobs)
