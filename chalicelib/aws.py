"""Thin typed wrappers over the AWS services the app uses besides DynamoDB: SQS today.

Each connection has its own work queue (and a dead-letter queue behind it): the Web Connector session of
that connection is the only consumer, so one merchant's backlog never delays another's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.settings import Settings, get_settings


@lru_cache(maxsize=8)
def _client(service: str, endpoint: str | None, region: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=region)


def client(service: str, settings: Settings | None = None) -> Any:
    s = settings or get_settings()
    return _client(service, s.aws_endpoint_url, s.region)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class QueuedJob:
    body: dict[str, Any]
    receipt_handle: str
    receive_count: int


class WorkQueue:
    """The SQS queue that buffers QuickBooks work for one connection."""

    MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")

    def __init__(self, connection_id: str, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.name = f"{self.settings.queue_prefix}conn-{connection_id}"
        self.dlq_name = f"{self.name}-dlq"
        self._sqs = client("sqs", self.settings)
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = str(self._sqs.get_queue_url(QueueName=self.name)["QueueUrl"])
        return self._url

    def create(self) -> None:
        """Create the queue and its dead-letter queue (idempotent)."""
        dlq_url = self._sqs.create_queue(
            QueueName=self.dlq_name, Attributes={"MessageRetentionPeriod": "1209600"}
        )["QueueUrl"]
        dlq_arn = self._sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(self.settings.max_job_receives)}
        self._url = self._sqs.create_queue(
            QueueName=self.name,
            Attributes={
                "VisibilityTimeout": str(self.settings.job_visibility_seconds),
                "MessageRetentionPeriod": "1209600",
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]

    def delete(self) -> None:
        for name in (self.name, self.dlq_name):
            try:
                url = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
            except ClientError as exc:
                if error_code(exc) in self.MISSING:
                    continue
                raise
            self._sqs.delete_queue(QueueUrl=url)

    def send(self, body: dict[str, Any]) -> None:
        self._sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(body, sort_keys=True))

    def send_many(self, bodies: list[dict[str, Any]]) -> None:
        """Send jobs ten at a time (SQS's batch size); raises if any entry was refused."""
        for start in range(0, len(bodies), 10):
            chunk = bodies[start : start + 10]
            result = self._sqs.send_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "MessageBody": json.dumps(b, sort_keys=True)} for i, b in enumerate(chunk)
                ],
            )
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused {len(result['Failed'])} job(s): {result['Failed'][0]}")

    def take_many(self, limit: int) -> list[QueuedJob]:
        """Receive up to `limit` jobs (ten per call), hidden for the job visibility window."""
        jobs: list[QueuedJob] = []
        while len(jobs) < limit:
            messages = self._sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(10, limit - len(jobs)),
                VisibilityTimeout=self.settings.job_visibility_seconds,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not messages:
                break
            jobs.extend(
                QueuedJob(
                    body=json.loads(m["Body"]),
                    receipt_handle=m["ReceiptHandle"],
                    receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
                )
                for m in messages
            )
        return jobs

    def visible_count(self) -> int:
        attrs = self._sqs.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attrs.get("ApproximateNumberOfMessages", "0"))

    def take(self) -> QueuedJob | None:
        """Receive one job and hide it from other receivers for the job visibility window."""
        messages = self._sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=1,
            VisibilityTimeout=self.settings.job_visibility_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return None
        msg = messages[0]
        return QueuedJob(
            body=json.loads(msg["Body"]),
            receipt_handle=msg["ReceiptHandle"],
            receive_count=int(msg.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
        )

    def extend(self, receipt_handle: str) -> None:
        self._set_visibility(receipt_handle, self.settings.job_visibility_seconds)

    def release(self, receipt_handle: str, *, after_seconds: int = 0) -> None:
        """Make a job visible again now, or after a back-off (SQS allows up to 12 hours)."""
        self._set_visibility(receipt_handle, max(0, min(after_seconds, 43_200)))

    def done(self, receipt_handle: str) -> None:
        try:
            self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=receipt_handle)
        except ClientError as exc:
            if error_code(exc) != "ReceiptHandleIsInvalid":
                raise

    def _set_visibility(self, receipt_handle: str, seconds: int) -> None:
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
            )
        except ClientError as exc:
            # The handle is stale once the message was received again elsewhere: nothing to release.
            if error_code(exc) not in ("ReceiptHandleIsInvalid", "MessageNotInflight"):
                raise

    def dead_letter(self, body: dict[str, Any], receipt_handle: str) -> None:
        """Move a job that keeps failing to the dead-letter queue now (it stays there for inspection)."""
        url = self._sqs.get_queue_url(QueueName=self.dlq_name)["QueueUrl"]
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body, sort_keys=True))
        self.done(receipt_handle)

    def dead_letter_count(self) -> int:
        url = self._sqs.get_queue_url(QueueName=self.dlq_name)["QueueUrl"]
        attrs = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attrs["Attributes"].get("ApproximateNumberOfMessages", "0"))
