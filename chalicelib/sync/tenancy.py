"""Tenants and API keys: who may call the REST API, and which tenant each call belongs to."""

from __future__ import annotations

import re

from chalicelib.dal import tenants
from chalicelib.dal.tenants import ApiKey, Tenant
from chalicelib.errors import BadRequest, NotFound, Unauthorized
from chalicelib.validation import text_problem

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


MAX_EMAIL = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def account_view(tenant: Tenant) -> dict[str, object]:
    return {"id": tenant.tenant_id, "name": tenant.name, "summary_email": tenant.summary_email}


def update_account(tenant_id: str, body: object) -> Tenant:
    """The merchant's own settings: `summary_email`, where the daily summary goes (null or "": the deployment's
    default address)."""
    if not isinstance(body, dict):
        raise BadRequest(
            'the body must be {"summary_email": ...}', details={"fields": {"body": "must be an object"}}
        )
    unknown = sorted(set(body) - {"summary_email"})
    if unknown:
        raise BadRequest(
            f"unknown field {unknown[0]!r}",
            details={"fields": {name[:100]: "unknown field" for name in unknown}},
        )
    email = body.get("summary_email")
    if email is not None and not isinstance(email, str):
        raise BadRequest(
            "The daily summary address must be text.", details={"fields": {"summary_email": "must be text"}}
        )
    email = (email or "").strip()
    if email and (len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email) or text_problem(email) is not None):
        raise BadRequest(
            "The daily summary address is not an e-mail address.",
            details={"fields": {"summary_email": "must be an e-mail address such as owner@example.com"}},
        )
    tenants.set_summary_email(tenant_id, email or None)
    return require_tenant(tenant_id)
