"""What a connection's queue holds, as tests read it: the orders its post-orders messages name (a message names
many orders), without taking the messages (received with no visibility timeout, so they stay visible)."""

from __future__ import annotations

import json
from collections import Counter

from chalicelib.aws import WorkQueue
from chalicelib.sync.order_jobs import POST_ORDER, order_refs


def queued_orders(connection_id: str) -> Counter[tuple[str, str]]:
    """How many times each order (channel id, order id) is named by a visible post-orders message."""
    queue = WorkQueue(connection_id)
    seen: dict[str, dict[str, object]] = {}
    for _ in range(20):  # every visible message, with no visibility timeout (they stay on the queue)
        found = queue._sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
        ).get("Messages", [])
        fresh = [m for m in found if m["MessageId"] not in seen]
        if not fresh:
            break
        seen.update({m["MessageId"]: json.loads(m["Body"]) for m in fresh})
    return Counter(
        ref for body in seen.values() if body.get("kind") == POST_ORDER for ref in order_refs(body)
    )
