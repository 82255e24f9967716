"""Lambda entry point of the store push queue: quantities to stores and QuickBooks sales to ShipStation,
after a Web Connector session. A store that cannot be reached fails the message, and SQS delivers it again
after the visibility timeout (then to the dead-letter queue; the pending records stay and the next Web
Connector run nudges again)."""

from __future__ import annotations

import json

from chalice.app import Blueprint, SQSEvent

from chalicelib.aws import StorePushQueue
from chalicelib.sync.store_push import handle_push

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=StorePushQueue.queue_name(), batch_size=1)
def store_push(event: SQSEvent) -> None:
    for record in event:
        handle_push(json.loads(record.body))
