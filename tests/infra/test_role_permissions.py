"""The roles allow exactly what the app does, on the names the app uses: chalicelib.aws's wrappers run against a
recording client with the settings a deployed Lambda computes from the merged template's environment, and each
call (with the IAM actions it depends on) must be allowed by the role's resolved policy, on this deployment's
resources only; the DynamoDB calls of the store push consumer's repositories are recorded against the embedded
AWS and checked the same way; every action the roles name exists."""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cfnlint.helpers import load_resource  # type: ignore[import-untyped]

from chalicelib.aws import (
    ChannelSchedules,
    ChannelSecrets,
    FetchQueue,
    StorePushQueue,
    WorkQueue,
    provision_shared,
)
from chalicelib.dal.models import (
    ALL_MODELS,
    OutboundSaleModel,
    StockLevelModel,
)
from chalicelib.settings import Settings
from tests.infra.recorded_calls import (
    Call,
    _credentials_in_memory,
    _exercise_channel_wrappers,
    _iam_action,
    _needs,
    _record,
)
from tests.infra.template_reading import (
    CONSUMERS,
    FETCH_FUNCTION,
    KMS_KEY,
    PSEUDO,
    ROLE,
    SCHEDULER_ROLE,
    SQS_EVENT_SOURCE_ACTIONS,
    STACK_KEY,
    _actions,
    _allowing,
    _arns,
    _deployed_settings,
    _function_named,
    _iam_match,
    _keys,
    _resources,
    _statements,
    _table_for,
    _variables,
)


def test_role_covers_every_table_and_index(infra: dict[str, Any]) -> None:
    resources = _statements(infra)["Tables"]["Resource"]
    for model in ALL_MODELS:
        logical = next(
            name
            for name, t in _resources(infra, "AWS::DynamoDB::Table").items()
            if t["Properties"]["TableName"] == {"Fn::Sub": "${ResourcePrefix}" + model.Meta.short_name}
        )
        assert {"Fn::GetAtt": [logical, "Arn"]} in resources
        index_arn = {"Fn::Sub": "${" + logical + ".Arn}/index/*"}
        assert (index_arn in resources) == bool(model._get_schema()["global_secondary_indexes"]), logical
    assert all(isinstance(r, dict) for r in resources), "table access must not be granted on wildcards"


@pytest.mark.parametrize("model", [StockLevelModel, OutboundSaleModel], ids=lambda m: m.Meta.short_name)
def test_pending_indexes_are_sparse_and_granted(
    merged: dict[str, Any], deployed_settings: Settings, model: Any
) -> None:
    """The store push consumer reads its work from the `pending` index: declared on the table (only items
    with `pending_at` are in it, so the key attribute must stay optional in the model), and the role may
    query it in this deployment only."""
    table = _table_for(merged, model.Meta.short_name)
    (index,) = [g for g in table.get("GlobalSecondaryIndexes", []) if g["IndexName"] == "pending"]
    assert _keys(index["KeySchema"]) == {("channel_id", "HASH"), ("pending_at", "RANGE")}
    assert index["Projection"] == {"ProjectionType": "ALL"}
    assert model.pending_at.null, "pending_at must be optional, or every item would be in the index"
    assert "TimeToLiveSpecification" not in table  # pending work and push history are not expired
    statements, variables = _statements(merged), _variables(merged)
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/"
    name = deployed_settings.table_name(model.Meta.short_name)
    assert _allowing(statements, variables, "dynamodb:Query", f"{arn}{name}/index/pending") == ["Tables"]
    other = name.replace("-prod-", "-staging-")
    assert not _allowing(statements, variables, "dynamodb:Query", f"{arn}{other}/index/pending")


def _dynamodb_needs(
    operation: str, kwargs: dict[str, Any], deployed: dict[str, str]
) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) for one PynamoDB request, with the deployed table names."""
    head = "arn:aws:dynamodb:us-east-1:123456789012:table/"
    tables = list(kwargs.get("RequestItems", {})) or [kwargs["TableName"]]
    index = f"/index/{kwargs['IndexName']}" if "IndexName" in kwargs else ""
    return [(f"dynamodb:{operation}", head + deployed[table] + index) for table in tables]


def test_role_allows_every_stock_level_and_outbound_sale_call(
    aws: str, merged: dict[str, Any], deployed_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repositories of the new tables, run against the embedded AWS with every DynamoDB request
    recorded: the Web Connector session writes levels and sales, fetch_channel records shipments, the
    store push consumer reads the `pending` indexes and settles. Each request must be allowed on the
    deployed table (or index) by the role."""
    from pynamodb.connection.base import Connection

    from chalicelib.dal import outbound_sales, stock_levels

    calls: list[tuple[str, dict[str, Any]]] = []
    dispatch = Connection.dispatch

    def recording(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
        calls.append((operation_name, copy.deepcopy(operation_kwargs)))
        return dispatch(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", recording)
    channel = f"chn_{uuid.uuid4().hex[:12]}"
    at = datetime(2024, 1, 1, tzinfo=UTC)

    level = stock_levels.StockLevel(
        channel, "80000001-1", "ten_1", "SKU-1", "Widget", 5, stock_levels.PENDING
    )
    assert stock_levels.put_pending([level], at) == 1
    assert set(stock_levels.get_many(channel, ["80000001-1"])) == {"80000001-1"}
    assert [lv.item_list_id for lv in stock_levels.pending(channel, 10)] == ["80000001-1"]

    def settle() -> bool:
        return stock_levels.settle(
            channel, "80000001-1", quantity_read=5, status=stock_levels.PUSHED, at=at, pushed=True
        )

    assert settle()
    assert not settle()  # settled already: the condition fails
    assert stock_levels.list_levels("ten_1", channel, status=None, limit=10, after=None)[0]
    assert stock_levels.status_counts(channel) == {stock_levels.PUSHED: 1}

    sale = outbound_sales.OutboundSale(
        channel_id=channel,
        txn_id="1A-1",
        tenant_id="ten_1",
        kind="invoice",
        ref_number="1001",
        edit_sequence="111",
        status=outbound_sales.PENDING,
        digest="d1",
        updated_at=at,
        pending_at=outbound_sales.PUSH + at.isoformat(),
    )
    assert outbound_sales.put_many([sale]) == 1
    assert set(outbound_sales.get_many(channel, ["1A-1"])) == {"1A-1"}
    assert [s.txn_id for s in outbound_sales.pending(channel, outbound_sales.PUSH, 10)] == ["1A-1"]
    assert outbound_sales.settle_push(channel, "1A-1", digest="d1", at=at, order_id=7)
    later = at + timedelta(hours=1)
    assert outbound_sales.record_shipment(channel, "1A-1", {"tracking": "1Z"}, later)
    assert [s.txn_id for s in outbound_sales.pending(channel, outbound_sales.TRACK, 10)] == ["1A-1"]
    outbound_sales.record_reread(channel, "1A-1", "112", ["L1"], None)
    assert outbound_sales.settle_tracking(channel, "1A-1", at=later, edit_sequence="113")
    assert not outbound_sales.settle_tracking(channel, "1A-1", at=later)  # written already
    assert outbound_sales.get(channel, "1A-1") is not None
    assert outbound_sales.list_sales("ten_1", channel, status=None, limit=10, after=None)[0]

    operations = {operation for operation, _ in calls}
    assert operations >= {"BatchWriteItem", "BatchGetItem", "Query", "UpdateItem", "GetItem"}, operations
    assert {kw.get("IndexName") for op, kw in calls if op == "Query"} >= {"pending", None}
    deployed = {m.Meta.table_name: deployed_settings.table_name(m.Meta.short_name) for m in ALL_MODELS}
    statements, variables = _statements(merged), _variables(merged)
    for operation, kwargs in calls:
        for action, arn in _dynamodb_needs(operation, kwargs, deployed):
            assert _allowing(statements, variables, action, arn) == ["Tables"], f"{action} on {arn}"


# --- (d) the role's SQS scope matches WorkQueue -----------------------------------------------------


def _queue_arn_pattern(template: dict[str, Any], prefix: str) -> str:
    (pattern,) = _arns(_statements(template)["ConnectionWorkQueues"], {**PSEUDO, "ResourcePrefix": prefix})
    return pattern


def test_queue_pattern_matches_work_queue_names(infra: dict[str, Any], prod_settings) -> None:
    prefix = infra["Parameters"]["ResourcePrefix"]["Default"]
    pattern = _queue_arn_pattern(infra, prefix)
    arn = "arn:aws:sqs:us-east-1:123456789012:"
    queue = WorkQueue("con_0123456789abcdef", prod_settings)
    assert queue.name.startswith(prefix)
    assert _iam_match(pattern, arn + queue.name)
    assert _iam_match(pattern, arn + queue.dlq_name)
    # ...and nothing beyond this deployment's connection queues (the shared queues have their own statements).
    assert not _iam_match(pattern, arn + queue.name.replace("prod", "staging"))
    assert not _iam_match(pattern, arn + prefix + "other-queue")
    for shared in (FetchQueue, StorePushQueue):
        assert not _iam_match(pattern, arn + shared.queue_name(prod_settings)), shared.__name__
    assert not _iam_match(pattern, "arn:aws:sqs:us-east-1:999999999999:" + queue.name)


def test_queue_actions_cover_what_work_queue_calls(
    infra: dict[str, Any], prod_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _record(monkeypatch)
    queue = WorkQueue("con_0123456789abcdef", prod_settings)
    queue.create()
    queue.send({"job": 1})
    queue.visible_count()
    job = queue.take()
    assert job is not None
    queue.extend(job.receipt_handle)
    queue.release(job.receipt_handle)
    queue.done(job.receipt_handle)
    queue.dead_letter_count()
    queue.delete()

    used = {_iam_action(service, method) for service, method, _ in calls}
    assert used >= {"sqs:CreateQueue", "sqs:ReceiveMessage", "sqs:DeleteQueue"}  # the recorder saw real calls
    assert used <= _actions(_statements(infra)["ConnectionWorkQueues"])
    pattern = _queue_arn_pattern(infra, prod_settings.queue_prefix)
    for _, _, kwargs in calls:
        if "QueueName" in kwargs:
            assert _iam_match(pattern, "arn:aws:sqs:us-east-1:123456789012:" + kwargs["QueueName"])


# --- (e) channels: schedules, secrets, the fetch queue ---------------------------------------------


def test_deployed_names_are_the_declared_resources(
    merged: dict[str, Any], chalice_app: Any, deployed_settings: Settings, prod_settings: Settings
) -> None:
    """The environment the template gives the functions names the resources the template declares."""
    variables = _variables(merged)
    (group,) = _resources(merged, "AWS::Scheduler::ScheduleGroup")
    (fetch_queue,) = (
        q
        for q in _resources(merged, "AWS::SQS::Queue")
        if variables[f"{q}.QueueName"].endswith("channel-fetch")
    )
    (push_queue,) = (
        q for q in _resources(merged, "AWS::SQS::Queue") if variables[f"{q}.QueueName"].endswith("store-push")
    )
    fetch_function, _ = _function_named(merged, chalice_app, FETCH_FUNCTION)
    assert deployed_settings.schedule_group == variables[group] == "ledgerbridge-prod-channels"
    assert prod_settings.schedule_group == variables[group]  # ...which is also the app's default
    assert deployed_settings.fetch_function_arn == variables[f"{fetch_function}.Arn"]
    assert deployed_settings.scheduler_role_arn == variables[f"{SCHEDULER_ROLE}.Arn"]
    assert FetchQueue.queue_name(deployed_settings) == variables[f"{fetch_queue}.QueueName"]
    assert StorePushQueue.queue_name(deployed_settings) == variables[f"{push_queue}.QueueName"]
    assert deployed_settings.kms_key_id == STACK_KEY  # KmsKeyId empty: the stack's ChannelCredentialsKey
    assert deployed_settings.table_prefix == merged["Parameters"]["ResourcePrefix"]["Default"]


def test_role_allows_every_channel_call_and_nothing_more(
    merged: dict[str, Any], deployed_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _record(monkeypatch, "update_schedule")
    _exercise_channel_wrappers(deployed_settings)
    statements = _statements(merged)
    variables = _variables(merged)
    used: dict[str, set[str]] = {}  # Sid -> actions the calls needed from it
    for call in calls:
        for action, arn, context in _needs(call, deployed_settings):
            sids = _allowing(statements, variables, action, arn, context)
            assert sids, f"{call[1]} needs {action} on {arn} {context}: not allowed"
            for sid in sids:
                used.setdefault(sid, set()).add(action)
    seen = {_iam_action(service, method) for service, method, _ in calls}
    assert seen >= {
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:GetSchedule",
        "scheduler:DeleteSchedule",
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DeleteSecret",
        "sqs:GetQueueUrl",
        "sqs:SendMessage",
    }, "the recorder missed calls"
    # Least privilege: each channel statement grants only what the calls need (each shared queue's also what
    # the SQS event source mapping of its consumer function does with the role).
    for sid in ("ChannelSchedules", "PassSchedulerRole", "ChannelSecrets", "ChannelCredentialsKey"):
        assert _actions(statements[sid]) == used[sid], sid
    for _, sid in CONSUMERS.values():
        assert _actions(statements[sid]) == used[sid] | SQS_EVENT_SOURCE_ACTIONS, sid
    # No other deployment's schedules, secrets or queues.
    for action, arn in [
        (
            "scheduler:DeleteSchedule",
            "scheduler:us-east-1:123456789012:schedule/other-channels/channel-chn_1",
        ),
        ("scheduler:DeleteSchedule", "scheduler:us-east-1:123456789012:schedule/default/channel-chn_1"),
        (
            "secretsmanager:GetSecretValue",
            "secretsmanager:us-east-1:123456789012:secret:other-channel/c-AbCdEf",
        ),
        (
            "secretsmanager:GetSecretValue",
            "secretsmanager:us-east-1:123456789012:secret:ledgerbridge-prod-x-Ab",
        ),
        ("sqs:ReceiveMessage", "sqs:us-east-1:123456789012:ledgerbridge-staging-channel-fetch"),
        ("sqs:SendMessage", "sqs:us-east-1:123456789012:ledgerbridge-staging-store-push"),
        ("sqs:ReceiveMessage", "sqs:us-east-1:123456789012:ledgerbridge-prod-store-push-dlq"),
    ]:
        assert not _allowing(statements, variables, action, "arn:aws:" + arn), arn


def test_provisioning_and_local_runner_calls_are_not_granted(
    merged: dict[str, Any], deployed_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CloudFormation declares the shared queues and the schedule group (`provision_shared` and `create` are
    for the local stack), only the local runner lists schedules (`ChannelSchedules.all`; IAM would need
    "*"), and only it puts a shared queue's message back with a delay (`retry_later`: in AWS a failed
    message becomes visible again after the queue's visibility timeout)."""
    calls = _record(monkeypatch)
    provision_shared(deployed_settings)
    ChannelSchedules(deployed_settings).all()
    for queue_class, _ in CONSUMERS.values():
        queue_class(deployed_settings).create()
        queue_class(deployed_settings).retry_later("h", 60)
    refused = {
        "sqs:CreateQueue",
        "sqs:ChangeMessageVisibility",
        "scheduler:CreateScheduleGroup",
        "scheduler:ListSchedules",
    }
    assert {_iam_action(s, m) for s, m, _ in calls} >= refused
    statements, variables = _statements(merged), _variables(merged)
    for call in calls:
        for action, arn, context in _needs(call, deployed_settings):
            if action in refused:
                assert not _allowing(statements, variables, action, arn, context), action


def test_scheduler_role_can_only_invoke_the_fetch_function(
    merged: dict[str, Any], chalice_app: Any, deployed_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = merged["Resources"][SCHEDULER_ROLE]["Properties"]
    assert set(role) <= {"Description", "AssumeRolePolicyDocument", "Policies"}  # no managed policies
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "scheduler.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
    }
    variables = _variables(merged)
    fetch_function, _ = _function_named(merged, chalice_app, FETCH_FUNCTION)
    fetch_arn = variables[f"{fetch_function}.Arn"]
    statements = _statements(merged, SCHEDULER_ROLE)
    assert all(s["Effect"] == "Allow" and "Condition" not in s for s in statements.values())
    assert {a for s in statements.values() for a in _actions(s)} == {"lambda:InvokeFunction"}
    assert {arn for s in statements.values() for arn in _arns(s, variables)} == {fetch_arn}
    for other in ("api", "resync_channel", *CONSUMERS):
        other_arn = variables[f"{_function_named(merged, chalice_app, other)[0]}.Arn"]
        assert not _allowing(statements, variables, "lambda:InvokeFunction", other_arn), other
    # The schedules the app writes target that function with that role...
    calls = _record(monkeypatch, "update_schedule")
    ChannelSchedules(deployed_settings).put("chn_1", 15)
    targets = [kw["Target"] for _, m, kw in calls if m in ("update_schedule", "create_schedule")]
    assert {(t["Arn"], t["RoleArn"]) for t in targets} == {(fetch_arn, variables[f"{SCHEDULER_ROLE}.Arn"])}
    # ...the Lambda role may pass it only to Scheduler, and invokes no function itself.
    lambda_role = _statements(merged)
    assert [sid for sid, s in lambda_role.items() if "iam:PassRole" in _actions(s)] == ["PassSchedulerRole"]
    passing = lambda_role["PassSchedulerRole"]
    assert passing["Resource"] == {"Fn::GetAtt": [SCHEDULER_ROLE, "Arn"]}
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    assert not [a for s in lambda_role.values() for a in _actions(s) if a.startswith("lambda:")]


@pytest.mark.parametrize("consumer", list(CONSUMERS))
def test_consumer_event_source_is_the_declared_queue(
    merged: dict[str, Any],
    merged_path: Path,
    chalice_app: Any,
    deployed_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    consumer: str,
) -> None:
    queue_class, sid = CONSUMERS[consumer]
    (source,) = (e for e in chalice_app.event_sources if e.name == consumer)
    _, function = _function_named(merged, chalice_app, consumer)
    (event,) = function["Properties"]["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["BatchSize"] == source.batch_size
    # The queue is the declared one, by reference (not by a name fixed when Chalice imported the app)...
    queues = _resources(merged, "AWS::SQS::Queue")
    queue = event["Properties"]["Queue"]
    assert isinstance(queue, dict) and len(queue) == 1, queue
    if "Fn::GetAtt" in queue:
        logical, attribute = queue["Fn::GetAtt"]
        assert attribute == "Arn", queue
    else:
        referenced = re.fullmatch(r"\$\{(\w+)\.Arn\}", queue["Fn::Sub"])
        assert referenced, queue
        logical = referenced.group(1)
    assert logical in queues, f"the {consumer} event source is not a declared queue: {queue}"
    variables = _variables(merged)
    assert variables[f"{logical}.QueueName"] == queue_class.queue_name(deployed_settings)
    assert source.queue == queue_class.queue_name()  # the queue the app names is this class's...
    # ...and the name Chalice computed when it imported the app for packaging is gone.
    text = merged_path.read_text()
    assert source.queue not in text, "Chalice's import-time queue name survived"
    assert queue_class.queue_name(deployed_settings) not in text, "Chalice's import-time queue name survived"
    # ...with a visibility timeout above the consumer's timeout, as the queue class sets it locally...
    props = queues[logical]["Properties"]
    calls = _record(monkeypatch)
    queue_class(deployed_settings).create()
    queue_class(deployed_settings).take()
    (created,) = [kw for _, m, kw in calls if m == "create_queue"]
    (received,) = [kw for _, m, kw in calls if m == "receive_message"]
    assert props["VisibilityTimeout"] >= function["Properties"]["Timeout"]
    assert props["VisibilityTimeout"] == int(created["Attributes"]["VisibilityTimeout"])
    assert props["VisibilityTimeout"] == received["VisibilityTimeout"]
    assert props["MessageRetentionPeriod"] == int(created["Attributes"]["MessageRetentionPeriod"])
    # ...a dead-letter queue of its own after a few receives (a handler that keeps failing does not run
    # every 16 minutes for days; the DLQ keeps a message longer than the queue would), and the role's
    # statement for this queue on exactly this queue.
    dlq = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert dlq in queues and dlq != logical
    assert variables[f"{dlq}.QueueName"] == variables[f"{logical}.QueueName"] + "-dlq"
    assert 3 <= props["RedrivePolicy"]["maxReceiveCount"] <= 10
    assert queues[dlq]["Properties"]["MessageRetentionPeriod"] > props["MessageRetentionPeriod"]
    other_dlqs = [
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]
        for name, q in queues.items()
        if name != logical and "RedrivePolicy" in q["Properties"]
    ]
    assert {"Fn::GetAtt": [dlq, "Arn"]} not in other_dlqs, "dead-letter queue shared with another queue"
    assert _statements(merged)[sid]["Resource"] == {"Fn::GetAtt": [logical, "Arn"]}


def _exercise_credentials(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    calls = _record(monkeypatch)
    secrets = ChannelSecrets(settings)
    with _credentials_in_memory():
        secrets.put("chn_1", "ten_1", {"api_key": "k"})
        secrets.put("chn_1", "ten_1", {"api_key": "k2"})
        assert secrets.get("chn_1") == {"api_key": "k2"}
        assert secrets.get("chn_old") == {"api_key": "old"}  # migrated from its secret
        secrets.delete("chn_old")
    return calls


@pytest.mark.parametrize("kms_key", [False, True], ids=["stack-key", "kms-key"])
def test_credentials_key_is_used_only_for_this_deployments_channels(
    merged: dict[str, Any], monkeypatch: pytest.MonkeyPatch, kms_key: bool
) -> None:
    param = merged["Parameters"]["KmsKeyId"]
    assert param["Default"] == ""
    assert re.fullmatch(param["AllowedPattern"], KMS_KEY)
    assert re.fullmatch(param["AllowedPattern"], "")
    assert not re.fullmatch(param["AllowedPattern"], "alias/aws/secretsmanager")  # IAM needs the key ARN
    assert merged["Conditions"]["HasKmsKey"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "KmsKeyId"}, ""]}]}
    # The stack declares a key (rotated, retained) only when KmsKeyId is empty.
    (logical,) = _resources(merged, "AWS::KMS::Key")
    key = merged["Resources"][logical]
    assert key["Condition"] == "CreateCredentialsKey"
    assert merged["Conditions"]["CreateCredentialsKey"] == {"Fn::Equals": [{"Ref": "KmsKeyId"}, ""]}
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"
    # No Secrets Manager write permission: no secret per channel any more.
    parameters = {"KmsKeyId": KMS_KEY} if kms_key else {}
    the_key = KMS_KEY if kms_key else STACK_KEY
    settings = _deployed_settings(merged, monkeypatch, **parameters)
    assert settings.kms_key_id == the_key
    statements = _statements(merged, kms_key=kms_key)
    variables = _variables(merged, **parameters)
    granted = {a for st in statements.values() for a in _actions(st)}
    assert not {a for a in granted if a.startswith("secretsmanager:")} - {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DeleteSecret",
    }
    # KMS: GenerateDataKey/Decrypt on the one key, with this deployment's context only (and, with a
    # KmsKeyId key, Decrypt through Secrets Manager for the old secrets it encrypted).
    key_statements = {
        sid for sid, st in statements.items() if any(a.startswith("kms:") for a in _actions(st))
    }
    assert key_statements == (
        {"ChannelCredentialsKey", "LegacySecretsKey"} if kms_key else {"ChannelCredentialsKey"}
    )
    assert _actions(statements["ChannelCredentialsKey"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    for sid in key_statements:
        assert _arns(statements[sid], variables) == [the_key]
    calls = _exercise_credentials(settings, monkeypatch)
    kms_calls = [m for service, m, _ in calls if service == "kms"]
    assert kms_calls == ["generate_data_key", "generate_data_key", "decrypt", "generate_data_key"]
    assert not [
        m for service, m, _ in calls if service == "secretsmanager" and "delete" not in m and "get" not in m
    ]
    for call in calls:
        for action, arn, context in _needs(call, settings):
            assert _allowing(statements, variables, action, arn, context), (call[1], action, context)
            if action.startswith("kms:"):
                assert not _allowing(statements, variables, action, arn), "KMS without the encryption context"
                other = {**context, "kms:EncryptionContext:deployment": "ledgerbridge-staging-"}
                if "kms:ViaService" not in context:
                    assert not _allowing(statements, variables, action, arn, other), "another deployment's"
                other_key = arn.replace(arn.rsplit("/", 1)[1], "ffffffff-0000-0000-0000-000000000000")
                assert not _allowing(statements, variables, action, other_key, context), "another key"


# --- IAM actions exist (cfn-lint skips this check in SAM templates) --------------------------------


@pytest.mark.parametrize("kms_key", [False, True], ids=["aws-managed-key", "kms-key"])
@pytest.mark.parametrize("role", [ROLE, SCHEDULER_ROLE])
def test_role_actions_exist_and_unscoped_only_where_iam_requires(
    infra: dict[str, Any], role: str, kms_key: bool
) -> None:
    from cfnlint.data import AdditionalSpecs  # type: ignore[import-untyped]

    services = load_resource(AdditionalSpecs, "Policies.json")
    for sid, statement in _statements(infra, role, kms_key=kms_key).items():
        for action in _actions(statement):
            service, name = action.split(":", 1)
            spec = services[service]["Actions"].get(name.lower())
            assert spec is not None, f"{sid}: {action} is not an IAM action"
            takes_resources = bool(spec.get("Resources"))
            assert (statement["Resource"] != "*") == takes_resources, f"{sid}: {action} resource scope"
