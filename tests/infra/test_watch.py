"""Watched (issue 12, part 3): the alarms and the dashboard of the merged template point at real resources and
at the metrics the code writes; moto's CloudWatch accepts them; the entry points flush their metrics with the
Lambda context and a correlation id in the log; the dead-letter watch, `redrive` and `ledgerbridge dlq` work on
the embedded AWS.

moto's CloudFormation creates no alarm or dashboard (tests/infra/sam_moto.py), so each alarm, resolved as
CloudFormation would resolve it, goes to moto's CloudWatch API (`put_metric_alarm`: botocore validates the
shape against the service model) and the dashboard body to `put_dashboard`.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from chalicelib.observability import SERVICE, BusinessMetric, invocation, logger
from chalicelib.settings import Settings, get_settings
from tests.infra.template_reading import PSEUDO, _functions, _resources, _variables

NAMESPACE = "Ledgerbridge"
EMITTED = {m.value for m in BusinessMetric}  # every metric the code writes (tests/unit/test_metric_names.py)


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in _resources(template, "AWS::CloudWatch::Alarm").items()}


def _all_variables(template: dict[str, Any]) -> dict[str, str]:
    """`_variables` plus what alarms and the dashboard name: alarms, the topic, the API, queue names."""
    variables = _variables(template)
    head = f"arn:aws:{{}}:{PSEUDO['AWS::Region']}:{PSEUDO['AWS::AccountId']}:"
    for name, resource in template["Resources"].items():
        kind, props = resource.get("Type"), resource.get("Properties", {})
        if kind == "AWS::CloudWatch::Alarm":
            variables[f"{name}.Arn"] = (
                head.format("cloudwatch") + "alarm:" + _deep(props["AlarmName"], variables)
            )
        elif kind == "AWS::SNS::Topic":
            variables[name] = head.format("sns") + _deep(props["TopicName"], variables)
        elif kind == "AWS::CloudWatch::Dashboard":
            variables[name] = _deep(props["DashboardName"], variables)
    variables["RestAPI"] = "abc123"
    return variables


def _deep(node: Any, variables: dict[str, str], conditions: dict[str, bool] | None = None) -> Any:
    """`node` with Ref, Fn::GetAtt, Fn::Sub and Fn::If resolved (every name must be known)."""
    if isinstance(node, list):
        items = [_deep(item, variables, conditions) for item in node]
        return [item for item in items if item is not None]
    if not isinstance(node, dict):
        return node
    if list(node) == ["Ref"]:
        return None if node["Ref"] == "AWS::NoValue" else variables[node["Ref"]]
    if list(node) == ["Fn::GetAtt"]:
        return variables[".".join(node["Fn::GetAtt"])]
    if list(node) == ["Fn::Sub"]:
        return re.sub(r"\$\{([^}!]+)\}", lambda m: variables[m.group(1)], node["Fn::Sub"])
    if list(node) == ["Fn::If"]:
        name, yes, no = node["Fn::If"]
        return _deep(yes if (conditions or {}).get(name, False) else no, variables, conditions)
    return {key: _deep(value, variables, conditions) for key, value in node.items()}


def _metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    if "MetricName" in alarm:
        return [
            {
                "Namespace": alarm["Namespace"],
                "MetricName": alarm["MetricName"],
                "Dimensions": alarm["Dimensions"],
            }
        ]
    return [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]


# --- alarms ----------------------------------------------------------------------------------------


def test_the_issue_s_alarms_exist(merged: dict[str, Any]) -> None:
    alarms = _alarms(merged)
    watched = {(m["Namespace"], m["MetricName"]) for a in alarms.values() for m in _metric_stats(a)}
    assert ("AWS/ApiGateway", "5XXError") in watched
    assert {("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles")} <= watched
    assert ("AWS/SQS", "ApproximateAgeOfOldestMessage") in watched
    assert (NAMESPACE, "DeadLetterMessages") in watched and (NAMESPACE, "WebConnectorLoginFailed") in watched
    queries = [m["Expression"] for a in alarms.values() for m in a.get("Metrics", []) if "Expression" in m]
    assert any("AWS/DynamoDB" in q and "ThrottledRequests" in q for q in queries)


def test_every_alarm_notifies_the_topic_and_the_email_subscribes_to_it(merged: dict[str, Any]) -> None:
    for name, alarm in _alarms(merged).items():
        assert {"Ref": "AlarmTopic"} in alarm["AlarmActions"], name
        assert alarm["AlarmName"]["Fn::Sub"].startswith("${ResourcePrefix}"), name  # one set per stage
    subscription = merged["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }


def test_function_alarms_cover_every_function_by_reference(merged: dict[str, Any]) -> None:
    functions = set(_functions(merged))
    assert {"DeadLetterWatch", "DailySummary", "WebConnector"} <= functions and len(functions) == 8
    for metric_name in ("Errors", "Throttles"):
        named = {
            m["Dimensions"][0]["Value"]["Ref"]
            for a in _alarms(merged).values()
            for m in _metric_stats(a)
            if m["MetricName"] == metric_name and m["Namespace"] == "AWS/Lambda"
        }
        assert named == functions, metric_name


def test_alarm_dimensions_name_resources_of_the_template(merged: dict[str, Any]) -> None:
    variables = _all_variables(merged)
    api_name = _deep(merged["Resources"]["RestAPI"]["Properties"]["Name"], variables)
    queues = {v for k, v in variables.items() if k.endswith(".QueueName")}
    for name, alarm in _alarms(merged).items():
        for metric in _metric_stats(alarm):
            dims = {d["Name"]: _deep(d["Value"], variables) for d in metric["Dimensions"]}
            if metric["Namespace"] == "AWS/ApiGateway" and "ApiId" in dims:  # an HTTP API's metrics
                assert dims == {"ApiId": variables["WebConnectorApi"], "Stage": "$default"}, name
                assert metric["MetricName"] in ("5xx", "4xx", "Count", "Latency"), name
            elif metric["Namespace"] == "AWS/ApiGateway":
                assert dims == {"ApiName": api_name, "Stage": "api"}, name
            elif metric["Namespace"] == "AWS/SQS":
                assert dims["QueueName"] in queues, name
            elif metric["Namespace"] == NAMESPACE:
                assert dims == {"service": SERVICE} and metric["MetricName"] in EMITTED, name


def test_dead_letter_alarm_also_fires_when_the_watch_stops(merged: dict[str, Any]) -> None:
    alarm = _alarms(merged)["DeadLettersAlarm"]
    assert alarm["TreatMissingData"] == "breaching"
    # the watch writes every WATCH_MINUTES: a period of several runs tolerates a late one
    from chalicelib.events.dead_letters import WATCH_MINUTES

    assert alarm["Period"] >= 2 * WATCH_MINUTES * 60
    events = merged["Resources"]["DeadLetterWatch"]["Properties"]["Events"]
    (schedule,) = events.values()
    assert schedule["Properties"]["Schedule"] == f"rate({WATCH_MINUTES} minutes)"


def test_moto_cloudwatch_accepts_every_alarm_and_the_dashboard(aws: str, merged: dict[str, Any]) -> None:
    variables = _all_variables(merged)
    cloudwatch = boto3.client("cloudwatch")
    for name, alarm in _alarms(merged).items():
        resolved = _deep(alarm, variables, {"HasAlarmTopic": False})
        cloudwatch.put_metric_alarm(**resolved)
        (described,) = cloudwatch.describe_alarms(AlarmNames=[resolved["AlarmName"]])["MetricAlarms"]
        assert described["AlarmActions"] == [variables["AlarmTopic"]], name
    dashboard = _deep(merged["Resources"]["OperationsDashboard"]["Properties"], variables)
    cloudwatch.put_dashboard(**dashboard)
    assert cloudwatch.get_dashboard(DashboardName=dashboard["DashboardName"])["DashboardBody"]


# --- dashboard -------------------------------------------------------------------------------------


def test_dashboard_is_json_and_shows_the_business_figures_and_every_alarm(merged: dict[str, Any]) -> None:
    variables = _all_variables(merged)
    body = json.loads(
        _deep(merged["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"], variables)
    )
    widgets = body["widgets"]
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    assert set(alarm_widget["properties"]["alarms"]) == {variables[f"{n}.Arn"] for n in _alarms(merged)}
    shown = {
        tuple(m[:2])
        for w in widgets
        if w["type"] == "metric"
        for m in w["properties"]["metrics"]
        if isinstance(m[0], str)
    }
    business = {name for namespace, name in shown if namespace == NAMESPACE}
    assert business <= EMITTED
    assert business == EMITTED  # each metric paid for is shown
    functions = {variables[f] for f in _functions(merged)}
    errors = {
        m[3]
        for w in widgets
        if w["type"] == "metric"
        for m in w["properties"]["metrics"]
        if m[:2] == ["AWS/Lambda", "Errors"]
    }
    assert errors == functions
    assert all(w["properties"].get("region", PSEUDO["AWS::Region"]) == PSEUDO["AWS::Region"] for w in widgets)


# --- metrics flushed, with the Lambda context and a correlation id ---------------------------------


class _Context:
    function_name = "ledgerbridge-prod-store_push"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ledgerbridge-prod-store_push"
    aws_request_id = "req-1"


def _emf(out: str) -> list[dict[str, Any]]:
    """The EMF lines Powertools printed, each metric's values summed (EMF writes a list per metric)."""
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]
    return [{k: sum(v) if isinstance(v, list) else v for k, v in line.items()} for line in lines]


def test_store_push_entry_point_flushes_its_metrics_with_context_and_channel(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalice.app import SQSEvent

    from chalicelib.events import store_push

    seen: dict[str, Any] = {}

    def push(body: dict[str, Any]) -> dict[str, int]:
        seen.update(logger.get_current_keys(), correlation_id=logger.get_correlation_id())
        if body["what"] == "boom":
            raise RuntimeError("store down")
        return {"pushed": 1}

    monkeypatch.setattr(store_push, "handle_push", push)
    event = {
        "Records": [
            {
                "body": json.dumps({"channel_id": "chn_1", "what": "inventory"}),
                "receiptHandle": "r",
                "messageId": "m",
                "attributes": {},
                "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
            }
        ]
    }
    store_push.store_push.func(SQSEvent(event, _Context()))  # type: ignore[attr-defined]
    assert seen["correlation_id"] == "chn_1" and seen["function_request_id"] == "req-1"
    assert seen["entry_point"] == "store_push" and seen["cold_start"] in (True, False)
    (line,) = _emf(capsys.readouterr().out)
    assert line["StorePushes"] == 1 and line["service"] == SERVICE and "StorePushesFailed" not in line
    # keys do not outlive the invocation (a warm container serves the next one)
    assert "function_request_id" not in logger.get_current_keys() and logger.get_correlation_id() is None

    failing = {
        "Records": [{**event["Records"][0], "body": json.dumps({"channel_id": "chn_2", "what": "boom"})}]
    }
    with pytest.raises(RuntimeError):
        store_push.store_push.func(SQSEvent(failing, _Context()))  # type: ignore[attr-defined]
    (line,) = _emf(capsys.readouterr().out)  # flushed although the push raised
    assert line["StorePushes"] == 1 and line["StorePushesFailed"] == 1


def test_fetch_entry_point_counts_runs_that_ended(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib.events import fetch as events

    views = iter([{"state": "failed"}, {"state": "running"}, {"state": "done"}])
    monkeypatch.setattr(events.fetch, "scheduled_fetch", lambda channel_id, budget: object())
    monkeypatch.setattr(events.fetch, "run_view", lambda run: next(views))
    monkeypatch.setattr(events.fetch.Budget, "for_lambda", classmethod(lambda cls, *a: None))
    counted = []
    for _ in range(3):
        events.fetch_channel.func._original_func({"channel_id": "chn_9"}, _Context())  # type: ignore[attr-defined]
        counted.append(_emf(capsys.readouterr().out))
    assert [c[0]["FetchRunsFailed"] for c in counted[:1]] == [1]
    assert counted[1] == []  # still running: nothing to count, nothing written
    assert counted[2][0]["FetchRuns"] == 1 and "FetchRunsFailed" not in counted[2][0]


def test_web_connector_sessions_and_orders_are_counted_when_a_session_ends() -> None:
    from chalicelib.api.metered_web_connector import ORDER_COUNTS, MeteredWebConnector
    from chalicelib.dal.tickets import Session
    from chalicelib.observability import metrics
    from chalicelib.sync.web_connector import WebConnectorService

    assert set(ORDER_COUNTS) == {"orders_synced", "orders_failed", "orders_retried"}
    ended: list[str] = []

    class _Base(WebConnectorService):
        def __init__(self) -> None:  # no storage: only `_end` is exercised
            pass

        def _end(self, session: Session, outcome: str, *, state: str = "closed") -> None:
            ended.append(outcome)

    class _Metered(MeteredWebConnector, _Base):
        pass

    session = Session(ticket="t", connection_id="c", tenant_id="x", created_at=None, expires_at=None)  # type: ignore[arg-type]
    session.summary = {"counts": {"orders_synced": 7, "orders_failed": 2}}
    metrics.clear_metrics()
    _Metered()._end(session, "failed")
    assert ended == ["failed"]
    added = {name: sum(values) for name, values in ((k, v["Value"]) for k, v in metrics.metric_set.items())}
    metrics.clear_metrics()
    assert added == {
        "WebConnectorSessions": 1,
        "WebConnectorSessionsFailed": 1,
        "OrdersSynced": 7,
        "OrdersFailed": 2,
    }


def test_invocation_without_a_lambda_context_still_flushes(capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib.observability import count

    with invocation("qbwc", None, "abcd1234"):
        assert logger.get_correlation_id() == "abcd1234"
        count(BusinessMetric.ROUND_TRIPS)
    (line,) = _emf(capsys.readouterr().out)
    assert line["RoundTrips"] == 1
    with invocation("qbwc", None, None):
        pass  # nothing added: no EMF line (Powertools would warn about an empty flush)
    assert _emf(capsys.readouterr().out) == []


# --- dead letters on the embedded AWS --------------------------------------------------------------


@pytest.fixture
def own_prefix(aws: str) -> Settings:
    """Settings whose queues are this test's alone."""
    return get_settings()._replace(queue_prefix=f"w{uuid.uuid4().hex[:8]}-")


def _queues(settings: Settings, *names: str) -> dict[str, str]:
    sqs = boto3.client("sqs")
    return {n: sqs.create_queue(QueueName=f"{settings.queue_prefix}{n}")["QueueUrl"] for n in names}


def test_watch_counts_every_dead_letter_queue_including_run_time_ones(
    own_prefix: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib.events.dead_letters import dead_letter_queues, watch

    urls = _queues(
        own_prefix, "conn-a", "conn-a-dlq", "conn-b", "conn-b-dlq", "channel-fetch", "channel-fetch-dlq"
    )
    sqs = boto3.client("sqs")
    for _ in range(2):
        sqs.send_message(QueueUrl=urls["conn-a-dlq"], MessageBody="{}")
    sqs.send_message(QueueUrl=urls["channel-fetch-dlq"], MessageBody="{}")
    queues = dead_letter_queues(own_prefix)
    assert [q.name.removeprefix(own_prefix.queue_prefix) for q in queues] == [
        "channel-fetch-dlq",
        "conn-a-dlq",
        "conn-b-dlq",
    ]
    assert [q.messages for q in queues] == [1, 2, 0]
    with invocation("dead_letter_watch", None, None):
        watch(own_prefix)
    (line,) = _emf(capsys.readouterr().out)
    assert line["DeadLetterMessages"] == 3 and "DeadLetterQueuesWithMessages" not in line

    _queues(own_prefix)  # nothing new
    empty = own_prefix._replace(queue_prefix=f"w{uuid.uuid4().hex[:8]}-")
    with invocation("dead_letter_watch", None, None):
        watch(empty)
    (line,) = _emf(capsys.readouterr().out)
    assert line["DeadLetterMessages"] == 0  # written anyway: the alarm needs a data point


def test_redrive_moves_messages_back_to_their_queue(own_prefix: Settings) -> None:
    from chalicelib.events.dead_letters import redrive

    urls = _queues(own_prefix, "conn-a", "conn-a-dlq")
    sqs = boto3.client("sqs")
    bodies = [json.dumps({"n": n}) for n in range(13)]
    for body in bodies:
        sqs.send_message(QueueUrl=urls["conn-a-dlq"], MessageBody=body)
    dlq = f"{own_prefix.queue_prefix}conn-a-dlq"
    assert redrive(dlq, limit=3, settings=own_prefix) == 3
    assert redrive(dlq, settings=own_prefix) == 10
    assert redrive(dlq, settings=own_prefix) == 0
    moved = []
    while batch := sqs.receive_message(QueueUrl=urls["conn-a"], MaxNumberOfMessages=10).get("Messages", []):
        moved += [m["Body"] for m in batch]
    assert sorted(moved) == sorted(bodies)
    for wrong in (f"{own_prefix.queue_prefix}conn-a", "someone-else-dlq"):
        with pytest.raises(ValueError, match="not a dead-letter queue"):
            redrive(wrong, settings=own_prefix)


def test_dlq_cli_lists_and_redrives(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.dal import configure
    from ledgerbridge.cli import main

    prefix = f"w{uuid.uuid4().hex[:8]}-"
    monkeypatch.setenv("LEDGERBRIDGE_RESOURCE_PREFIX", prefix)
    try:
        get_settings.cache_clear()
        urls = _queues(get_settings(), "store-push", "store-push-dlq")
        boto3.client("sqs").send_message(QueueUrl=urls["store-push-dlq"], MessageBody="{}")
        runner = CliRunner()
        listed = runner.invoke(main, ["dlq", "list"])
        assert listed.exit_code == 0, listed.output
        assert f"{prefix}store-push-dlq\t1 waiting\t0 in flight\tfrom {prefix}store-push" in listed.output
        moved = runner.invoke(main, ["dlq", "redrive", f"{prefix}store-push-dlq"])
        assert moved.exit_code == 0 and "1 message(s) moved" in moved.output, moved.output
        refused = runner.invoke(main, ["dlq", "redrive", f"{prefix}store-push"])
        assert refused.exit_code != 0 and "not a dead-letter queue" in refused.output
    finally:
        monkeypatch.delenv("LEDGERBRIDGE_RESOURCE_PREFIX")
        get_settings.cache_clear()
        configure(get_settings())


def test_daily_summary_runs_once_a_day_and_may_send_only_from_its_sender(merged: dict[str, Any]) -> None:
    function = merged["Resources"]["DailySummary"]["Properties"]
    (schedule,) = function["Events"].values()
    assert schedule["Properties"]["Schedule"] == "cron(0 7 * * ? *)"
    assert function["Environment"]["Variables"]["LEDGERBRIDGE_SUMMARY_FROM"] == {"Ref": "SummaryFromEmail"}
    statements = merged["Resources"]["LedgerbridgeLambdaRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    (mail,) = [s for s in statements if isinstance(s, dict) and s.get("Sid") == "DailySummaryMail"]
    assert mail["Action"] == "ses:SendEmail"
    assert mail["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SummaryFromEmail"}}}
