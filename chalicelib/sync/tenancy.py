"""Tenants and API keys: who may call the REST API, and which tenant each call belongs to."""

from __future__ import annotations

from chalicelib.dal import tenants
from chalicelib.dal.tenants import ApiKey, Tenant
from chalicelib.errors import NotFound, Unauthorized

BEARER = "bearer "


def create_tenant_with_key(name: str, *, key: str | None = None) -> tuple[Tenant, str]:
    tenant = tenants.create_tenant(name)
    _, secret = tenants.create_api_key(tenant.tenant_id, label="first key", key=key)
    return tenant, secret


def tenant_for_authorization(header: str | None) -> Tenant:
    """The tenant of a valid `Authorization: Bearer <key>` header; Unauthorized otherwise."""
    if not header:
        raise Unauthorized("Send your API key as 'Authorization: Bearer <key>'.")
    if not header.lower().startswith(BEARER) or not header[len(BEARER) :].strip():
        raise Unauthorized("The Authorization header must be 'Bearer <key>'.")
    key = tenants.find_active_key(header[len(BEARER) :].strip())
    tenant = tenants.get_tenant(key.tenant_id) if key else None
    if tenant is None:
        raise Unauthorized("That API key is not valid (unknown or revoked).")
    return tenant


def create_key(tenant_id: str, label: str) -> tuple[ApiKey, str]:
    return tenants.create_api_key(tenant_id, label=label)


def list_keys(tenant_id: str) -> list[ApiKey]:
    return tenants.list_api_keys(tenant_id)


def revoke_key(tenant_id: str, key_id: str) -> ApiKey:
    return tenants.revoke_api_key(tenant_id, key_id)


def require_tenant(tenant_id: str) -> Tenant:
    tenant = tenants.get_tenant(tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id}")
    return tenant
