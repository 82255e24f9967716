"""REST: what a channel sends out of QuickBooks — stock levels for its store, sales for ShipStation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import json_response, rest_route, tenant_of
from chalicelib.api.paging import list_query
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.dal import outbound_sales, stock_levels
    from chalicelib.sync import outbound_views
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    outbound_sales = lazy_module("chalicelib.dal.outbound_sales")
    stock_levels = lazy_module("chalicelib.dal.stock_levels")
    outbound_views = lazy_module("chalicelib.sync.outbound_views")

bp = Blueprint(__name__)


@rest_route(bp, "/api/v1/channels/{channel_id}/inventory", ["GET"])
def list_stock_levels(channel_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    query = list_query(bp.current_request.query_params, stock_levels.STATUSES)
    return json_response(
        outbound_views.inventory_page(
            tenant.tenant_id, channel_id, status=query.status, limit=query.limit, after=query.after
        )
    )


@rest_route(bp, "/api/v1/channels/{channel_id}/shipstation-orders", ["GET"])
def list_shipstation_orders(channel_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    query = list_query(bp.current_request.query_params, outbound_sales.STATUSES)
    return json_response(
        outbound_views.shipstation_page(
            tenant.tenant_id, channel_id, status=query.status, limit=query.limit, after=query.after
        )
    )
