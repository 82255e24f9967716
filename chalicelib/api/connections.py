"""REST: /api/v1/connections — pairing a company file and watching it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import Fields, json_body, json_response, public_base_url, rest_route, tenant_of
from chalicelib.errors import BadRequest
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.dal import connections, sync_runs
    from chalicelib.sync import pairing
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    connections = lazy_module("chalicelib.dal.connections")
    sync_runs = lazy_module("chalicelib.dal.sync_runs")
    pairing = lazy_module("chalicelib.sync.pairing")

bp = Blueprint(__name__)


@rest_route(bp, "/api/v1/connections", ["POST"])
def create_connection() -> Response:
    tenant = tenant_of(bp.current_request)
    fields = Fields(json_body(bp.current_request), {"name", "run_every_minutes"})
    name = fields.text("name", required=True, max_length=80)
    every = fields.integer("run_every_minutes", default=15, minimum=1, maximum=1440)
    fields.check()
    conn = pairing.create_connection(tenant.tenant_id, name, every)
    return json_response(pairing.connection_view(conn), 201)


@rest_route(bp, "/api/v1/connections", ["GET"])
def list_connections() -> Response:
    tenant = tenant_of(bp.current_request)
    conns = connections.list_for_tenant(tenant.tenant_id)
    return json_response({"connections": [pairing.connection_view(c) for c in conns]})


@rest_route(bp, "/api/v1/connections/{connection_id}", ["GET"])
def get_connection(connection_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(pairing.connection_view(connections.get_for_tenant(tenant.tenant_id, connection_id)))


@rest_route(bp, "/api/v1/connections/{connection_id}", ["DELETE"])
def delete_connection(connection_id: str) -> Response:
    request = bp.current_request
    tenant = tenant_of(request)
    params = dict(request.query_params or {})
    unknown = set(params) - {"cascade"}
    if unknown:
        raise BadRequest(f"unknown query parameter: {', '.join(sorted(unknown))}")
    cascade = params.get("cascade", "false")
    if cascade not in ("true", "false"):
        raise BadRequest("cascade must be true or false")
    deleted = pairing.delete_connection(tenant.tenant_id, connection_id, cascade=cascade == "true")
    return json_response({"id": connection_id, "deleted": True, "deleted_channels": deleted})


@rest_route(bp, "/api/v1/connections/{connection_id}/qwc", ["GET"])
def download_qwc(connection_id: str) -> Response:
    request = bp.current_request
    tenant = tenant_of(request)
    text, filename = pairing.qwc_file(tenant.tenant_id, connection_id, public_base_url(request))
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "application/xml; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@rest_route(bp, "/api/v1/connections/{connection_id}/password", ["POST"])
def generate_password(connection_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    conn, password = pairing.new_password(tenant.tenant_id, connection_id)
    return json_response(
        {
            "connection_id": conn.connection_id,
            "username": conn.username,
            "password": password,
            "note": "Enter this password in the Web Connector now: it is shown once and cannot be shown "
            "again. Generating a new one makes this one stop working.",
        },
        201,
    )


@rest_route(bp, "/api/v1/connections/{connection_id}/status", ["GET"])
def connection_status(connection_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    conn = connections.get_for_tenant(tenant.tenant_id, connection_id)
    return json_response({"connection_id": conn.connection_id, **pairing.status_view(conn)})


@rest_route(bp, "/api/v1/connections/{connection_id}/refresh", ["POST"])
def refresh_lists(connection_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    job = pairing.queue_refresh(tenant.tenant_id, connection_id)
    return json_response({**job, "note": "The lists are read on the Web Connector's next run."}, 202)


def _list_response(connection_id: str, kind: str) -> Response:
    request = bp.current_request
    tenant = tenant_of(request)
    params: dict[str, str] = dict(request.query_params or {})
    unknown = set(params) - {"type", "include_inactive"}
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    query = pairing.ListQuery(
        kind=kind,
        account_type=params.get("type") or None,
        include_inactive=params.get("include_inactive", "false").lower() in ("1", "true", "yes"),
    )
    records = pairing.cached_list(tenant.tenant_id, connection_id, query)
    body = [
        {
            "list_id": r.list_id,
            "name": r.name,
            "full_name": r.full_name,
            "is_active": r.is_active,
            **r.details,
        }
        for r in records
    ]
    return json_response({"connection_id": connection_id, "kind": kind, "records": body})


@rest_route(bp, "/api/v1/connections/{connection_id}/accounts", ["GET"])
def list_accounts(connection_id: str) -> Response:
    return _list_response(connection_id, "account")


@rest_route(bp, "/api/v1/connections/{connection_id}/lists/{kind}", ["GET"])
def list_company_list(connection_id: str, kind: str) -> Response:
    return _list_response(connection_id, kind)


@rest_route(bp, "/api/v1/connections/{connection_id}/sync-runs", ["GET"])
def list_sync_runs(connection_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    conn = connections.get_for_tenant(tenant.tenant_id, connection_id)
    runs = sync_runs.recent(conn.connection_id)
    return json_response(
        {
            "sync_runs": [
                {
                    "started_at": r.started_at.isoformat(),
                    "ended_at": r.ended_at.isoformat() if r.ended_at else None,
                    "outcome": r.outcome,
                    "round_trips": r.round_trips,
                    "errors": r.errors,
                    "counts": r.counts,
                }
                for r in runs
            ]
        }
    )
