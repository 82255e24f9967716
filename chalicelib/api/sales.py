"""REST: /api/v1/sales — sales at a glance, from the stored orders (read only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import json_response, rest_route, tenant_of
from chalicelib.errors import BadRequest
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.sync import sales_summary
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    sales_summary = lazy_module("chalicelib.sync.sales_summary")

bp = Blueprint(__name__)


@rest_route(bp, "/api/v1/sales/summary", ["GET"])
def get_sales_summary() -> Response:
    request = bp.current_request
    tenant = tenant_of(request)
    params = dict(request.query_params or {})
    unknown = set(params) - {"days"}
    if unknown:
        raise BadRequest(f"unknown query parameter: {', '.join(sorted(unknown))}")
    days = sales_summary.parse_days(params.get("days"))
    return json_response(sales_summary.sales_summary(tenant.tenant_id, days))
