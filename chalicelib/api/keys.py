"""REST: /api/v1/api-keys — the tenant's API keys (secrets shown once, at creation); /api/v1/account — the
tenant's own settings (where the daily summary goes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import Fields, json_body, json_response, rest_route, tenant_of
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.dal.tenants import ApiKey
    from chalicelib.sync import tenancy
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    tenancy = lazy_module("chalicelib.sync.tenancy")

bp = Blueprint(__name__)


def key_view(key: ApiKey) -> dict[str, object]:
    return {
        "id": key.key_id,
        "label": key.label,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "active": key.active,
    }


@rest_route(bp, "/api/v1/api-keys", ["POST"])
def create_key() -> Response:
    tenant = tenant_of(bp.current_request)
    fields = Fields(json_body(bp.current_request), {"label"})
    label = fields.text("label", max_length=80)
    fields.check()
    key, secret = tenancy.create_key(tenant.tenant_id, label)
    return json_response(
        {**key_view(key), "key": secret, "note": "Store this key now: it is shown once."}, 201
    )


@rest_route(bp, "/api/v1/api-keys", ["GET"])
def list_keys() -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response({"api_keys": [key_view(k) for k in tenancy.list_keys(tenant.tenant_id)]})


@rest_route(bp, "/api/v1/api-keys/{key_id}", ["DELETE"])
def revoke_key(key_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(key_view(tenancy.revoke_key(tenant.tenant_id, key_id)))


@rest_route(bp, "/api/v1/account", ["GET"])
def get_account() -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(tenancy.account_view(tenancy.require_tenant(tenant.tenant_id)))


@rest_route(bp, "/api/v1/account", ["PUT"])
def update_account() -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(
        tenancy.account_view(tenancy.update_account(tenant.tenant_id, json_body(bp.current_request)))
    )
