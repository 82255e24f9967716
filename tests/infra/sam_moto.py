"""The packaged template, made creatable on moto's CloudFormation.

1. The SAM transform: CloudFormation runs `AWS::Serverless-2016-10-31` on its side; moto does not (it fails on
   `AWS::Serverless::*` resources), so `sam_translate` runs aws-sam-translator, the library CloudFormation's
   SAM transform is built from, on the template first. Its output is the plain CloudFormation the stack gets.
2. What moto cannot create, removed by `for_moto` with the reason (`MOTO_GAPS`), and what covers it instead:
   * `AWS::ApiGateway::Deployment` and `AWS::ApiGateway::Stage`: moto's RestApi resource ignores the OpenAPI
     `Body` (Chalice's routes), so the deployment fails with "The REST API doesn't contain any methods".
     Covered by cfn-lint (tests/infra/test_template.py) and by the routes themselves, served by `chalice
     local` in the end-to-end tests; `EndpointURL` (which names only the RestApi) still resolves.
   * `AWS::CloudWatch::Dashboard`: its body's `Fn::Sub` names the alarms' ARNs, and moto creates no alarm
     (below), so the substitution fails; the output naming the dashboard goes with it.
   * Moto creates no physical resource (and says "No Moto CloudFormation support") for
     `AWS::CloudWatch::Alarm`, `AWS::CloudWatch::Dashboard`, `AWS::Scheduler::ScheduleGroup`,
     `AWS::Lambda::EventInvokeConfig`, `AWS::SNS::Subscription`, the Web Connector's HTTP API
     (`AWS::ApiGatewayV2::*`: tests/infra/test_web_connector_api.py checks it and sends it to moto's API
     Gateway v2 API) and the optional custom domain. They stay in
     the template (moto skips them); tests/infra/test_watch.py checks the alarms and the dashboard statically
     against the resources they name, and sends each alarm to moto's CloudWatch API (`put_metric_alarm`) and
     the dashboard body to `put_dashboard`, so botocore's service model validates their shapes.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

# Resource types moto's CloudFormation cannot create, and why (see the module docstring).
MOTO_GAPS = {
    "AWS::ApiGateway::Deployment": "moto ignores the RestApi's OpenAPI Body: 'doesn't contain any methods'",
    "AWS::ApiGateway::Stage": "needs the Deployment above",
    "AWS::CloudWatch::Dashboard": "its body names the alarms' ARNs, and moto creates no alarm to name",
}


class _NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs only when a function lists `Policies`; ours do not."""

    def load(self) -> dict[str, str]:
        return {}


def sam_translate(template: dict[str, Any], parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """`template` after the SAM transform (aws-sam-translator), as CloudFormation would run it (the region of
    the pseudo parameters is the environment's, AWS_DEFAULT_REGION in the tests)."""
    from samtranslator.translator.transform import transform

    translated: dict[str, Any] = transform(
        copy.deepcopy(template), dict(parameters or {}), _NoManagedPolicies()
    )
    return translated


def for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """A translated template without what moto cannot create (`MOTO_GAPS`)."""
    moto = copy.deepcopy(template)
    dropped = {name for name, r in moto["Resources"].items() if r.get("Type") in MOTO_GAPS}
    for name in dropped:
        del moto["Resources"][name]
    for output in [k for k, v in moto.get("Outputs", {}).items() if _names_any(v, dropped)]:
        del moto["Outputs"][output]
    for resource in moto["Resources"].values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d not in dropped]
        elif depends in dropped:
            del resource["DependsOn"]
    return moto


def _names_any(node: Any, names: set[str]) -> bool:
    text = json.dumps(node)
    return any(re.search(rf'"{n}"|\$\{{{n}[.}}]', text) for n in names)


def sam_for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """The transform `ledgerbridge.deploy.upload_artifacts` applies in tests."""
    return for_moto(sam_translate(template))
