"""The cost benchmark runs at a tiny scale and its bill adds up: each service's dollars are its quantities at the
prices in bench/cost.py, the total is their sum, and an idle poll's authenticate makes at most two DynamoDB calls.
No figure is compared with a fixed dollar amount (the bill moves with the code); the item-size rules are checked
on their own."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from types import ModuleType

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


def test_alarms_are_billed_per_metric_they_watch_and_every_metric_written_counts() -> None:
    from chalicelib.observability import BusinessMetric

    # The function alarms sum one metric per function: more billed metrics than alarms.
    assert cost._alarm_metrics() > cost._count_in_template("AWS::CloudWatch::Alarm")
    assert cost._custom_metrics() >= len(BusinessMetric)
