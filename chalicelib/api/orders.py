"""REST: /api/v1/orders — each order's way into QuickBooks, and retrying a failed one."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.http import json_response, rest_route, tenant_of
from chalicelib.api.paging import list_query
from chalicelib.dal import orders as repo
from chalicelib.sync import orders

bp = Blueprint(__name__)


@rest_route(bp, "/api/v1/orders", ["GET"])
def list_orders() -> Response:
    request = bp.current_request
    tenant = tenant_of(request)
    query = list_query(request.query_params, repo.STATUSES, extra=("channel",))
    found, cursor = repo.list_orders(
        tenant.tenant_id,
        channel_id=query.params.get("channel") or None,
        status=query.status,
        limit=query.limit,
        after=query.after,
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
