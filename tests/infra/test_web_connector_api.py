"""The Web Connector's front door in the template: an HTTP API whose one route invokes the `web_connector`
function with payload format 1.0 (what chalicelib/api/web_connector_gateway.py reads), throttled, mapped
under `qbwc` on the custom domain, and named by every function's settings as the .qwc files' AppURL.

Moto's CloudFormation cannot create `AWS::ApiGatewayV2::*` resources (it skips them; tests/infra/sam_moto.py),
so their properties are also sent to moto's API Gateway v2 API, whose botocore model checks their shapes.
"""

from __future__ import annotations

from typing import Any

import boto3

from tests.infra.template_reading import _functions, _resources, _variables
from tests.infra.test_watch import _deep

DOMAIN = "qbwc.example.com"


def _one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = _resources(template, kind).items()
    return found


def test_every_request_goes_to_the_web_connector_function_as_payload_1_0(merged: dict[str, Any]) -> None:
    api_name, api = _one(merged, "AWS::ApiGatewayV2::Api")
    assert api["Properties"]["ProtocolType"] == "HTTP"
    _, route = _one(merged, "AWS::ApiGatewayV2::Route")
    integration_name, integration = _one(merged, "AWS::ApiGatewayV2::Integration")
    assert route["Properties"]["RouteKey"] == "$default"
    assert route["Properties"]["ApiId"] == {"Ref": api_name}
    assert route["Properties"]["Target"] == {"Fn::Sub": "integrations/${" + integration_name + "}"}
    props = integration["Properties"]
    assert props["IntegrationType"] == "AWS_PROXY" and props["PayloadFormatVersion"] == "1.0"
    assert props["IntegrationUri"] == {"Fn::GetAtt": ["WebConnector", "Arn"]}
    assert merged["Resources"]["WebConnector"]["Properties"]["Handler"] == "app.web_connector"
    # Within the Lambda proxy limit of 29 s and the function's own timeout.
    assert props["TimeoutInMillis"] <= merged["Resources"]["WebConnector"]["Properties"]["Timeout"] * 1000


def test_the_front_door_is_throttled_by_the_web_connector_parameters(merged: dict[str, Any]) -> None:
    _, stage = _one(merged, "AWS::ApiGatewayV2::Stage")
    settings = stage["Properties"]["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "WebConnectorThrottleRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "WebConnectorThrottleBurstLimit"}
    assert stage["Properties"]["StageName"] == "$default" and stage["Properties"]["AutoDeploy"] is True


def test_only_this_api_may_invoke_the_function(merged: dict[str, Any]) -> None:
    permissions = [
        p["Properties"]
        for p in _resources(merged, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Ref": "WebConnector"}
    ]
    (permission,) = permissions
    variables = _variables(merged)
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert _deep(permission["SourceArn"], variables) == (
        f"arn:aws:execute-api:us-east-1:123456789012:{variables['WebConnectorApi']}/*"
    )


def test_every_function_and_the_output_name_the_front_door(merged: dict[str, Any]) -> None:
    variables = _variables(merged)
    with_domain = _variables(merged, DomainName=DOMAIN)
    api_url = f"https://{variables['WebConnectorApi']}.execute-api.us-east-1.amazonaws.com"
    for name, function in _functions(merged).items():
        setting = function["Properties"]["Environment"]["Variables"]["LEDGERBRIDGE_WEB_CONNECTOR_BASE_URL"]
        assert _deep(setting, variables, {"HasCustomDomain": False}) == api_url, name
        assert _deep(setting, with_domain, {"HasCustomDomain": True}) == f"https://{DOMAIN}", name
    output = merged["Outputs"]["WebConnectorUrl"]["Value"]
    assert _deep(output, variables, {"HasCustomDomain": False}) == f"{api_url}/qbwc"
    # Behind the custom domain, AppURL stays what the REST API's custom domain gave merchants already paired.
    assert _deep(output, with_domain, {"HasCustomDomain": True}) == f"https://{DOMAIN}/qbwc"


def test_the_custom_domain_maps_qbwc_to_the_front_door_and_the_rest_to_the_api(
    merged: dict[str, Any],
) -> None:
    _, mapping = _one(merged, "AWS::ApiGatewayV2::ApiMapping")
    assert mapping["Condition"] == "HasCustomDomain"
    props = mapping["Properties"]
    assert props["ApiMappingKey"] == "qbwc" and props["DomainName"] == {"Ref": "ApiDomainName"}
    assert props["ApiId"] == {"Ref": "WebConnectorApi"} and props["Stage"] == {"Ref": "WebConnectorStage"}
    (rest_mapping,) = _resources(merged, "AWS::ApiGateway::BasePathMapping").values()
    assert "BasePath" not in rest_mapping["Properties"]  # the empty mapping: every other path


def test_moto_api_gateway_v2_accepts_the_front_door(aws: str, merged: dict[str, Any]) -> None:
    variables = _variables(merged)
    client = boto3.client("apigatewayv2")
    resources = merged["Resources"]
    api = client.create_api(**_deep(resources["WebConnectorApi"]["Properties"], variables))
    variables["WebConnectorApi"] = api["ApiId"]
    integration = client.create_integration(
        **_deep(resources["WebConnectorIntegration"]["Properties"], variables)
    )
    variables["WebConnectorIntegration"] = integration["IntegrationId"]
    route = client.create_route(**_deep(resources["WebConnectorRoute"]["Properties"], variables))
    stage = client.create_stage(**_deep(resources["WebConnectorStage"]["Properties"], variables))
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    assert integration["PayloadFormatVersion"] == "1.0" and stage["StageName"] == "$default"
    client.create_domain_name(DomainName=DOMAIN)
    variables |= {"ApiDomainName": DOMAIN, "WebConnectorStage": stage["StageName"]}
    mapping = client.create_api_mapping(**_deep(resources["WebConnectorApiMapping"]["Properties"], variables))
    assert mapping["ApiMappingKey"] == "qbwc" and mapping["ApiId"] == api["ApiId"]
