"""REST: /api/v1/orders — each order's way into QuickBooks: the list for every day (search, status counts, CSV),
one order in detail with its timeline, the preview of what QuickBooks would receive, and retrying failed orders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import json_body, json_response, rest_route, tenant_of
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.sync import order_desk, orders, preview_orders
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    order_desk = lazy_module("chalicelib.sync.order_desk")
    orders = lazy_module("chalicelib.sync.orders")
    preview_orders = lazy_module("chalicelib.sync.preview_orders")

bp = Blueprint(__name__)


def _list(csv_route: bool) -> Response:
    request = bp.current_request
    tenant = tenant_of(request)
    query = order_desk.parse_query(tenant.tenant_id, request.query_params, csv_route=csv_route)
    if query.format is order_desk.Format.CSV:
        return Response(
            body=order_desk.export_csv(tenant.tenant_id, query),
            status_code=200,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": 'attachment; filename="orders.csv"',
                "Cache-Control": "no-store",
            },
        )
    found = order_desk.list_orders(tenant.tenant_id, query)
    return json_response(order_desk.list_view(tenant.tenant_id, query, found))


@rest_route(bp, "/api/v1/orders", ["GET"])
def list_orders() -> Response:
    return _list(csv_route=False)


@rest_route(bp, "/api/v1/orders.csv", ["GET"])
def orders_csv() -> Response:
    return _list(csv_route=True)


@rest_route(bp, "/api/v1/orders/retry", ["POST"])
def retry_orders() -> Response:
    request = bp.current_request
    tenant = tenant_of(request)
    return json_response(order_desk.retry_request(tenant.tenant_id, json_body(request)), 202)


@rest_route(bp, "/api/v1/orders/preview", ["POST"])
def preview_order() -> Response:
    request = bp.current_request
    tenant = tenant_of(request)
    return json_response(preview_orders.preview_request(tenant.tenant_id, json_body(request)))


@rest_route(bp, "/api/v1/orders/{order_key}", ["GET"])
def get_order(order_key: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(order_desk.order_detail(tenant.tenant_id, order_key))


@rest_route(bp, "/api/v1/orders/{order_key}/preview", ["GET"])
def get_order_preview(order_key: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(preview_orders.preview_stored(tenant.tenant_id, order_key))


@rest_route(bp, "/api/v1/orders/{order_key}/retry", ["POST"])
def retry_order(order_key: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(orders.order_view(orders.retry_order(tenant.tenant_id, order_key)), 202)
