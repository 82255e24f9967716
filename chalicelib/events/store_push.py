"""Lambda entry point of the store push queue: quantities to stores and QuickBooks sales to ShipStation,
after a Web Connector session. A store that cannot be reached fails the message, and SQS delivers it again
after the visibility timeout (then to the dead-letter queue; the pending records stay and the next Web
Connector run nudges again).

Each message logs with the Lambda context and the channel as correlation id, and counts `StorePushes` (and
`StorePushesFailed` when the push raised: SQS delivers it again); the metrics are flushed per message."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Blueprint, SQSEvent

from chalicelib.aws import StorePushQueue
from chalicelib.observability import BusinessMetric, count, invocation

bp = Blueprint(__name__)


def handle_push(body: dict[str, Any]) -> dict[str, int]:
    """The store push use case, loaded when a message first comes: the app's other Lambdas never load the store
    connectors."""
    from chalicelib.sync.store_push import handle_push as push

    return push(body)


@bp.on_sqs_message(queue=StorePushQueue.queue_name(), batch_size=1)
def store_push(event: SQSEvent) -> None:
    for record in event:
        body = json.loads(record.body)
        channel_id = body.get("channel_id") if isinstance(body, dict) else None
        with invocation("store_push", event.context, str(channel_id) if channel_id else None):
            count(BusinessMetric.STORE_PUSHES)
            try:
                handle_push(body)
            except Exception:
                count(BusinessMetric.STORE_PUSHES_FAILED)
                raise
