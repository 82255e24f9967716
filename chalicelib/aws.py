"""Thin typed wrappers over the AWS services the app uses besides DynamoDB: SQS, Scheduler, KMS.

Each connection has its own work queue (and a dead-letter queue behind it): the Web Connector session of
that connection is the only consumer, so one merchant's backlog never delays another's. Channel fetch work
has one queue of its own; each channel has one Scheduler schedule and its credentials sealed with the deployment's KMS key.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import botocore.session
from botocore.exceptions import ClientError

from chalicelib.settings import Settings, get_settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def botocore_session() -> botocore.session.Session:
    """The process's botocore session for SQS, KMS and Scheduler. Its loader (service descriptions, endpoints and
    retry rules, each parsed once per process) is shared with PynamoDB's sessions (`dal.models`): a second loader
    would parse them again, ~70 ms more on the first SQS call of a cold start."""
    return botocore.session.get_session()


@lru_cache(maxsize=8)
def _client(service: str, endpoint: str | None, region: str) -> Any:
    """A botocore client (boto3 adds nothing these calls use, and ~25 ms to every cold start: s3transfer and
    multiprocessing come with it)."""
    return botocore_session().create_client(service, region_name=region, endpoint_url=endpoint)


def client(service: str, settings: Settings | None = None) -> Any:
    s = settings or get_settings()
    return _client(service, s.aws_endpoint_url, s.region)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@lru_cache(maxsize=1024)
def _queue_url(endpoint: str | None, region: str, name: str) -> str:
    """A queue's URL, asked once per warm container (a URL never changes for a name: it is made of the account,
    the region and the name). A queue that does not exist raises, and nothing is kept."""
    return str(client_for(endpoint, region).get_queue_url(QueueName=name)["QueueUrl"])


def client_for(endpoint: str | None, region: str) -> Any:
    return _client("sqs", endpoint, region)


# Batch entries SQS may refuse for a handle that is no longer valid (the message was received again elsewhere or
# deleted): nothing to do for those.
STALE_HANDLE_CODES = ("ReceiptHandleIsInvalid", "MessageNotInflight", "InvalidParameterValue")
SQS_BATCH = 10


class QueuedJob(NamedTuple):
    """A message taken from a work queue: its body, the handle that deletes or returns it, how often it was taken."""

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
            self._url = _queue_url(self.settings.aws_endpoint_url, self.settings.region, self.name)
        return self._url

    def tags(self, tenant_id: str | None) -> dict[str, str]:
        """The tags of the connection's queues: created at run time, not by the stack, they say whose they are
        (cost allocation, and what `make destroy` and an operator can find by tag)."""
        tags = {
            "ledgerbridge:deployment": self.settings.queue_prefix.rstrip("-") or "local",
            "ledgerbridge:connection": self.name.rsplit("conn-", 1)[-1],
        }
        if tenant_id:
            tags["ledgerbridge:tenant"] = tenant_id
        return tags

    def create(self, tenant_id: str | None = None) -> None:
        """Create the queue and its dead-letter queue (idempotent), tagged with whose they are."""
        tags = self.tags(tenant_id)
        dlq_url = self._sqs.create_queue(
            QueueName=self.dlq_name, Attributes={"MessageRetentionPeriod": "1209600"}, tags=tags
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
            tags=tags,
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

    def send_many(self, bodies: list[dict[str, Any]], *, delay_seconds: int = 0) -> None:
        """Send jobs ten at a time (SQS's batch size), visible after `delay_seconds` (SQS allows up to 900);
        raises if any entry was refused."""
        delay = max(0, min(delay_seconds, 900))
        for start in range(0, len(bodies), 10):
            chunk = bodies[start : start + 10]
            if len(chunk) == 1:
                self._sqs.send_message(
                    QueueUrl=self.url, MessageBody=json.dumps(chunk[0], sort_keys=True), DelaySeconds=delay
                )
                continue
            result = self._sqs.send_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "MessageBody": json.dumps(b, sort_keys=True), "DelaySeconds": delay}
                    for i, b in enumerate(chunk)
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

    def done_many(self, receipt_handles: list[str]) -> None:
        """Delete jobs ten per call (DeleteMessageBatch); stale handles are skipped."""
        unique = list(dict.fromkeys(receipt_handles))
        for start in range(0, len(unique), SQS_BATCH):
            chunk = unique[start : start + SQS_BATCH]
            if len(chunk) == 1:
                self.done(chunk[0])
                continue
            result = self._sqs.delete_message_batch(
                QueueUrl=self.url, Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]
            )
            _check_batch(result, "delete")

    def set_visibility_many(self, receipt_handles: list[str], seconds: int) -> None:
        """Change the visibility of jobs ten per call (ChangeMessageVisibilityBatch); stale handles are skipped."""
        unique = list(dict.fromkeys(receipt_handles))
        seconds = max(0, min(seconds, 43_200))
        for start in range(0, len(unique), SQS_BATCH):
            chunk = unique[start : start + SQS_BATCH]
            if len(chunk) == 1:
                self._set_visibility(chunk[0], seconds)
                continue
            result = self._sqs.change_message_visibility_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": seconds}
                    for i, h in enumerate(chunk)
                ],
            )
            _check_batch(result, "change the visibility of")

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

    def dead_letter(self, body: dict[str, Any], receipt_handle: str | None = None) -> None:
        """Put work that keeps failing on the dead-letter queue now (it stays there for inspection), and delete
        the message it came in, when given."""
        url = _queue_url(self.settings.aws_endpoint_url, self.settings.region, self.dlq_name)
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body, sort_keys=True))
        if receipt_handle is not None:
            self.done(receipt_handle)

    def dead_letter_count(self) -> int:
        url = self._sqs.get_queue_url(QueueName=self.dlq_name)["QueueUrl"]
        attrs = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attrs["Attributes"].get("ApproximateNumberOfMessages", "0"))


def _check_batch(result: dict[str, Any], what: str) -> None:
    refused = [f for f in result.get("Failed", []) if f.get("Code") not in STALE_HANDLE_CODES]
    if refused:
        raise RuntimeError(f"SQS refused to {what} {len(refused)} job(s): {refused[0]}")


class ChannelWorkQueue:
    """A shared SQS queue of per-channel work whose consumer is a Lambda in AWS and the local runner on
    the embedded stack."""

    SUFFIX = ""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.name = self.queue_name(self.settings)
        self._sqs = client("sqs", self.settings)
        self._url: str | None = None

    @classmethod
    def queue_name(cls, settings: Settings | None = None) -> str:
        return f"{(settings or get_settings()).queue_prefix}{cls.SUFFIX}"

    def create(self) -> None:
        self._sqs.create_queue(
            QueueName=self.name, Attributes={"VisibilityTimeout": "960", "MessageRetentionPeriod": "345600"}
        )

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = str(self._sqs.get_queue_url(QueueName=self.name)["QueueUrl"])
        return self._url

    def send(self, body: dict[str, Any], *, delay_seconds: int = 0) -> None:
        self._sqs.send_message(
            QueueUrl=self.url,
            MessageBody=json.dumps(body, sort_keys=True),
            DelaySeconds=min(delay_seconds, 900),
        )

    def take(self) -> QueuedJob | None:
        messages = self._sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=1,
            VisibilityTimeout=960,
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

    def done(self, receipt_handle: str) -> None:
        self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=receipt_handle)

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        self._sqs.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )


class FetchQueue(ChannelWorkQueue):
    """Channel fetch work: manual resyncs and their continuations."""

    SUFFIX = "channel-fetch"


class StorePushQueue(ChannelWorkQueue):
    """Work for the stores after a Web Connector session: quantities to push to a store, QuickBooks sales
    to send to ShipStation ({"channel_id", "what": "inventory" | "sales"})."""

    SUFFIX = "store-push"


class CredentialsKey:
    """The deployment's KMS key, used only for envelope encryption: it makes a data key per write of a channel's
    credentials (GenerateDataKey) and unwraps it on read (Decrypt). The key is the template's (or the
    KmsKeyId parameter's), named by LEDGERBRIDGE_KMS_KEY_ID; without one (the local stack and tests) it is the
    key under the alias `alias/<prefix>channel-credentials`, which `create` makes on moto.

    Every call carries an encryption context (the deployment's prefix and the channel): a data key wrapped for
    one channel cannot be unwrapped for another, and the role may use the key only with its own prefix."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._kms = client("kms", self.settings)

    @property
    def alias(self) -> str:
        return f"alias/{self.settings.queue_prefix}channel-credentials"

    @property
    def key_id(self) -> str:
        return self.settings.kms_key_id or self.alias

    def context(self, channel_id: str) -> dict[str, str]:
        return {"deployment": self.settings.queue_prefix, "channel": channel_id}

    def new_data_key(self, channel_id: str) -> tuple[bytes, bytes]:
        """(plain AES-256 key, the same key wrapped by KMS): the plain key only for the caller's encryption."""
        made = self._kms.generate_data_key(
            KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=self.context(channel_id)
        )
        return bytes(made["Plaintext"]), bytes(made["CiphertextBlob"])

    def data_key(self, channel_id: str, wrapped: bytes) -> bytes:
        opened = self._kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=self.context(channel_id))
        return bytes(opened["Plaintext"])

    def create(self) -> None:
        """The local stack's key and alias (CloudFormation declares the deployed one). Idempotent."""
        try:
            self._kms.describe_key(KeyId=self.alias)
            return
        except ClientError as exc:
            if error_code(exc) != "NotFoundException":
                raise
        key = self._kms.create_key(Description="Ledgerbridge channel credentials (local)")["KeyMetadata"]
        self._kms.create_alias(AliasName=self.alias, TargetKeyId=key["KeyId"])


class ChannelSecrets:
    """A channel's store credentials, sealed with envelope encryption and kept in DynamoDB (the
    `channel_credentials` table): each put makes a new AES-256 data key with KMS GenerateDataKey, encrypts
    the credentials with AES-256-GCM (a random 96-bit nonce; the deployment and the channel as associated
    data, so a ciphertext moved to another channel does not open), and stores the wrapped key, nonce and
    ciphertext. A get costs one DynamoDB read and one KMS Decrypt. Never logged, never returned.

    The plain data key is not cached: a Decrypt per read costs $0.03 per 10,000 (a channel fetched every
    15 minutes: under $0.01 a month), while a cache would keep key material in a warm container beyond the
    call that needs it and would let a container go on reading credentials after the key is disabled.

    Channels made before (one Secrets Manager secret each, `<prefix>channel/<id>`) are migrated on their
    first read: the secret is read once, sealed the new way, and deleted. `delete` removes both forms."""

    MISSING = ("ResourceNotFoundException",)
    MAX_BYTES = 4096  # the credentials as JSON: a few API keys and URLs, far below DynamoDB's 400 KB item

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.key = CredentialsKey(self.settings)
        self._sm = client("secretsmanager", self.settings)

    def name(self, channel_id: str) -> str:
        """The Secrets Manager secret a channel had before envelope encryption (read once, then deleted)."""
        return f"{self.settings.queue_prefix}channel/{channel_id}"

    def _associated(self, channel_id: str) -> bytes:
        return f"{self.settings.queue_prefix}channel/{channel_id}".encode()

    def put(self, channel_id: str, tenant_id: str, values: dict[str, str]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        from chalicelib.dal import channel_credentials

        body = json.dumps(values, sort_keys=True).encode()
        if len(body) > self.MAX_BYTES:
            raise ValueError(f"store credentials over {self.MAX_BYTES} bytes")
        plain_key, wrapped = self.key.new_data_key(channel_id)
        nonce = os.urandom(12)
        ciphertext = AESGCM(plain_key).encrypt(nonce, body, self._associated(channel_id))
        channel_credentials.save(
            channel_id,
            channel_credentials.SealedCredentials(
                tenant_id=tenant_id, wrapped_key=wrapped, nonce=nonce, ciphertext=ciphertext
            ),
        )

    def get(self, channel_id: str) -> dict[str, str]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        from chalicelib.dal import channel_credentials

        sealed = channel_credentials.load(channel_id)
        if sealed is None:
            return self._migrate(channel_id)
        plain_key = self.key.data_key(channel_id, sealed.wrapped_key)
        body = AESGCM(plain_key).decrypt(sealed.nonce, sealed.ciphertext, self._associated(channel_id))
        values: dict[str, str] = json.loads(body)
        return values

    def delete(self, channel_id: str) -> None:
        from chalicelib.dal import channel_credentials

        channel_credentials.delete(channel_id)
        self._delete_legacy(channel_id)  # a secret a failed migration left behind

    def _migrate(self, channel_id: str) -> dict[str, str]:
        """A channel's credentials still in Secrets Manager: read once, sealed into DynamoDB, secret deleted.
        Nothing in either place: {}."""
        from chalicelib.dal import channels

        try:
            raw = self._sm.get_secret_value(SecretId=self.name(channel_id))["SecretString"]
        except ClientError as exc:
            if error_code(exc) in self.MISSING:
                return {}
            raise
        values: dict[str, str] = json.loads(raw)
        channel = channels.get(channel_id)
        if channel is None:  # nothing to attach them to: read, not rewritten
            return values
        self.put(channel_id, channel.tenant_id, values)
        try:
            self._delete_legacy(channel_id)
        except ClientError:  # sealed already; the channel's deletion removes the secret
            logger.warning("legacy channel secret not deleted", extra={"channel_id": channel_id})
        return values

    def _delete_legacy(self, channel_id: str) -> None:
        try:
            self._sm.delete_secret(SecretId=self.name(channel_id), ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if error_code(exc) not in self.MISSING:
                raise


class Schedule(NamedTuple):
    """A channel's task as EventBridge Scheduler has it (the truth about state and rate)."""

    name: str
    channel_id: str
    state: str  # ENABLED | DISABLED
    every_minutes: int
    start: datetime

    def next_run(self, now: datetime) -> datetime | None:
        """When Scheduler fires next (None when paused)."""
        return self.following(now) if self.state == "ENABLED" else None

    def following(self, now: datetime) -> datetime:
        """The first firing after `now`: rate schedules fire at start + k * rate."""
        latest = self.latest(now)
        return self.start if latest is None else latest + timedelta(minutes=self.every_minutes)

    def latest(self, now: datetime) -> datetime | None:
        """The last firing at or before `now` (None before the start), whatever the state."""
        if now < self.start:
            return None
        period = timedelta(minutes=self.every_minutes)
        return self.start + ((now - self.start) // period) * period


def rate_expression(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"rate({hours} hour{'s' if hours > 1 else ''})"
    return f"rate({minutes} minute{'s' if minutes > 1 else ''})"


def _minutes(expression: str) -> int:
    number, unit = expression.removeprefix("rate(").removesuffix(")").split()
    return int(number) * (60 if unit.startswith("hour") else 1440 if unit.startswith("day") else 1)


class ChannelSchedules:
    """One EventBridge Scheduler schedule per channel in the deployment's group; each fires the fetch
    Lambda with {"channel_id": ...}."""

    MISSING = ("ResourceNotFoundException",)

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._scheduler = client("scheduler", self.settings)

    @property
    def group(self) -> str:
        return self.settings.schedule_group

    def name(self, channel_id: str) -> str:
        return f"channel-{channel_id}"

    def create_group(self) -> None:
        try:
            self._scheduler.create_schedule_group(Name=self.group)
        except ClientError as exc:
            if error_code(exc) != "ConflictException":
                raise

    def put(
        self, channel_id: str, every_minutes: int, *, enabled: bool = True, start: datetime | None = None
    ) -> None:
        """Create or replace the channel's schedule (Scheduler's update is a full replace)."""
        request = {
            "Name": self.name(channel_id),
            "GroupName": self.group,
            "ScheduleExpression": rate_expression(every_minutes),
            "StartDate": (start or datetime.now(UTC)).replace(microsecond=0),
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED" if enabled else "DISABLED",
            "Description": f"Ledgerbridge: fetch orders of channel {channel_id}",
            "Target": {
                "Arn": self.settings.fetch_function_arn,
                "RoleArn": self.settings.scheduler_role_arn,
                "Input": json.dumps({"channel_id": channel_id}),
                "RetryPolicy": {"MaximumRetryAttempts": 0},
            },
        }
        try:
            self._scheduler.update_schedule(**request)
        except ClientError as exc:
            if error_code(exc) not in self.MISSING:
                raise
            self._scheduler.create_schedule(**request)

    def get(self, channel_id: str) -> Schedule | None:
        try:
            raw = self._scheduler.get_schedule(Name=self.name(channel_id), GroupName=self.group)
        except ClientError as exc:
            if error_code(exc) in self.MISSING:
                return None
            raise
        return self._schedule(raw)

    def set_state(self, channel_id: str, enabled: bool) -> Schedule | None:
        """Pause or resume, keeping the schedule's cadence (Scheduler refuses a StartDate more than five
        minutes in the past, so the replacement starts at the next firing of the old one)."""
        current = self.get(channel_id)
        if current is None:
            return None
        self.put(
            channel_id, current.every_minutes, enabled=enabled, start=current.following(datetime.now(UTC))
        )
        return self.get(channel_id)

    def delete(self, channel_id: str) -> None:
        try:
            self._scheduler.delete_schedule(Name=self.name(channel_id), GroupName=self.group)
        except ClientError as exc:
            if error_code(exc) not in self.MISSING:
                raise

    def all(self) -> list[Schedule]:
        """Every channel schedule of the deployment (the local runner's view)."""
        found = []
        token = None
        while True:
            page = self._scheduler.list_schedules(
                GroupName=self.group, **({"NextToken": token} if token else {})
            )
            for summary in page.get("Schedules", []):
                schedule = self.get(summary["Name"].removeprefix("channel-"))
                if schedule is not None:
                    found.append(schedule)
            token = page.get("NextToken")
            if not token:
                return found

    def _schedule(self, raw: dict[str, Any]) -> Schedule:
        target = json.loads(raw.get("Target", {}).get("Input") or "{}")
        start = raw.get("StartDate") or raw.get("CreationDate") or datetime.now(UTC)
        return Schedule(
            name=raw["Name"],
            channel_id=str(target.get("channel_id", raw["Name"].removeprefix("channel-"))),
            state=raw.get("State", "ENABLED"),
            every_minutes=_minutes(raw["ScheduleExpression"]),
            start=start if start.tzinfo else start.replace(tzinfo=UTC),
        )


def provision_shared(settings: Settings | None = None) -> None:
    """Resources every deployment has besides tables (CloudFormation makes them in AWS; the local stack and
    tests call this): the fetch and store push queues, the schedule group and the credentials' KMS key."""
    FetchQueue(settings).create()
    StorePushQueue(settings).create()
    ChannelSchedules(settings).create_group()
    CredentialsKey(settings).create()
