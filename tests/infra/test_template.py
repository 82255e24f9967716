"""The AWS definition: infra/template.yaml merged into Chalice's SAM output by `ledgerbridge.package`.

Checks that the merged template lints clean (cfn-lint, offline), that its tables are the PynamoDB models'
tables, that every function the Chalice app declares is deployed with the Ledgerbridge role, its name, log
group and environment, and that the roles allow exactly what the app does on the names the app uses: the
wrappers in chalicelib/aws.py run against a recording client with the settings a deployed Lambda computes
from the template's environment, and each call (and the IAM actions it depends on) must be allowed by the
role's resolved policy; the DynamoDB calls of the stock level and outbound sale repositories (the store push
consumer's work, written by the Web Connector session and fetch_channel) are recorded against the embedded
AWS and checked the same way. Packaging runs `chalice package` with no requirements (`template_only`): about a
second, no network.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]
from cfnlint.helpers import load_resource  # type: ignore[import-untyped]

import chalicelib.aws
from chalicelib.aws import (
    ChannelSchedules,
    ChannelSecrets,
    ChannelWorkQueue,
    FetchQueue,
    StorePushQueue,
    WorkQueue,
    provision_shared,
)
from chalicelib.dal.models import (
    ALL_MODELS,
    FetchRunModel,
    OutboundSaleModel,
    StockLevelModel,
    SyncRunModel,
    TicketModel,
)
from chalicelib.settings import Settings, get_settings
from ledgerbridge import package
from tests.paths import REPO

INFRA_TEMPLATE = REPO / "infra" / "template.yaml"
ROLE = "LedgerbridgeLambdaRole"
ROLE_REF = {"Fn::GetAtt": [ROLE, "Arn"]}
SCHEDULER_ROLE = "FetchSchedulerRole"
LINT_REGIONS = ["us-east-1", "eu-west-1"]
# cfn-lint findings (errors, warnings, informational) tolerated in the merged template, each with the
# reason. Empty: the merged template lints clean; add a rule id here only with a justification.
JUSTIFIED_LINT_FINDINGS: dict[str, str] = {}
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
}
OWNER_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"  # OwnerId has no default: each deployment picks one
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STACK_KEY_ID = "0000abcd-00ab-00cd-00ef-000000000000"  # the id KMS gives the template's ChannelCredentialsKey
STACK_KEY = f"arn:aws:kms:us-east-1:123456789012:key/{STACK_KEY_ID}"
# The Chalice function of the REST API has no name of its own in the app; Chalice calls it APIHandler.
API_HANDLER = "app.app"
FETCH_FUNCTION = "fetch_channel"  # the schedules' target (chalicelib/events/fetch.py)
LONG_TIMEOUT = 900  # the fetch and store push functions' timeout (.chalice/config.json `lambda_functions`)
LONG_RUNNING = ("fetch_channel", "resync_channel", "fetch_queue", "store_push")
# Each SQS consumer of the app: its function, the shared queue it consumes, the role's statement on it.
CONSUMERS: dict[str, tuple[type[ChannelWorkQueue], str]] = {
    "fetch_queue": (FetchQueue, "FetchQueue"),
    "store_push": (StorePushQueue, "StorePushQueue"),
}
# What a Lambda SQS event source mapping does with the execution role's permissions (AWS Lambda docs:
# the AWSLambdaSQSQueueExecutionRole managed policy), besides what the handler's own code calls.
SQS_EVENT_SOURCE_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}


# --- helpers ---------------------------------------------------------------------------------------


def _plain(node: Any) -> dict[str, Any]:
    """A template loaded by cfn-lint as plain dicts/lists/strs (for equality and json)."""
    plain: dict[str, Any] = json.loads(json.dumps(node))
    return plain


def _resources(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") in types}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _resources(template, "AWS::Serverless::Function", "AWS::Lambda::Function")


def _resolve(value: Any, variables: dict[str, str]) -> str:
    """A plain string, `Ref`, `Fn::GetAtt` or `Fn::Sub` string resolved against `variables` (names as
    `Fn::Sub` writes them: `Param`, `AWS::Region`, `Logical.Attribute`); every name must be known."""
    if isinstance(value, str):
        return value
    (function, argument), *rest = value.items()
    assert not rest, value
    if function == "Ref":
        return variables[argument]
    if function == "Fn::GetAtt":
        return variables[".".join(argument)]
    if function == "Fn::If":
        name, when_true, when_false = argument
        return _resolve(when_true if _condition(name, variables) else when_false, variables)
    assert function == "Fn::Sub" and isinstance(argument, str), value
    return re.sub(r"\$\{([^}]+)\}", lambda m: variables[m.group(1)], argument)


def _condition(name: str, variables: dict[str, str]) -> bool:
    """The template's conditions `_resolve` meets in values (on the KmsKeyId and DomainName parameters)."""
    return {
        "HasKmsKey": variables["KmsKeyId"] != "",
        "CreateCredentialsKey": variables["KmsKeyId"] == "",
        "HasCustomDomain": variables["DomainName"] != "",
    }[name]


def _variables(template: dict[str, Any], **parameters: str) -> dict[str, str]:
    """What `_resolve` needs for `template` deployed in PSEUDO's account and region with its default
    parameters (or `parameters`): each resource's Ref and the attributes the templates use."""
    variables = dict(PSEUDO)
    for name, spec in template["Parameters"].items():
        variables[name] = parameters.get(name, spec.get("Default", OWNER_ID if name == "OwnerId" else ""))
    head = "arn:{p}:{{}}:{r}:{a}:".format(
        p=PSEUDO["AWS::Partition"], r=PSEUDO["AWS::Region"], a=PSEUDO["AWS::AccountId"]
    )
    for logical, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        kind = resource.get("Type")
        if kind == "AWS::DynamoDB::Table":
            name = _resolve(props["TableName"], variables)
            variables |= {logical: name, f"{logical}.Arn": head.format("dynamodb") + "table/" + name}
        elif kind == "AWS::SQS::Queue":
            name = _resolve(props["QueueName"], variables)
            url = f"https://sqs.{PSEUDO['AWS::Region']}.amazonaws.com/{PSEUDO['AWS::AccountId']}/{name}"
            variables |= {
                logical: url,
                f"{logical}.QueueName": name,
                f"{logical}.Arn": head.format("sqs") + name,
            }
        elif kind == "AWS::Scheduler::ScheduleGroup":
            name = _resolve(props["Name"], variables)
            variables |= {
                logical: name,
                f"{logical}.Arn": head.format("scheduler") + "schedule-group/" + name,
            }
        elif kind == "AWS::IAM::Role":  # CloudFormation names it <stack>-<logical>-<suffix>
            variables[f"{logical}.Arn"] = (
                f"arn:aws:iam::{PSEUDO['AWS::AccountId']}:role/stack-{logical}-X1Y2Z3"
            )
        elif kind in ("AWS::Serverless::Function", "AWS::Lambda::Function") and "FunctionName" in props:
            name = _resolve(props["FunctionName"], variables)
            variables |= {logical: name, f"{logical}.Arn": head.format("lambda") + "function:" + name}
        elif kind == "AWS::Logs::LogGroup":
            variables[logical] = _resolve(props["LogGroupName"], variables)
        elif kind == "AWS::KMS::Key":
            variables |= {logical: STACK_KEY_ID, f"{logical}.Arn": STACK_KEY}
        elif kind == "AWS::ApiGatewayV2::Api":  # its Ref is the API id API Gateway generates
            variables[logical] = "wc7api"
    return variables


def _without_ifs(node: Any, conditions: dict[str, bool]) -> Any:
    """`node` with each `Fn::If` replaced by its branch under `conditions` (`AWS::NoValue` dropped)."""
    if isinstance(node, list):
        items = [_without_ifs(item, conditions) for item in node]
        return [item for item in items if item != {"Ref": "AWS::NoValue"}]
    if isinstance(node, dict):
        if list(node) == ["Fn::If"]:
            name, when_true, when_false = node["Fn::If"]
            return _without_ifs(when_true if conditions[name] else when_false, conditions)
        return {key: _without_ifs(value, conditions) for key, value in node.items()}
    return node


def _statements(
    template: dict[str, Any], role: str = ROLE, *, kms_key: bool = False
) -> dict[str, dict[str, Any]]:
    """The role's inline policy statements by Sid, as deployed with or without a KMS key (HasKmsKey)."""
    resource = template["Resources"][role]
    assert resource["Type"] == "AWS::IAM::Role"
    policies = _without_ifs(resource["Properties"]["Policies"], {"HasKmsKey": kms_key})
    return {s["Sid"]: s for policy in policies for s in policy["PolicyDocument"]["Statement"]}


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def _arns(statement: dict[str, Any], variables: dict[str, str]) -> list[str]:
    resource = statement["Resource"]
    return [_resolve(r, variables) for r in (resource if isinstance(resource, list) else [resource])]


def _iam_match(pattern: str, value: str) -> bool:
    """IAM resource matching: `*` any run of characters, `?` one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value) is not None


def _conditions_hold(condition: dict[str, Any], context: dict[str, str], variables: dict[str, str]) -> bool:
    """The statement's `Condition` for a request with these condition keys (StringEquals only)."""
    assert set(condition) <= {"StringEquals"}, condition
    wanted = {key: _resolve(value, variables) for key, value in condition.get("StringEquals", {}).items()}
    return all(context.get(key) == value for key, value in wanted.items())


def _allowing(
    statements: dict[str, dict[str, Any]],
    variables: dict[str, str],
    action: str,
    arn: str,
    context: dict[str, str] | None = None,
) -> list[str]:
    """The Sids of the statements that allow `action` on `arn` (with the request's condition keys)."""
    return [
        sid
        for sid, s in statements.items()
        if s["Effect"] == "Allow"
        and action in _actions(s)
        and any(_iam_match(pattern, arn) for pattern in _arns(s, variables))
        and _conditions_hold(s.get("Condition", {}), context or {}, variables)
    ]


def _lint(text: str) -> list[str]:
    matches = lint(text, config=ManualArgs(regions=LINT_REGIONS, include_checks=["I"]))
    return [
        f"{m.rule.id} line {m.linenumber}: {m.message}"
        for m in matches
        if m.rule.id not in JUSTIFIED_LINT_FINDINGS
    ]


def _table_resource(template: dict[str, Any], short_name: str) -> dict[str, Any]:
    tables = _resources(template, "AWS::DynamoDB::Table")
    found: list[dict[str, Any]] = [
        t
        for t in tables.values()
        if t["Properties"]["TableName"] == {"Fn::Sub": "${ResourcePrefix}" + short_name}
    ]
    assert len(found) == 1, f"expected one table named ${{ResourcePrefix}}{short_name}, found {len(found)}"
    return found[0]


def _table_for(template: dict[str, Any], short_name: str) -> dict[str, Any]:
    properties: dict[str, Any] = _table_resource(template, short_name)["Properties"]
    return properties


def _keys(key_schema: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(k["AttributeName"], k["KeyType"]) for k in key_schema}


def _app_functions(chalice_app: Any) -> dict[str, str]:
    """Every Lambda function the Chalice app makes, handler string -> function name in the app."""
    functions = {API_HANDLER: "api"}
    for declared in [*chalice_app.pure_lambda_functions, *chalice_app.event_sources]:
        functions[declared.handler_string] = declared.name
    return functions


def _function_named(template: dict[str, Any], chalice_app: Any, name: str) -> tuple[str, dict[str, Any]]:
    """The merged template's function (logical id, resource) for the app's function `name`."""
    handlers = [h for h, n in _app_functions(chalice_app).items() if n == name]
    assert len(handlers) == 1, name
    found = [(k, f) for k, f in _functions(template).items() if f["Properties"]["Handler"] == handlers[0]]
    assert len(found) == 1, f"{name}: {len(found)} functions with handler {handlers[0]}"
    return found[0]


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


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def merged_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package.build("prod", tmp_path_factory.mktemp("package"), template_only=True)


@pytest.fixture(scope="module")
def merged(merged_path: Path) -> dict[str, Any]:
    return _plain(cfn_yaml.load(str(merged_path)))


@pytest.fixture(scope="module")
def infra() -> dict[str, Any]:
    return _plain(cfn_yaml.load(str(INFRA_TEMPLATE)))


@pytest.fixture(scope="module")
def chalice_app() -> Any:
    from app import app

    return app


@pytest.fixture
def prod_settings(monkeypatch: pytest.MonkeyPatch):
    """The settings a prod Lambda computes from its environment, bypassing the process-wide cache."""
    monkeypatch.setenv("LEDGERBRIDGE_STAGE", "prod")
    monkeypatch.delenv("LEDGERBRIDGE_RESOURCE_PREFIX", raising=False)
    return get_settings.__wrapped__()


def _deployed_settings(
    merged: dict[str, Any], monkeypatch: pytest.MonkeyPatch, **parameters: str
) -> Settings:
    """The settings the API function computes from the environment the merged template gives it."""
    variables = _variables(merged, **parameters)
    for name, value in merged["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"].items():
        monkeypatch.setenv(name, _resolve(value, variables))
    settings: Settings = get_settings.__wrapped__()
    return settings


@pytest.fixture
def deployed_settings(merged: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    return _deployed_settings(merged, monkeypatch)


# --- (a) packaging and cfn-lint -------------------------------------------------------------------


def test_package_writes_one_merged_template(merged_path: Path) -> None:
    assert merged_path.name == "sam.yaml"
    assert sorted(p.name for p in merged_path.parent.iterdir()) == ["sam.yaml"]  # template_only: no zip


def test_package_cli_prints_the_template_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert package.main(["--out", str(tmp_path / "out"), "--template-only"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == (tmp_path / "out" / "sam.yaml").resolve()
    assert printed.is_file()


def test_package_reports_chalice_failure(tmp_path: Path) -> None:
    with pytest.raises(package.PackagingError, match="chalice package failed"):
        package.build("prod", tmp_path, template_only=True, merge_template=tmp_path / "missing.yaml")


def test_merged_template_passes_cfn_lint(merged_path: Path) -> None:
    assert _lint(merged_path.read_text()) == []


def test_cfn_lint_harness_catches_a_broken_template(merged: dict[str, Any]) -> None:
    broken = copy.deepcopy(merged)
    broken["Resources"]["TicketsTable"]["Properties"]["BillingMode"] = "FREE"
    findings = _lint(json.dumps(broken))
    assert any(f.startswith("E") and "FREE" in f for f in findings), findings


def test_merge_kept_chalice_resources_and_added_ours(merged: dict[str, Any], infra: dict[str, Any]) -> None:
    assert merged["Transform"] == "AWS::Serverless-2016-10-31"
    assert {"RestAPI", "APIHandler", "APIHandlerInvokePermission"} <= set(merged["Resources"])
    for name, resource in infra["Resources"].items():
        if "Type" in resource:  # our own resources arrive unchanged
            assert merged["Resources"][name] == resource, name
        else:  # an override must land on a resource Chalice generates, or it would be a typeless stub
            assert "Type" in merged["Resources"][name], f"{name} overrides nothing Chalice generates"
    assert set(infra["Parameters"]) <= set(merged["Parameters"])
    assert merged["Conditions"] == infra["Conditions"]


# --- (b) functions: every one the app declares, each with the role, its name, log group, environment ---


def test_template_has_exactly_the_apps_functions(merged: dict[str, Any], chalice_app: Any) -> None:
    handlers = {f["Properties"]["Handler"] for f in _functions(merged).values()}
    assert handlers == set(_app_functions(chalice_app))
    assert {"fetch_channel", "resync_channel", *CONSUMERS} <= set(_app_functions(chalice_app).values())


def test_every_function_runs_with_the_ledgerbridge_role(
    merged: dict[str, Any], merged_path: Path, chalice_app: Any
) -> None:
    functions = _functions(merged)
    assert functions, "no Lambda function in the merged template"
    names = _app_functions(chalice_app)
    variables = _variables(merged)
    logs = _arns(_statements(merged)["FunctionLogs"], variables)
    api_environment = merged["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    log_groups = _resources(merged, "AWS::Logs::LogGroup")
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Role"] == ROLE_REF, (
            f"{name} does not use {ROLE} (add its override to infra/template.yaml)"
        )
        short = names[props["Handler"]]
        assert props["FunctionName"] == {"Fn::Sub": "${ResourcePrefix}" + short}, name
        # One environment for all: any code path of any function reads the same settings.
        environment = props["Environment"]["Variables"]
        assert environment == api_environment, name
        assert environment["LEDGERBRIDGE_RESOURCE_PREFIX"] == {"Ref": "ResourcePrefix"}, name
        assert environment["LEDGERBRIDGE_OWNER_ID"] == {"Ref": "OwnerId"}, name
        assert environment["LEDGERBRIDGE_STAGE"] == "prod", name
        assert props["Tracing"] == "Active", name
        # Its log group is declared (30 days), exists before the function, and the role may write to it.
        group = [
            logical
            for logical, g in log_groups.items()
            if g["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${ResourcePrefix}" + short}
        ]
        assert len(group) == 1, f"{name}: no log group /aws/lambda/${{ResourcePrefix}}{short}"
        assert log_groups[group[0]]["Properties"]["RetentionInDays"] == 30, name
        depends = function.get("DependsOn", [])
        assert group[0] in ([depends] if isinstance(depends, str) else depends), name
        log_arn = "arn:aws:logs:us-east-1:123456789012:log-group:" + variables[group[0]]
        assert any(_iam_match(p, log_arn + ":log-stream:2024/01/01/[$LATEST]abc") for p in logs), name
    # Chalice made no role of its own, and its placeholder role ARN did not survive the merge.
    assert set(_resources(merged, "AWS::IAM::Role")) == {ROLE, SCHEDULER_ROLE}
    assert "LedgerbridgeLambdaRoleArn" not in merged_path.read_text()


def test_environment_names_what_the_app_reads(merged: dict[str, Any]) -> None:
    environment = merged["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert {
        "LEDGERBRIDGE_FETCH_FUNCTION_ARN",
        "LEDGERBRIDGE_SCHEDULER_ROLE_ARN",
        "LEDGERBRIDGE_SCHEDULE_GROUP",
        "LEDGERBRIDGE_KMS_KEY_ID",
    } <= set(environment)
    source = (REPO / "chalicelib" / "settings.py").read_text()
    for name in environment:
        if name.startswith("LEDGERBRIDGE_") and name != "LEDGERBRIDGE_STAGE":
            assert f'"{name}"' in source, f"{name} is not a setting the app reads"


def test_long_running_functions_have_the_long_timeout(merged: dict[str, Any], chalice_app: Any) -> None:
    assert merged["Resources"]["APIHandler"]["Properties"]["Timeout"] == 29  # API Gateway's limit
    for name in LONG_RUNNING:
        _, function = _function_named(merged, chalice_app, name)
        assert function["Properties"]["Timeout"] == LONG_TIMEOUT, name


def test_scheduled_fetch_is_not_retried_by_lambda(
    merged: dict[str, Any], chalice_app: Any, deployed_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scheduler invokes asynchronously: Lambda's own retries are off, as the schedule's are."""
    logical, _ = _function_named(merged, chalice_app, FETCH_FUNCTION)
    configs = [
        c["Properties"]
        for c in _resources(merged, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": logical}
    ]
    assert configs == [{"FunctionName": {"Ref": logical}, "Qualifier": "$LATEST", "MaximumRetryAttempts": 0}]
    calls = _record(monkeypatch)
    ChannelSchedules(deployed_settings).put("chn_1", 15)
    policies = [kw["Target"]["RetryPolicy"] for _, m, kw in calls if m.endswith("_schedule")]
    assert policies == [{"MaximumRetryAttempts": 0}]


def test_owner_id_and_prefix_are_parameters(merged: dict[str, Any], prod_settings) -> None:
    params = merged["Parameters"]
    assert "Default" not in params["OwnerId"], "each deployment must choose its own OwnerID"
    assert re.fullmatch(params["OwnerId"]["AllowedPattern"], OWNER_ID)
    assert not re.fullmatch(params["OwnerId"]["AllowedPattern"], "not-a-guid")
    # The template's default prefix is the one the app derives for the prod stage.
    assert params["ResourcePrefix"]["Default"] == prod_settings.table_prefix == "ledgerbridge-prod-"
    assert re.fullmatch(params["ResourcePrefix"]["AllowedPattern"], params["ResourcePrefix"]["Default"])


def test_names_fit_their_services_limits_at_the_longest_prefix(merged: dict[str, Any]) -> None:
    prefix = "a" * (merged["Parameters"]["ResourcePrefix"]["MaxLength"] - 1) + "-"
    assert re.fullmatch(merged["Parameters"]["ResourcePrefix"]["AllowedPattern"], prefix)
    variables = _variables(merged, ResourcePrefix=prefix)
    limits = {  # resource type: (name property, the service's limit)
        "AWS::Serverless::Function": ("FunctionName", 64),
        "AWS::SQS::Queue": ("QueueName", 80),
        "AWS::Scheduler::ScheduleGroup": ("Name", 64),
        "AWS::DynamoDB::Table": ("TableName", 255),
    }
    for logical, resource in merged["Resources"].items():
        if resource.get("Type") in limits:
            prop, limit = limits[resource["Type"]]
            assert len(_resolve(resource["Properties"][prop], variables)) <= limit, logical


# --- (c) tables match the PynamoDB models ---------------------------------------------------------


def test_one_table_per_model(infra: dict[str, Any]) -> None:
    names = {
        _resolve(t["Properties"]["TableName"], {"ResourcePrefix": ""})
        for t in _resources(infra, "AWS::DynamoDB::Table").values()
    }
    assert names == {m.Meta.short_name for m in ALL_MODELS}


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.Meta.short_name)
def test_table_matches_model(infra: dict[str, Any], model: Any) -> None:
    schema = model._get_schema()
    resource = _table_resource(infra, model.Meta.short_name)
    table = resource["Properties"]

    assert _keys(table["KeySchema"]) == _keys(schema["key_schema"])
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
        (a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]
    }
    expected_gsis = {
        g["index_name"]: (_keys(g["key_schema"]), g["projection"]["ProjectionType"])
        for g in schema["global_secondary_indexes"]
    }
    actual_gsis = {
        g["IndexName"]: (_keys(g["KeySchema"]), g["Projection"]["ProjectionType"])
        for g in table.get("GlobalSecondaryIndexes", [])
    }
    assert actual_gsis == expected_gsis
    assert table.get("LocalSecondaryIndexes", []) == schema["local_secondary_indexes"] == []

    assert table["BillingMode"] == model.Meta.billing_mode == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionProtectionEnabled"] is True
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"

    ttl = model._ttl_attribute()
    if ttl is None:
        assert "TimeToLiveSpecification" not in table
    else:
        assert table["TimeToLiveSpecification"] == {"AttributeName": ttl.attr_name, "Enabled": True}


@pytest.mark.parametrize("model", [TicketModel, FetchRunModel, SyncRunModel], ids=lambda m: m.Meta.short_name)
def test_expiring_records_expire_by_ttl(infra: dict[str, Any], model: Any) -> None:
    assert _table_for(infra, model.Meta.short_name)["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }


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
