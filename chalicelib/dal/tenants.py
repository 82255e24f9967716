"""Tenants and their API keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import credentials
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.models import ApiKeyModel, TenantModel
from chalicelib.errors import Conflict, NotFound


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    created_at: datetime
    summary_email: str | None = None


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    tenant_id: str
    label: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _tenant(m: TenantModel) -> Tenant:
    return Tenant(tenant_id=m.tenant_id, name=m.name, created_at=m.created_at, summary_email=m.summary_email)


def _key(m: ApiKeyModel) -> ApiKey:
    return ApiKey(
        key_id=m.key_id,
        tenant_id=m.tenant_id,
        label=m.label,
        prefix=m.prefix,
        created_at=m.created_at,
        revoked_at=m.revoked_at,
    )


def create_tenant(name: str, *, tenant_id: str | None = None) -> Tenant:
    model = TenantModel(tenant_id or "ten_" + secrets.token_hex(8), name=name, created_at=datetime.now(UTC))
    try:
        model.save(condition=TenantModel.tenant_id.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict(f"tenant {model.tenant_id} already exists") from exc
        raise
    return _tenant(model)


def get_tenant(tenant_id: str) -> Tenant | None:
    if not tenant_id:
        return None
    try:
        return _tenant(TenantModel.get(tenant_id))
    except TenantModel.DoesNotExist:
        return None


def list_tenants() -> list[Tenant]:
    return sorted((_tenant(m) for m in TenantModel.scan()), key=lambda t: t.created_at)


def create_api_key(tenant_id: str, *, label: str = "", key: str | None = None) -> tuple[ApiKey, str]:
    """Store a new key for the tenant and return it with its secret (the only time it is seen).

    `key` lets an operator adopt a known value (the local stack's LEDGERBRIDGE_API_KEY)."""
    secret = key or credentials.new_api_key()
    model = ApiKeyModel(
        credentials.api_key_hash(secret),
        key_id="key_" + secrets.token_hex(6),
        tenant_id=tenant_id,
        label=label,
        prefix=secret[:8],
        created_at=datetime.now(UTC),
    )
    try:
        model.save(condition=ApiKeyModel.key_hash.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict("that API key is already in use") from exc
        raise
    return _key(model), secret


def find_active_key(secret: str) -> ApiKey | None:
    """The active key whose secret this is, compared in constant time; None otherwise."""
    digest = credentials.api_key_hash(secret)
    try:
        model = ApiKeyModel.get(digest, consistent_read=True)
    except ApiKeyModel.DoesNotExist:
        return None
    if not credentials.api_key_matches(secret, model.key_hash) or model.revoked_at is not None:
        return None
    return _key(model)


def key_for_secret(secret: str) -> ApiKey | None:
    """The key (active or revoked) with this secret."""
    try:
        return _key(ApiKeyModel.get(credentials.api_key_hash(secret), consistent_read=True))
    except ApiKeyModel.DoesNotExist:
        return None


def list_api_keys(tenant_id: str) -> list[ApiKey]:
    keys = [_key(m) for m in ApiKeyModel.by_tenant.query(tenant_id)]
    return sorted(keys, key=lambda k: k.created_at)


def revoke_api_key(tenant_id: str, key_id: str) -> ApiKey:
    for model in ApiKeyModel.by_tenant.query(tenant_id, ApiKeyModel.key_id == key_id):
        if model.revoked_at is None:
            try:
                model.update(
                    actions=[ApiKeyModel.revoked_at.set(datetime.now(UTC))],
                    condition=ApiKeyModel.key_hash.exists(),
                )
            except UpdateError as exc:
                if not condition_failed(exc):
                    raise
        return _key(model)
    raise NotFound(f"no API key {key_id}")


def set_summary_email(tenant_id: str, email: str | None) -> None:
    """Where the tenant's daily summary goes (None: the deployment's default address)."""
    action = TenantModel.summary_email.set(email) if email else TenantModel.summary_email.remove()
    TenantModel(tenant_id).update(actions=[action], condition=TenantModel.tenant_id.exists())
