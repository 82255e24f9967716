"""REST: /api/v1/channels — stores feeding a connection, their settings, and the custom store's push."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import Fields, json_body, json_response, rest_route, tenant_of
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.dal import channels as repo
    from chalicelib.dal import fetch_runs
    from chalicelib.sync import channels, fetch, orders, summary_channels
    from chalicelib.sync import resync as resyncs
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    repo = lazy_module("chalicelib.dal.channels")
    fetch_runs = lazy_module("chalicelib.dal.fetch_runs")
    channels = lazy_module("chalicelib.sync.channels")
    fetch = lazy_module("chalicelib.sync.fetch")
    orders = lazy_module("chalicelib.sync.orders")
    resyncs = lazy_module("chalicelib.sync.resync")
    summary_channels = lazy_module("chalicelib.sync.summary_channels")

bp = Blueprint(__name__)


@rest_route(bp, "/api/v1/channels", ["POST"])
def create_channel() -> Response:
    tenant = tenant_of(bp.current_request)
    body = json_body(bp.current_request)
    fields = Fields(body, {"connection_id", "kind", "name", "settings", "credentials", "every_minutes"})
    connection_id = fields.text("connection_id", required=True, max_length=64)
    kind = fields.text("kind", required=True, max_length=40)
    name = fields.text("name", required=True, max_length=80)
    fields.check()
    channel = channels.create_channel(
        tenant.tenant_id,
        connection_id,
        kind,
        name,
        body.get("settings"),
        body.get("credentials"),
        body.get("every_minutes"),
    )
    return json_response(channels.channel_view(channel), 201)


@rest_route(bp, "/api/v1/channels", ["GET"])
def list_channels() -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response({"channels": channels.channel_views(repo.list_for_tenant(tenant.tenant_id))})


@rest_route(bp, "/api/v1/channels/{channel_id}", ["GET"])
def get_channel(channel_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(channels.channel_view(repo.get_for_tenant(tenant.tenant_id, channel_id)))


@rest_route(bp, "/api/v1/channels/{channel_id}", ["PATCH"])
def update_channel(channel_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    body = json_body(bp.current_request)
    fields = Fields(body, {"name", "settings", "credentials", "every_minutes"})
    name = fields.text("name", max_length=80)
    fields.check()
    channel = channels.update_channel(
        tenant.tenant_id,
        channel_id,
        name or None,
        body.get("settings"),
        body.get("credentials"),
        body.get("every_minutes"),
    )
    return json_response(channels.channel_view(channel))


@rest_route(bp, "/api/v1/channels/{channel_id}", ["DELETE"])
def delete_channel(channel_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    channels.delete_channel(tenant.tenant_id, channel_id)
    return json_response({"id": channel_id, "deleted": True})


@rest_route(bp, "/api/v1/channels/{channel_id}/orders", ["POST"])
def push_orders(channel_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    result = orders.push_orders(tenant.tenant_id, channel_id, json_body(bp.current_request))
    return json_response({"counts": result.counts, "orders": result.orders}, 202)


@rest_route(bp, "/api/v1/channels/{channel_id}/resync", ["POST"])
def resync(channel_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    body = json_body(bp.current_request)
    fields = Fields(body, {"from", "to"})
    since = fields.text("from", required=True, max_length=40)
    until = fields.text("to", required=True, max_length=40)
    fields.check()
    start, end = resyncs.parse_range(since, until)
    run = resyncs.queue_resync(tenant.tenant_id, channel_id, start, end)
    return json_response(fetch.run_view(run), 202)


@rest_route(bp, "/api/v1/channels/{channel_id}/runs", ["GET"])
def list_runs(channel_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    repo.get_for_tenant(tenant.tenant_id, channel_id)
    return json_response({"runs": [fetch.run_view(r) for r in fetch_runs.latest(channel_id)]})


@rest_route(bp, "/api/v1/channels/{channel_id}/summaries", ["GET"])
def list_summaries(channel_id: str) -> Response:
    """A summary channel's days (docs/accounting/summary-transactions.md)."""
    tenant = tenant_of(bp.current_request)
    return json_response({"days": summary_channels.day_views(tenant.tenant_id, channel_id)})


@rest_route(bp, "/api/v1/channels/{channel_id}/runs/{run_id}", ["GET"])
def get_run(channel_id: str, run_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(fetch.run_view(fetch_runs.get_for_tenant(tenant.tenant_id, channel_id, run_id)))
