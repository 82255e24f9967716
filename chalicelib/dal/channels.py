"""Channels: a store (or shipping tool) feeding one connection, with its settings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.models import ChannelModel
from chalicelib.errors import NotFound


@dataclass(frozen=True)
class Channel:
    channel_id: str
    tenant_id: str
    connection_id: str
    kind: str
    name: str
    settings: dict[str, Any]
    created_at: datetime


def _channel(m: ChannelModel) -> Channel:
    return Channel(
        channel_id=m.channel_id,
        tenant_id=m.tenant_id,
        connection_id=m.connection_id,
        kind=m.kind,
        name=m.name,
        settings=dict(m.settings or {}),
        created_at=m.created_at,
    )


def create(tenant_id: str, connection_id: str, kind: str, name: str, settings: dict[str, Any]) -> Channel:
    model = ChannelModel(
        "chn_" + secrets.token_hex(8),
        tenant_id=tenant_id,
        connection_id=connection_id,
        kind=kind,
        name=name,
        settings=settings,
        created_at=datetime.now(UTC),
    )
    model.save(condition=ChannelModel.channel_id.does_not_exist())
    return _channel(model)


def get(channel_id: str) -> Channel | None:
    if not channel_id or len(channel_id) > 64:
        return None
    try:
        return _channel(ChannelModel.get(channel_id, consistent_read=True))
    except ChannelModel.DoesNotExist:
        return None


def get_for_tenant(tenant_id: str, channel_id: str) -> Channel:
    channel = get(channel_id)
    if channel is None or channel.tenant_id != tenant_id:
        raise NotFound(f"no channel {channel_id}")
    return channel


def list_for_tenant(tenant_id: str) -> list[Channel]:
    return sorted((_channel(m) for m in ChannelModel.by_tenant.query(tenant_id)), key=lambda c: c.created_at)


def update(tenant_id: str, channel_id: str, *, name: str, settings: dict[str, Any]) -> Channel:
    model = ChannelModel(channel_id)
    try:
        model.update(
            actions=[ChannelModel.name.set(name), ChannelModel.settings.set(settings)],
            condition=ChannelModel.tenant_id == tenant_id,
        )
    except UpdateError as exc:
        if condition_failed(exc):
            raise NotFound(f"no channel {channel_id}") from exc
        raise
    return get_for_tenant(tenant_id, channel_id)


def delete(tenant_id: str, channel_id: str) -> None:
    try:
        ChannelModel(channel_id).delete(condition=ChannelModel.tenant_id == tenant_id)
    except DeleteError as exc:
        if condition_failed(exc):
            raise NotFound(f"no channel {channel_id}") from exc
        raise
