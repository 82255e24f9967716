"""The AWS definition: infra/template.yaml merged into Chalice's SAM output by `ledgerbridge.package`.

Checks that the merged template lints clean (cfn-lint, offline), that its tables are the PynamoDB models'
tables, and that every function the Chalice app declares is deployed with the Ledgerbridge role, its name, log
group and environment. What the roles allow is checked by test_role_permissions.py. Packaging runs `chalice
package` with no requirements (`template_only`): about a second, no network.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.aws import (
    ChannelSchedules,
)
from chalicelib.dal.models import (
    ALL_MODELS,
    FetchRunModel,
    SyncRunModel,
    TicketModel,
)
from chalicelib.settings import Settings
from ledgerbridge import package
from tests.infra.recorded_calls import _record
from tests.infra.template_reading import (
    CONSUMERS,
    FETCH_FUNCTION,
    LONG_RUNNING,
    LONG_TIMEOUT,
    OWNER_ID,
    ROLE,
    ROLE_REF,
    SCHEDULER_ROLE,
    _app_functions,
    _arns,
    _function_named,
    _functions,
    _iam_match,
    _keys,
    _lint,
    _resolve,
    _resources,
    _statements,
    _table_for,
    _table_resource,
    _variables,
)
from tests.paths import REPO

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


def test_every_function_runs_on_arm64(merged: dict[str, Any]) -> None:
    """Graviton: 20% less per GB-second (bench/cost.py prices it); the zip's native libraries are checked to
    match at packaging (tests/infra/test_package_architecture.py)."""
    functions = _functions(merged)
    assert functions
    assert {name: f["Properties"].get("Architectures") for name, f in functions.items()} == {
        name: ["arm64"] for name in functions
    }


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
