"""Limits on the public surface: API Gateway throttling, reserved concurrency, the login-failure alarm (in the
merged template), and the request-size limit the app enforces on every route (API Gateway cannot)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.api.http import MAX_JSON_BYTES
from chalicelib.observability import SERVICE, BusinessMetric
from chalicelib.qbwc.soap import MAX_BODY_BYTES
from tests.infra.template_reading import _functions, _resources
from tests.paths import REPO


def _param_default(template: dict[str, Any], ref: Any) -> int:
    assert isinstance(ref, dict) and set(ref) == {"Ref"}, ref
    return int(template["Parameters"][ref["Ref"]]["Default"])


def test_the_stage_is_throttled_and_the_web_connector_endpoint_more_tightly(merged: dict[str, Any]) -> None:
    api = merged["Resources"]["RestAPI"]
    assert api["Type"] == "AWS::Serverless::Api"
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in api["Properties"]["MethodSettings"]}
    stage = settings[("/*", "*")]
    soap = settings[("/~1qbwc", "POST")]
    rate, burst = (
        _param_default(merged, stage["ThrottlingRateLimit"]),
        _param_default(merged, stage["ThrottlingBurstLimit"]),
    )
    soap_rate = _param_default(merged, soap["ThrottlingRateLimit"])
    soap_burst = _param_default(merged, soap["ThrottlingBurstLimit"])
    assert 0 < rate <= burst and 0 < soap_rate <= soap_burst
    assert soap_rate <= rate and soap_burst <= burst
    # Chalice's generated definition still has the /qbwc POST route the setting names
    assert "/qbwc" in api["Properties"]["DefinitionBody"]["paths"]


def test_every_function_has_reserved_concurrency_from_a_parameter(merged: dict[str, Any]) -> None:
    functions = _functions(merged)
    assert len(functions) >= 5
    reserved = 0
    for name, fn in functions.items():
        setting = fn["Properties"].get("ReservedConcurrentExecutions")
        assert isinstance(setting, dict) and "Fn::If" in setting, f"{name} has no reserved concurrency"
        condition, value, otherwise = setting["Fn::If"]
        assert otherwise == {"Ref": "AWS::NoValue"}
        assert condition in merged["Conditions"]
        default = _param_default(merged, value)
        assert default > 0, name
        reserved += default
    # AWS keeps 100 of an account's (default 1,000) concurrency unreserved: the defaults must fit
    assert reserved <= 1_000 - 100
    api = functions["APIHandler"]["Properties"]["ReservedConcurrentExecutions"]["Fn::If"][1]
    assert _param_default(merged, api) >= 10


def test_zero_means_no_reservation(merged: dict[str, Any]) -> None:
    for condition in ("HasApiReservation", "HasWorkerReservation"):
        test = merged["Conditions"][condition]
        assert test["Fn::Not"][0]["Fn::Equals"][1] == "0"


def test_the_login_failure_alarm_watches_the_metric_the_code_emits(merged: dict[str, Any]) -> None:
    alarms = _resources(merged, "AWS::CloudWatch::Alarm")
    alarm = next(
        a["Properties"]
        for a in alarms.values()
        if a["Properties"].get("MetricName") == "WebConnectorLoginFailed"
    )
    config = json.loads((REPO / ".chalice" / "config.json").read_text())
    assert alarm["Namespace"] == config["environment_variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE}]
    assert alarm["Statistic"] == "Sum" and alarm["TreatMissingData"] == "notBreaching"
    assert _param_default(merged, alarm["Threshold"]) > 0
    # the name the sign-in counts every refusal under (tests/service/test_login_lockout.py counts them)
    assert alarm["MetricName"] == BusinessMetric.LOGIN_FAILED.value
    # that every entry point flushes what the call added: tests/infra/test_watch.py


def _routes(app: Any) -> list[tuple[str, str]]:
    return sorted((path, method) for path, methods in app.routes.items() for method in methods)


@pytest.fixture(scope="module")
def client(aws: str, chalice_app: Any) -> Any:
    with Client(chalice_app) as c:
        yield c


def _send(client: Any, path: str, method: str, size: int) -> Any:
    url = re.sub(r"{\w+}", "x", path)
    content_type = "text/xml; charset=utf-8" if path == "/qbwc" and method == "POST" else "application/json"
    body = b"{" + b" " * (size - 2) + b"}"
    return getattr(client.http, method.lower())(
        url, headers={"Content-Type": content_type, "Authorization": "Bearer lbk_nobody"}, body=body
    )


def test_every_route_refuses_a_body_over_its_limit_before_its_view(client: Any, chalice_app: Any) -> None:
    routes = _routes(chalice_app)
    assert ("/qbwc", "POST") in routes and len(routes) > 20
    for path, method in routes:
        soap = path == "/qbwc"
        limit = MAX_BODY_BYTES if soap else MAX_JSON_BYTES
        response = _send(client, path, method, limit + 1)
        text = response.body.decode()
        if soap:
            assert response.status_code == 500, (path, method)  # SOAP 1.1: a fault is an HTTP 500
            assert "<faultcode>soap:Client</faultcode>" in text and "the limit is" in text, text
        else:
            assert response.status_code == 413, (path, method, response.status_code, text[:200])
            assert json.loads(text)["error"] == "payload_too_large"
        assert response.headers.get("X-Content-Type-Options") == "nosniff"


def test_a_body_at_the_limit_reaches_the_view(client: Any) -> None:
    at_limit = _send(client, "/api/v1/connections", "POST", MAX_JSON_BYTES)
    assert at_limit.status_code == 401  # the view ran: it asked for a valid key
    soap = _send(client, "/qbwc", "POST", 100)
    assert "the limit is" not in soap.body.decode()
