"""The cost benchmark runs at a tiny scale and its bill adds up: each service's dollars are its quantities at the
prices in bench/cost.py, the total is their sum, and an idle poll's authenticate makes at most two DynamoDB calls.
No figure is compared with a fixed dollar amount (the bill moves with the code); the item-size rules are checked
on their own."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from tests.paths import REPO


def _cost_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_cost", REPO / "bench" / "cost.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_cost"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


cost = _cost_module()


def test_cost_benchmark_prints_a_bill_that_adds_up():
    done = subprocess.run(
        [
            sys.executable,
            "bench/cost.py",
            "--orders",
            "4",
            "--idle-polls",
            "4",
            "--idle-fetches",
            "2",
            "--inventory-polls",
            "2",
            "--inventory-items",
            "10",
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    bill = out["bill"]
    assert out["aim"] == cost.AIM_DOLLARS == 0.20
    services = {k: v for k, v in bill.items() if k != "total"}
    assert {
        "Lambda",
        "API Gateway (REST)",
        "API Gateway (HTTP API)",
        "DynamoDB",
        "SQS",
        "EventBridge Scheduler",
        "CloudWatch",
    } <= set(services)
    assert all(line["$"] >= 0 for line in services.values())
    assert bill["total"]["$"] == pytest.approx(sum(line["$"] for line in services.values()))
    assert bill["total"]["$"] > 0

    dynamodb = bill["DynamoDB"]
    assert dynamodb["WRU"] > 0 and dynamodb["RRU"] > 0 and dynamodb["calls"] > 0
    assert dynamodb["$"] == pytest.approx(
        dynamodb["WRU"] * cost.DYNAMODB_PER_WRU
        + dynamodb["RRU"] * cost.DYNAMODB_PER_RRU
        + dynamodb["GB stored"] * (cost.DYNAMODB_STORAGE_PER_GB_MONTH + cost.DYNAMODB_PITR_PER_GB_MONTH)
    )
    gateway = bill["API Gateway (REST)"]
    assert gateway["$"] == pytest.approx(gateway["requests"] * cost.API_GATEWAY_REST_PER_REQUEST)
    # The Web Connector's calls go through its HTTP API, each metered in 512 KB units (at least one).
    front_door = bill["API Gateway (HTTP API)"]
    assert front_door["requests"] > gateway["requests"] > 0
    assert front_door["metered"] >= front_door["requests"]
    assert front_door["$"] == pytest.approx(front_door["metered"] * cost.API_GATEWAY_HTTP_PER_REQUEST)
    lam = bill["Lambda"]
    # priced for the deployed functions' architecture (arm64: 20% less per GB-s than x86_64)
    assert cost.LAMBDA_ARCHITECTURE == "arm64"
    assert (
        pytest.approx(0.8 * cost.LAMBDA_PER_GB_SECOND_BY_ARCHITECTURE["x86_64"], rel=1e-4)
        == cost.LAMBDA_PER_GB_SECOND
    )
    assert lam["requests"] == pytest.approx(
        gateway["requests"] + front_door["requests"] + cost.FETCHES_PER_MONTH * cost.CHANNELS
    )
    assert lam["$"] == pytest.approx(
        lam["requests"] * cost.LAMBDA_PER_REQUEST + lam["GB-s"] * cost.LAMBDA_PER_GB_SECOND
    )
    assert bill["SQS"]["$"] == pytest.approx(bill["SQS"]["requests"] * cost.SQS_PER_REQUEST)
    scheduler = bill["EventBridge Scheduler"]
    assert scheduler["invocations"] == cost.FETCHES_PER_MONTH * cost.CHANNELS
    assert scheduler["$"] == pytest.approx(scheduler["invocations"] * cost.SCHEDULER_PER_INVOCATION)

    assert out["authenticate_dynamodb_calls"] <= 2
    assert out["idle_poll_calls"]["sqs:GetQueueAttributes"] == 1  # the queue's count, once per poll
    assert "aim: <= $0.20 per merchant-month" in done.stdout
    # the same month with a store's quantities pushed from QuickBooks: every poll a session, dearer than idle
    inventory = out["with_inventory"]
    assert inventory["total"]["$"] > bill["total"]["$"]
    assert inventory["DynamoDB"]["WRU"] > bill["DynamoDB"]["WRU"]
    assert "also pushing QuickBooks quantities to one store" in done.stdout


def test_alarms_are_billed_per_metric_they_watch_and_every_metric_written_counts() -> None:
    from chalicelib.observability import BusinessMetric

    # The function alarms sum one metric per function: more billed metrics than alarms.
    assert cost._alarm_metrics() > cost._count_in_template("AWS::CloudWatch::Alarm")
    assert cost._custom_metrics() >= len(BusinessMetric)


class _Tables:
    """Stands in for the meter's uncounted view of the tables: a payloads-like table with no index, empty before."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def table(self, name: str) -> Any:
        return sys.modules["aws_meter"].Table(name, ("payload_key", "part"), ())

    def key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in ("payload_key", "part")}

    def current(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.items.get(key["payload_key"]["S"])

    def write_cost(self, table: str, before: Any, after: Any) -> int:
        return sys.modules["aws_meter"].Capacity.write_cost(self, table, before, after)


@pytest.mark.parametrize("operation", ["PutItem", "BatchWriteItem", "TransactWriteItems"])
def test_every_kind_of_write_is_billed_by_the_size_of_what_it_writes(operation: str) -> None:
    meter = sys.modules["aws_meter"]
    tables = _Tables()
    aws = meter.AwsCost(tables)
    item = {"payload_key": {"S": "set#c#1"}, "part": {"N": "0"}, "data": {"B": b"x" * 1500}}
    params: dict[str, Any] = {
        "PutItem": {"TableName": "payloads", "Item": item},
        "BatchWriteItem": {"RequestItems": {"payloads": [{"PutRequest": {"Item": item}}]}},
        "TransactWriteItems": {"TransactItems": [{"Put": {"TableName": "payloads", "Item": item}}]},
    }[operation]
    model = SimpleNamespace(name=operation, service_model=SimpleNamespace(service_name="dynamodb"))
    context: dict[str, Any] = {}
    aws._before(params=params, model=model, context=context)
    tables.items["set#c#1"] = item  # what the call wrote
    aws._after(parsed={}, context=context)
    units = 2 * (2 if operation == "TransactWriteItems" else 1)  # 1.5 KB: two units; a transaction twice that
    assert aws.wru == units
    assert aws.wru_by_write == {f"payloads {operation}": units}
