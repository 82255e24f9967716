"""REST: /api/v1/orders — each order's way into QuickBooks, and retrying a failed one."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.http import json_response, rest_route, tenant_of
from chalicelib.dal import orders as repo
from chalicelib.errors import BadRequest
from chalicelib.sync import orders

bp = Blueprint(__name__)


@rest_route(bp, "/api/v1/orders", ["GET"])
def list_orders() -> Response:
    request = bp.current_request
    tenant = tenant_of(request)
    params: dict[str, str] = dict(request.query_params or {})
    unknown = set(params) - {"channel", "status", "limit", "after"}
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    status = params.get("status") or None
    if status and status not in repo.STATUSES:
        raise BadRequest(f"status must be one of: {', '.join(repo.STATUSES)}")
    try:
        limit = int(params.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 500:
        raise BadRequest("limit must be a whole number from 1 to 500")
    found, cursor = repo.list_orders(
        tenant.tenant_id,
        channel_id=params.get("channel") or None,
        status=status,
        limit=limit,
        after=params.get("after"),
    )
    return json_response({"orders": [orders.order_view(o) for o in found], "next": cursor})


@rest_route(bp, "/api/v1/orders/{order_key}", ["GET"])
def get_order(order_key: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(orders.order_view(orders.get_order(tenant.tenant_id, order_key)))


@rest_route(bp, "/api/v1/orders/{order_key}/retry", ["POST"])
def retry_order(order_key: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(orders.order_view(orders.retry_order(tenant.tenant_id, order_key)), 202)
