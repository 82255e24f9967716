"""The AWS definition: infra/template.yaml merged into Chalice's SAM output by `ledgerbridge.package`.

Checks that the merged template lints clean (cfn-lint, offline), that its tables are the PynamoDB models'
tables, and that the Lambda role allows exactly what the app does on the names the app uses.
Packaging runs `chalice package` with no requirements (`template_only`): about a second, no network.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]
from cfnlint.helpers import load_resource  # type: ignore[import-untyped]

import chalicelib.aws
from chalicelib.aws import WorkQueue
from chalicelib.dal.models import ALL_MODELS, TicketModel
from chalicelib.settings import get_settings
from ledgerbridge import package
from tests.paths import REPO

INFRA_TEMPLATE = REPO / "infra" / "template.yaml"
ROLE = "LedgerbridgeLambdaRole"
ROLE_REF = {"Fn::GetAtt": [ROLE, "Arn"]}
LINT_REGIONS = ["us-east-1", "eu-west-1"]
# cfn-lint findings (errors, warnings, informational) tolerated in the merged template, each with the
# reason. Empty: the merged template lints clean; add a rule id here only with a justification.
JUSTIFIED_LINT_FINDINGS: dict[str, str] = {}
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}


# --- helpers ---------------------------------------------------------------------------------------


def _plain(node: Any) -> dict[str, Any]:
    """A template loaded by cfn-lint as plain dicts/lists/strs (for equality and json)."""
    plain: dict[str, Any] = json.loads(json.dumps(node))
    return plain


def _resources(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") in types}


def _sub(value: Any, variables: dict[str, str]) -> str:
    """Resolve a plain string or a `Fn::Sub` string against `variables` (every ${...} must be known)."""
    if isinstance(value, str):
        return value
    assert list(value) == ["Fn::Sub"], value
    text = value["Fn::Sub"]
    assert isinstance(text, str), text
    return re.sub(r"\$\{([^}]+)\}", lambda m: variables[m.group(1)], text)


def _iam_match(pattern: str, value: str) -> bool:
    """IAM resource matching: `*` any run of characters, `?` one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value) is not None


def _statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    role = template["Resources"][ROLE]
    assert role["Type"] == "AWS::IAM::Role"
    return {
        s["Sid"]: s
        for policy in role["Properties"]["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
    }


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def _lint(text: str) -> list[str]:
    matches = lint(text, config=ManualArgs(regions=LINT_REGIONS, include_checks=["I"]))
    return [
        f"{m.rule.id} line {m.linenumber}: {m.message}"
        for m in matches
        if m.rule.id not in JUSTIFIED_LINT_FINDINGS
    ]


def _table_for(template: dict[str, Any], short_name: str) -> dict[str, Any]:
    tables = _resources(template, "AWS::DynamoDB::Table")
    found: list[dict[str, Any]] = [
        t["Properties"]
        for t in tables.values()
        if t["Properties"]["TableName"] == {"Fn::Sub": "${ResourcePrefix}" + short_name}
    ]
    assert len(found) == 1, f"expected one table named ${{ResourcePrefix}}{short_name}, found {len(found)}"
    return found[0]


def _keys(key_schema: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(k["AttributeName"], k["KeyType"]) for k in key_schema}


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


@pytest.fixture
def prod_settings(monkeypatch: pytest.MonkeyPatch):
    """The settings a prod Lambda computes from its environment, bypassing the process-wide cache."""
    monkeypatch.setenv("LEDGERBRIDGE_STAGE", "prod")
    monkeypatch.delenv("LEDGERBRIDGE_RESOURCE_PREFIX", raising=False)
    return get_settings.__wrapped__()


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
    assert set(infra["Parameters"]) <= set(merged["Parameters"])


def test_every_function_runs_with_the_ledgerbridge_role(merged: dict[str, Any], merged_path: Path) -> None:
    functions = _resources(merged, "AWS::Serverless::Function", "AWS::Lambda::Function")
    assert functions, "no Lambda function in the merged template"
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Role"] == ROLE_REF, (
            f"{name} does not use {ROLE} (add its override to infra/template.yaml)"
        )
        variables = props["Environment"]["Variables"]
        assert variables["LEDGERBRIDGE_RESOURCE_PREFIX"] == {"Ref": "ResourcePrefix"}, name
        assert variables["LEDGERBRIDGE_OWNER_ID"] == {"Ref": "OwnerId"}, name
        assert variables["LEDGERBRIDGE_STAGE"] == "prod", name
        assert props["Tracing"] == "Active", name
        # Its log group must fall under the role's logs permission.
        log_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/" + _sub(
            props["FunctionName"], {"ResourcePrefix": "ledgerbridge-prod-"}
        )
        logs = _sub(
            _statements(merged)["FunctionLogs"]["Resource"],
            {**PSEUDO, "ResourcePrefix": "ledgerbridge-prod-"},
        )
        assert _iam_match(logs, log_arn + ":log-stream:2024/01/01/[$LATEST]abc"), name
    # Chalice made no role of its own, and its placeholder role ARN did not survive the merge.
    assert list(_resources(merged, "AWS::IAM::Role")) == [ROLE]
    assert "LedgerbridgeLambdaRoleArn" not in merged_path.read_text()


def test_owner_id_and_prefix_are_parameters(merged: dict[str, Any], prod_settings) -> None:
    params = merged["Parameters"]
    assert "Default" not in params["OwnerId"], "each deployment must choose its own OwnerID"
    assert re.fullmatch(params["OwnerId"]["AllowedPattern"], "1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    assert not re.fullmatch(params["OwnerId"]["AllowedPattern"], "not-a-guid")
    # The template's default prefix is the one the app derives for the prod stage.
    assert params["ResourcePrefix"]["Default"] == prod_settings.table_prefix == "ledgerbridge-prod-"
    assert re.fullmatch(params["ResourcePrefix"]["AllowedPattern"], params["ResourcePrefix"]["Default"])


# --- (b) tables match the PynamoDB models ---------------------------------------------------------


def test_one_table_per_model(infra: dict[str, Any]) -> None:
    names = {
        _sub(t["Properties"]["TableName"], {"ResourcePrefix": ""})
        for t in _resources(infra, "AWS::DynamoDB::Table").values()
    }
    assert names == {m.Meta.short_name for m in ALL_MODELS}


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.Meta.short_name)
def test_table_matches_model(infra: dict[str, Any], model: Any) -> None:
    schema = model._get_schema()
    table = _table_for(infra, model.Meta.short_name)

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

    ttl = model._ttl_attribute()
    if ttl is None:
        assert "TimeToLiveSpecification" not in table
    else:
        assert table["TimeToLiveSpecification"] == {"AttributeName": ttl.attr_name, "Enabled": True}


def test_tickets_expire_by_ttl(infra: dict[str, Any]) -> None:
    assert _table_for(infra, TicketModel.Meta.short_name)["TimeToLiveSpecification"] == {
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


# --- (c) the role's SQS scope matches WorkQueue -----------------------------------------------------


class _RecordingSqs:
    """Stands in for the boto3 SQS client: records each call, answers just enough for WorkQueue."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            self.calls.append((method, kwargs))
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
            return {}

        return call


def _queue_arn_pattern(template: dict[str, Any], prefix: str) -> str:
    return _sub(
        _statements(template)["ConnectionWorkQueues"]["Resource"], {**PSEUDO, "ResourcePrefix": prefix}
    )


def test_queue_pattern_matches_work_queue_names(infra: dict[str, Any], prod_settings) -> None:
    prefix = infra["Parameters"]["ResourcePrefix"]["Default"]
    pattern = _queue_arn_pattern(infra, prefix)
    arn = "arn:aws:sqs:us-east-1:123456789012:"
    queue = WorkQueue("con_0123456789abcdef", prod_settings)
    assert queue.name.startswith(prefix)
    assert _iam_match(pattern, arn + queue.name)
    assert _iam_match(pattern, arn + queue.dlq_name)
    # ...and nothing beyond this deployment's connection queues.
    assert not _iam_match(pattern, arn + queue.name.replace("prod", "staging"))
    assert not _iam_match(pattern, arn + prefix + "other-queue")
    assert not _iam_match(pattern, "arn:aws:sqs:us-east-1:999999999999:" + queue.name)


def test_queue_actions_cover_what_work_queue_calls(
    infra: dict[str, Any], prod_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs = _RecordingSqs()
    monkeypatch.setattr(chalicelib.aws, "client", lambda service, settings=None: sqs)
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

    api_names = botocore.session.get_session().get_service_model("sqs").operation_names
    to_api = {xform_name(name): name for name in api_names}
    used = {"sqs:" + to_api[method] for method, _ in sqs.calls}
    assert used >= {"sqs:CreateQueue", "sqs:ReceiveMessage", "sqs:DeleteQueue"}  # the recorder saw real calls
    assert used <= _actions(_statements(infra)["ConnectionWorkQueues"])
    pattern = _queue_arn_pattern(infra, prod_settings.queue_prefix)
    for _, kwargs in sqs.calls:
        if "QueueName" in kwargs:
            assert _iam_match(pattern, "arn:aws:sqs:us-east-1:123456789012:" + kwargs["QueueName"])


# --- IAM actions exist (cfn-lint skips this check in SAM templates) --------------------------------


def test_role_actions_exist_and_unscoped_only_where_iam_requires(infra: dict[str, Any]) -> None:
    from cfnlint.data import AdditionalSpecs  # type: ignore[import-untyped]

    services = load_resource(AdditionalSpecs, "Policies.json")
    for sid, statement in _statements(infra).items():
        for action in _actions(statement):
            service, name = action.split(":", 1)
            spec = services[service]["Actions"].get(name.lower())
            assert spec is not None, f"{sid}: {action} is not an IAM action"
            takes_resources = bool(spec.get("Resources"))
            assert (statement["Resource"] != "*") == takes_resources, f"{sid}: {action} resource scope"
