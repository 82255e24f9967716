"""Dead-letter queues: the scheduled watch that turns all of them into one metric, and what the operator's
`ledgerbridge dlq list|redrive` does with them.

Why a scheduled check: the per-connection work queues and their `-dlq`s are created at run time
(`WorkQueue.create` in chalicelib/aws.py), so a static template cannot name them, and a CloudWatch alarm can
neither use a SEARCH expression nor (in a Metrics Insights query) match queue names by prefix. Every 5 minutes
`dead_letter_watch` lists the deployment's queues by its prefix (`ListQueues`, one call per 1,000 queues),
reads each dead-letter queue's `ApproximateNumberOfMessages` and writes one metric, `DeadLetterMessages` (the
sum), and a log line per queue with messages (which queues: `ledgerbridge dlq list` says the same). The
`DeadLetters` alarm of infra/template.yaml fires on the metric; it treats a missing data point as breaching, so a
watch that stops running alarms too. (A custom metric costs $0.30 a month whether read or not: a count of the
queues with messages, shown nowhere, was one.)

A dead-letter queue is any queue of the deployment whose name ends in `-dlq`; its messages came from the
queue of the same name without that suffix (`<prefix>conn-<id>-dlq` from `<prefix>conn-<id>`,
`<prefix>channel-fetch-dlq` from `<prefix>channel-fetch`, `<prefix>store-push-dlq` from `<prefix>store-push`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from chalice.app import Blueprint, Rate

from chalicelib.aws import client
from chalicelib.observability import BusinessMetric, invocation, logger, metrics
from chalicelib.settings import Settings, get_settings

bp = Blueprint(__name__)
DLQ_SUFFIX = "-dlq"
WATCH_MINUTES = 5
RECEIVE_BATCH = 10  # SQS's most per ReceiveMessage
REDRIVE_VISIBILITY_SECONDS = 60  # a message being moved is hidden this long, should the move stop half way


class DeadLetterQueue(NamedTuple):
    """A dead-letter queue of the deployment and what it holds."""

    name: str
    url: str
    messages: int  # ApproximateNumberOfMessages (visible)
    in_flight: int  # ApproximateNumberOfMessagesNotVisible

    @property
    def source_name(self) -> str:
        """The queue whose failed messages land here."""
        return self.name.removesuffix(DLQ_SUFFIX)


def _queue_urls(sqs: Any, prefix: str) -> list[str]:
    urls: list[str] = []
    pages = sqs.get_paginator("list_queues").paginate(
        QueueNamePrefix=prefix, PaginationConfig={"PageSize": 1000}
    )
    for page in pages:
        urls.extend(page.get("QueueUrls", []))
    return urls


def dead_letter_queues(settings: Settings | None = None) -> list[DeadLetterQueue]:
    """Every dead-letter queue of the deployment (by its queue prefix), by name."""
    settings = settings or get_settings()
    sqs = client("sqs", settings)
    found: list[DeadLetterQueue] = []
    for url in _queue_urls(sqs, settings.queue_prefix):
        name = url.rstrip("/").rsplit("/", 1)[-1]
        if not name.endswith(DLQ_SUFFIX):
            continue
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        found.append(
            DeadLetterQueue(
                name=name,
                url=url,
                messages=int(attributes.get("ApproximateNumberOfMessages", "0")),
                in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")),
            )
        )
    return sorted(found, key=lambda q: q.name)


def redrive(name: str, *, limit: int | None = None, settings: Settings | None = None) -> int:
    """Move the messages of the dead-letter queue `name` (at most `limit`) back to its source queue, each
    sent before it is deleted (a move cut short leaves a copy behind, never a loss). Returns how many moved.

    Done with ReceiveMessage/SendMessage/DeleteMessage rather than SQS's StartMessageMoveTask, so it works the
    same on the embedded local stack (moto)."""
    settings = settings or get_settings()
    if not name.startswith(settings.queue_prefix) or not name.endswith(DLQ_SUFFIX):
        raise ValueError(
            f"{name} is not a dead-letter queue of this deployment ({settings.queue_prefix}*-dlq)"
        )
    sqs = client("sqs", settings)
    dlq_url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    source_url = sqs.get_queue_url(QueueName=name.removesuffix(DLQ_SUFFIX))["QueueUrl"]
    moved = 0
    while limit is None or moved < limit:
        wanted = RECEIVE_BATCH if limit is None else min(RECEIVE_BATCH, limit - moved)
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=wanted,
            VisibilityTimeout=REDRIVE_VISIBILITY_SECONDS,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    logger.info("dead letters redriven", extra={"queue": name, "moved": moved})
    return moved


def watch(settings: Settings | None = None) -> list[DeadLetterQueue]:
    """Count the deployment's dead letters into the metrics (flushed by the caller); returns the queues."""
    queues = dead_letter_queues(settings)
    waiting = [q for q in queues if q.messages or q.in_flight]
    total = sum(q.messages + q.in_flight for q in queues)
    # written even when zero (unlike `count`): the alarm needs a data point every period
    metrics.add_metric(name=BusinessMetric.DEAD_LETTER_MESSAGES.value, unit="Count", value=total)
    for queue in waiting:
        logger.warning(
            "dead letters waiting",
            extra={"queue": queue.name, "messages": queue.messages, "in_flight": queue.in_flight},
        )
    return queues


@bp.schedule(Rate(WATCH_MINUTES, unit=Rate.MINUTES), name="dead_letter_watch")
def dead_letter_watch(event: Any) -> None:
    with invocation("dead_letter_watch", getattr(event, "context", None), None):
        watch()
