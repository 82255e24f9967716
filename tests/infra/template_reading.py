"""Reading the AWS definition in tests: infra/template.yaml merged into Chalice's SAM output by
`ledgerbridge.package`, its resources, parameters and conditions resolved as CloudFormation would, and the
roles' policies evaluated as IAM would (actions, resources with wildcards, condition keys). Shared by the
tests of tests/infra/."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]

from chalicelib.aws import (
    ChannelWorkQueue,
    FetchQueue,
    StorePushQueue,
)
from chalicelib.settings import Settings, get_settings
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


def _deployed_settings(
    merged: dict[str, Any], monkeypatch: pytest.MonkeyPatch, **parameters: str
) -> Settings:
    """The settings the API function computes from the environment the merged template gives it."""
    variables = _variables(merged, **parameters)
    for name, value in merged["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"].items():
        monkeypatch.setenv(name, _resolve(value, variables))
    settings: Settings = get_settings.__wrapped__()
    return settings
