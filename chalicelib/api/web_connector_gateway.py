"""The Web Connector's own front door in AWS: an API Gateway HTTP API (infra/template.yaml, `WebConnectorApi`)
whose one `$default` route invokes the `web_connector` function (app.py) with payload format 1.0.

Why a second front door: the Web Connector makes nearly every request the service gets (serverVersion,
clientVersion, authenticate and closeConnection on every poll, a poll every few minutes per company file),
and an HTTP API costs $1.00 per million requests against the REST API's $3.50 ("Amazon API Gateway
Pricing"; bench/cost.py prints the month). The REST API keeps `/qbwc` too, so a Web Connector paired with its
URL before keeps working.

Payload format 1.0 is the REST API's event shape ("Working with AWS Lambda proxy integrations for HTTP APIs",
API Gateway developer guide: `resource`, `path`, `httpMethod`, `headers`, `multiValueHeaders`,
`queryStringParameters`, `multiValueQueryStringParameters`, `requestContext` with `identity.sourceIp`,
`body`, `isBase64Encoded`), and its answer format is the REST API's too. So the request is handed to the same
Chalice app, with the same middleware and views, once it names the route it means: Chalice routes on
`requestContext.resourcePath`, which an HTTP API sets to its route key, not to the app's route.

The paths it answers: the HTTP API's own endpoint has `/qbwc`; behind a custom domain the API is mapped
under the key `qbwc` (https://<domain>/qbwc), and API Gateway strips the key, so the same call arrives at `/`.
Both are the SOAP endpoint (POST calls, GET its WSDL). `/support` (with its stylesheet) is there because the
.qwc's AppSupport must be on AppURL's host (chalicelib/qbwc/qwc.py). Anything else is a 404 that never
reaches the app: the REST API and the dashboard are not behind this door.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

__all__ = ["ROUTES", "answer", "as_rest_event", "route_of"]

# The path as it arrives (without surrounding slashes) -> the app's route and its path parameters.
ROUTES: Final[Mapping[str, tuple[str, dict[str, str] | None]]] = MappingProxyType(
    {
        "": ("/qbwc", None),
        "qbwc": ("/qbwc", None),
        "support": ("/support", None),
        "dashboard/app.css": ("/dashboard/{name}", {"name": "app.css"}),
    }
)
NOT_FOUND: Final = (
    "Not found. This is the QuickBooks Web Connector endpoint of Ledgerbridge: the Web Connector's calls go to "
    "/qbwc.\n"
)

RestHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def route_of(event: Mapping[str, Any]) -> tuple[str, dict[str, str] | None] | None:
    """The app's route for an HTTP API request, or None when the front door has none for its path."""
    context = event.get("requestContext")
    path = event.get("path")
    if not isinstance(path, str) and isinstance(context, Mapping):
        path = context.get("path")
    if not isinstance(path, str):
        return None
    return ROUTES.get(path.strip("/"))


def as_rest_event(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The REST API event the app routes, for an HTTP API request in payload format 1.0 (None: no route)."""
    found = route_of(event)
    if found is None:
        return None
    route, path_parameters = found
    raw_context = event.get("requestContext")
    context = dict(raw_context) if isinstance(raw_context, Mapping) else {}
    method = event.get("httpMethod") or context.get("httpMethod") or ""
    context["resourcePath"] = route
    context["httpMethod"] = str(method).upper()
    return {
        **event,
        "resource": route,
        "requestContext": context,
        "headers": event.get("headers") or {},
        "multiValueQueryStringParameters": event.get("multiValueQueryStringParameters"),
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": event.get("stageVariables"),
        "body": event.get("body"),
        "isBase64Encoded": bool(event.get("isBase64Encoded")),
    }


def answer(app: RestHandler, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The app's answer to an HTTP API request (payload format 1.0 in, the REST API's answer format out)."""
    rest_event = as_rest_event(event)
    if rest_event is None:
        return {
            "statusCode": 404,
            "headers": {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
            "body": NOT_FOUND,
            "isBase64Encoded": False,
        }
    return app(rest_event, context)
