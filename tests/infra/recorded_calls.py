"""AWS calls recorded in tests: chalicelib.aws's wrappers run against a recording client (`_record`), and each
recorded call turned into what IAM must allow for it (`_needs`), dependent actions included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

import chalicelib.aws
from chalicelib.aws import (
    ChannelSchedules,
    ChannelSecrets,
    FetchQueue,
    StorePushQueue,
)
from chalicelib.settings import Settings
from tests.infra.template_reading import STACK_KEY

# --- recording AWS clients -------------------------------------------------------------------------

Call = tuple[str, str, dict[str, Any]]  # (service, client method, keyword arguments)


class _Recorder:
    """Stands in for a botocore client: records each call, answers just enough for chalicelib.aws. A method
    named in `missing` fails once with ResourceNotFoundException (the update-else-create paths)."""

    def __init__(self, service: str, calls: list[Call], missing: set[str]) -> None:
        self.service, self.calls, self.missing = service, calls, missing

    def __getattr__(self, method: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            self.calls.append((self.service, method, kwargs))
            if method in self.missing:
                self.missing.discard(method)
                raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, method)
            return self._answer(method, kwargs)

        return call

    @staticmethod
    def _answer(method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        if method in ("create_queue", "get_queue_url"):
            return {"QueueUrl": f"https://sqs.us-east-1.amazonaws.com/123456789012/{kwargs['QueueName']}"}
        if method == "get_queue_attributes":
            return {
                "Attributes": {
                    "QueueArn": "arn:aws:sqs:us-east-1:123456789012:q",
                    "ApproximateNumberOfMessages": "0",
                }
            }
        if method == "receive_message":
            return {
                "Messages": [
                    {"Body": "{}", "ReceiptHandle": "h", "Attributes": {"ApproximateReceiveCount": "1"}}
                ]
            }
        if method == "get_schedule":
            return {
                "Name": kwargs["Name"],
                "State": "ENABLED",
                "ScheduleExpression": "rate(15 minutes)",
                "StartDate": datetime(2024, 1, 1, tzinfo=UTC),
                "Target": {"Input": json.dumps({"channel_id": kwargs["Name"].removeprefix("channel-")})},
            }
        if method == "list_schedules":
            return {"Schedules": [{"Name": "channel-chn_1"}]}
        if method == "get_secret_value":
            return {"SecretString": '{"api_key": "old"}'}
        if method == "generate_data_key":
            return {"Plaintext": _DATA_KEY, "CiphertextBlob": b"wrapped:" + _DATA_KEY}
        if method == "decrypt":
            return {"Plaintext": _DATA_KEY}
        return {}


_DATA_KEY = bytes(range(32))


@contextmanager
def _credentials_in_memory(tenant_id: str = "ten_1") -> Iterator[dict[str, Any]]:
    """The channel_credentials table and the channel lookup of the migration, in memory (the recorded calls
    are the AWS ones; DynamoDB's are checked by the Tables statement tests)."""
    from chalicelib.dal import channel_credentials, channels

    items: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(channel_credentials, "save", items.__setitem__)
        patch.setattr(channel_credentials, "load", items.get)
        patch.setattr(channel_credentials, "delete", lambda channel_id: items.pop(channel_id, None))
        patch.setattr(channels, "get", lambda channel_id: SimpleNamespace(tenant_id=tenant_id))
        yield items


def _record(monkeypatch: pytest.MonkeyPatch, *missing: str) -> list[Call]:
    """Make chalicelib.aws build recording clients (one call log for every service); returns the log."""
    calls: list[Call] = []
    pending = set(missing)
    monkeypatch.setattr(
        chalicelib.aws, "client", lambda service, settings=None: _Recorder(service, calls, pending)
    )
    return calls


_API_NAMES: dict[str, dict[str, str]] = {}


def _iam_action(service: str, method: str) -> str:
    """`scheduler`, `create_schedule` -> `scheduler:CreateSchedule` (the IAM action is the API name)."""
    if service not in _API_NAMES:
        names = botocore.session.get_session().get_service_model(service).operation_names
        _API_NAMES[service] = {xform_name(name): name for name in names}
    return f"{service}:{_API_NAMES[service][method]}"


Need = tuple[str, str, dict[str, str]]  # (IAM action, resource ARN, the request's condition keys)


def _needs(call: Call, settings: Settings) -> list[Need]:
    """What IAM must allow for one recorded call: (action, resource ARN, condition keys), including the
    actions IAM checks besides the call's own (its dependent actions)."""
    service, method, kwargs = call
    head = f"arn:aws:{service}:{settings.region}:123456789012:"
    action = _iam_action(service, method)
    if service == "sqs":
        name = kwargs.get("QueueName") or str(kwargs.get("QueueUrl", "")).rsplit("/", 1)[-1]
        return [(action, head + name if name else "*", {})]
    if service == "scheduler":
        if method == "list_schedules":
            return [(action, "*", {})]
        if method.endswith("schedule_group"):
            return [(action, f"{head}schedule-group/{kwargs['Name']}", {})]
        needs: list[Need] = [(action, f"{head}schedule/{kwargs['GroupName']}/{kwargs['Name']}", {})]
        if method in ("create_schedule", "update_schedule"):  # the target's role is passed to Scheduler
            needs.append(
                (
                    "iam:PassRole",
                    kwargs["Target"]["RoleArn"],
                    {"iam:PassedToService": "scheduler.amazonaws.com"},
                )
            )
        return needs
    if service == "kms":  # KMS checks the key the data key was wrapped by (the settings' key) and the context
        context = {f"kms:EncryptionContext:{k}": v for k, v in kwargs.get("EncryptionContext", {}).items()}
        key = str(kwargs.get("KeyId") or kwargs.get("TargetKeyId") or settings.kms_key_id)
        return [(action, key if key.startswith("arn:") else head + key, context)]
    assert service == "secretsmanager", service
    arn = f"{head}secret:{kwargs.get('SecretId') or kwargs['Name']}-AbCdEf"  # Secrets Manager adds a suffix
    needs = [(action, arn, {})]
    if kwargs.get("Tags"):  # CreateSecret with tags also needs TagResource
        needs.append(("secretsmanager:TagResource", arn, {}))
    if settings.kms_key_id not in (
        None,
        STACK_KEY,
    ):  # old secrets: Secrets Manager used the key for the caller
        key_actions = {
            "create_secret": ["kms:GenerateDataKey", "kms:Decrypt"],
            "put_secret_value": ["kms:GenerateDataKey"],
            "get_secret_value": ["kms:Decrypt"],
        }.get(method, [])
        via = {"kms:ViaService": f"secretsmanager.{settings.region}.amazonaws.com"}
        needs += [(key_action, settings.kms_key_id, via) for key_action in key_actions]
    return needs


def _exercise_channel_wrappers(settings: Settings) -> None:
    """Everything the deployed functions do through chalicelib.aws for channels (the API: channel
    create/update/delete, tasks, the store push nudges; the fetch and store push functions: credentials,
    the fetch queue). `take`/`done` are the local runner's, but need what the fetch_queue and store_push
    event source mappings need in AWS anyway."""
    schedules = ChannelSchedules(settings)
    schedules.put("chn_new", 15)  # update_schedule fails (missing): create_schedule
    schedules.put("chn_1", 60, enabled=False, start=datetime(2024, 1, 1, tzinfo=UTC))
    assert schedules.get("chn_1") is not None
    schedules.set_state("chn_1", enabled=True)
    schedules.delete("chn_1")
    secrets = ChannelSecrets(settings)
    with _credentials_in_memory() as sealed:
        secrets.put("chn_new", "ten_1", {"api_key": "k"})  # generate_data_key
        secrets.put("chn_1", "ten_1", {"api_key": "k"})
        assert secrets.get("chn_1") == {"api_key": "k"}  # decrypt
        assert secrets.get("chn_old") == {"api_key": "old"}  # migrated: get_secret_value, delete_secret
        assert set(sealed) == {"chn_new", "chn_1", "chn_old"}
        secrets.delete("chn_1")  # and the secret a failed migration may have left
        assert set(sealed) == {"chn_new", "chn_old"}
    queue = FetchQueue(settings)
    queue.send({"channel_id": "chn_1", "run_id": "run_1"}, delay_seconds=60)
    job = queue.take()
    assert job is not None
    queue.done(job.receipt_handle)
    pushes = StorePushQueue(settings)  # the Web Connector endpoint nudges; the store_push mapping consumes
    pushes.send({"channel_id": "chn_1", "what": "inventory"})
    pushes.send({"channel_id": "chn_1", "what": "sales"})
    job = pushes.take()
    assert job is not None
    pushes.done(job.receipt_handle)
