"""Limits of the public surface that the app itself enforces: request size on every route, and the caller's
source address (for per-source slowing of wrong Web Connector passwords).

API Gateway throttles requests (infra/template.yaml: stage and method limits) but cannot limit a body's size
(it only stops at its own 10 MB), so every request passes `request_size_limit` first: a body over the
route's limit is refused before any view reads it, as a 413 JSON error on the REST API and pages, and as a
SOAP Client fault on the Web Connector endpoint (what the Web Connector shows the merchant).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Request, Response

from chalicelib.api.errors import http_error, soap_fault
from chalicelib.api.http import MAX_JSON_BYTES, json_response
from chalicelib.errors import TooLarge
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.qbwc import soap
else:  # read on the SOAP path only: a REST request never loads the SOAP machinery (chalicelib/lazy.py)
    soap = lazy_module("chalicelib.qbwc.soap")

bp = Blueprint(__name__)

SOAP_PATH = "/qbwc"
UNKNOWN_SOURCE = "unknown"
IPV6_SOURCE_PREFIX = 64  # one IPv6 subscriber holds a /64: counting single addresses would not slow anyone


def body_limit(path: str) -> int:
    """The largest body a route accepts: the SOAP endpoint's (qbXML answers are large), else the JSON API's."""
    return soap.MAX_BODY_BYTES if path == SOAP_PATH else MAX_JSON_BYTES


def source_of(request: Request) -> str:
    """The caller's address as API Gateway saw it (`requestContext.identity.sourceIp`; `chalice local` puts
    its peer there), never a header the caller wrote (X-Forwarded-For is the caller's to forge). IPv6
    addresses are reduced to their /64."""
    identity = (request.context or {}).get("identity")
    raw = identity.get("sourceIp") if isinstance(identity, dict) else None
    if not isinstance(raw, str) or len(raw) > 64:
        return UNKNOWN_SOURCE
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return UNKNOWN_SOURCE
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_SOURCE_PREFIX}", strict=False))
    return str(address)


def _body_size(request: Request) -> int:
    raw = request.raw_body or b""
    return len(raw.encode("utf-8") if isinstance(raw, str) else raw)


@bp.middleware("http")
def request_size_limit(event: Request, get_response: Callable[[Request], Response]) -> Response:
    limit = body_limit(event.path)
    size = _body_size(event)
    if size <= limit:
        return get_response(event)
    error = TooLarge(f"Request body is {size:,} bytes; the limit is {limit:,} bytes.")
    if event.path == SOAP_PATH:
        fault = soap.render_fault(soap_fault(error)).decode("utf-8")
        headers: dict[str, str | list[str]] = {
            "Content-Type": "text/xml; charset=utf-8",
            "Cache-Control": "no-store",
        }
        return Response(body=fault, status_code=soap.FAULT_HTTP_STATUS, headers=headers)
    found, body = http_error(error)
    return json_response(body, found.status)
