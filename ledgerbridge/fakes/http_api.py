"""An in-process stand-in for API Gateway's HTTP API in front of a Lambda function (payload format 1.0), for the
tests and benchmarks of the Web Connector's front door (chalicelib/api/web_connector_gateway.py).

What it models, from "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway" (API Gateway developer
guide, payload format 1.0): the event's `version`, `resource` (the route key, `$default` here), `path` (the
request path; with a custom domain it still holds the API mapping's key), `httpMethod`, lower-case `headers`
and `multiValueHeaders`, `queryStringParameters` and `multiValueQueryStringParameters` (None when there is
no query), `requestContext` (`httpMethod`, `path`, `stage` `$default`, `identity.sourceIp`, `domainName`,
`requestId`), `pathParameters`/`stageVariables` None, `body` and `isBase64Encoded`. A body that is not text
arrives base64-encoded, as API Gateway does for binary media. The function's answer is read in the same
format: `statusCode`, `headers`, `multiValueHeaders`, `body`, `isBase64Encoded`.

`HttpApiTransport` puts it under an httpx client, so the Web Connector simulator can run whole sessions
through the function as it would through AWS.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

__all__ = ["HttpApiAnswer", "HttpApiTransport", "answer_of", "payload_v1_event"]

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
TEXT_TYPES = ("text/", "application/xml", "application/soap+xml", "application/json")
_request_ids = itertools.count(1)


def payload_v1_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    query: str = "",
    host: str = "wc.execute-api.us-east-1.amazonaws.com",
    source_ip: str = "203.0.113.10",
) -> dict[str, Any]:
    """The event an HTTP API's `$default` route sends its Lambda integration (payload format 1.0)."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    lowered.setdefault("host", host)
    content_type = lowered.get("content-type", "")
    is_text = not body or content_type.startswith(TEXT_TYPES)
    multi_query = parse_qs(query, keep_blank_values=True) if query else {}
    return {
        "version": "1.0",
        "resource": "$default",
        "path": path,
        "httpMethod": method.upper(),
        "headers": lowered,
        "multiValueHeaders": {k: [v] for k, v in lowered.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": host.split(".", maxsplit=1)[0],
            "domainName": host,
            "domainPrefix": host.split(".", maxsplit=1)[0],
            "httpMethod": method.upper(),
            "identity": {"sourceIp": source_ip, "userAgent": lowered.get("user-agent", "")},
            "path": path,
            "protocol": "HTTP/1.1",
            "requestId": f"req-{next(_request_ids)}",
            "resourceId": None,
            "resourcePath": "$default",
            "stage": "$default",
        },
        "pathParameters": None,
        "stageVariables": None,
        "body": body.decode("utf-8") if is_text else base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": not is_text,
    }


@dataclass(frozen=True)
class HttpApiAnswer:
    status_code: int
    headers: dict[str, str]
    body: bytes


def answer_of(result: dict[str, Any]) -> HttpApiAnswer:
    """What API Gateway sends back for a payload-1.0 answer of the function."""
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    return HttpApiAnswer(int(result["statusCode"]), headers, body)


@dataclass
class HttpApiTransport(httpx.BaseTransport):
    """httpx requests answered by `handler` as an HTTP API would call it; `calls` counts the invocations."""

    handler: LambdaHandler
    source_ip: str = "203.0.113.10"
    calls: int = field(default=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        event = payload_v1_event(
            request.method,
            request.url.path,
            headers=dict(request.headers),
            body=request.read(),
            query=request.url.query.decode("ascii"),
            host=request.url.host,
            source_ip=self.source_ip,
        )
        self.calls += 1
        answer = answer_of(self.handler(event, None))
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.body)
