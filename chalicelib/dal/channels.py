"""Channels: a store (or shipping tool) feeding one connection, with its settings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.dal import channel_fetches, channel_outbound, connections
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
    every_minutes: int = 15
    credentials_mask: dict[str, str] | None = None
    store_name: str | None = None
    # The bookmark and last fetch outcome kept on the channel item before fetching moved to its own item
    # (chalicelib/dal/channel_fetches.py, which falls back on them): never current, never written.
    legacy_bookmark: datetime | None = None
    legacy_last_fetch: dict[str, Any] | None = None
    # What the channel item kept of the QuickBooks outbound work before it moved to its own item
    # (chalicelib/dal/channel_outbound.py, which falls back on them): never current, never written.
    legacy_inventory_cursor: datetime | None = None
    legacy_inventory_full_at: datetime | None = None
    legacy_sales_cursor: datetime | None = None
    legacy_shipments_bookmark: datetime | None = None
    legacy_last_push: dict[str, Any] | None = None


def _channel(m: ChannelModel) -> Channel:
    return Channel(
        channel_id=m.channel_id,
        tenant_id=m.tenant_id,
        connection_id=m.connection_id,
        kind=m.kind,
        name=m.name,
        settings=dict(m.settings or {}),
        created_at=m.created_at,
        every_minutes=int(m.every_minutes or 15),
        credentials_mask=m.credentials_mask,
        store_name=m.store_name,
        legacy_bookmark=m.bookmark,
        legacy_last_fetch=m.last_fetch,
        legacy_inventory_cursor=m.inventory_cursor,
        legacy_inventory_full_at=m.inventory_full_at,
        legacy_sales_cursor=m.sales_cursor,
        legacy_shipments_bookmark=m.shipments_bookmark,
        legacy_last_push=m.last_push,
    )


def new_id() -> str:
    return "chn_" + secrets.token_hex(8)


def create(
    tenant_id: str,
    connection_id: str,
    kind: str,
    name: str,
    settings: dict[str, Any],
    *,
    channel_id: str | None = None,
    every_minutes: int = 15,
    credentials_mask: dict[str, str] | None = None,
    store_name: str | None = None,
) -> Channel:
    model = ChannelModel(
        channel_id or new_id(),
        tenant_id=tenant_id,
        connection_id=connection_id,
        kind=kind,
        name=name,
        settings=settings,
        created_at=datetime.now(UTC),
        every_minutes=every_minutes,
        credentials_mask=credentials_mask,
        store_name=store_name,
    )
    model.save(condition=ChannelModel.channel_id.does_not_exist())
    connections.note_channels_changed(connection_id)  # its standing jobs may have changed
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
    keys = [m.channel_id for m in ChannelModel.by_tenant.query(tenant_id)]  # a keys-only index
    found = [_channel(m) for m in ChannelModel.batch_get(keys, consistent_read=True)] if keys else []
    return sorted((c for c in found if c.tenant_id == tenant_id), key=lambda c: c.created_at)


def update(
    tenant_id: str,
    channel_id: str,
    *,
    name: str,
    settings: dict[str, Any],
    every_minutes: int | None = None,
    credentials_mask: dict[str, str] | None = None,
    store_name: str | None = None,
) -> Channel:
    model = ChannelModel(channel_id)
    actions: list[Any] = [ChannelModel.name.set(name), ChannelModel.settings.set(settings)]
    if every_minutes is not None:
        actions.append(ChannelModel.every_minutes.set(every_minutes))
    if credentials_mask is not None:
        actions.append(ChannelModel.credentials_mask.set(credentials_mask))
    if store_name is not None:
        actions.append(ChannelModel.store_name.set(store_name))
    try:
        model.update(actions=actions, condition=ChannelModel.tenant_id == tenant_id)
    except UpdateError as exc:
        if condition_failed(exc):
            raise NotFound(f"no channel {channel_id}") from exc
        raise
    updated = get_for_tenant(tenant_id, channel_id)
    connections.note_channels_changed(updated.connection_id)  # its standing jobs may have changed
    return updated


def delete(tenant_id: str, channel_id: str) -> None:
    existing = get(channel_id)
    if existing is None or existing.tenant_id != tenant_id:
        raise NotFound(f"no channel {channel_id}")
    # its own small items first: a delete cut short after them can be repeated (the channel is still there)
    channel_fetches.delete(channel_id)
    channel_outbound.delete(channel_id)
    try:
        ChannelModel(channel_id).delete(condition=ChannelModel.tenant_id == tenant_id)
    except DeleteError as exc:
        if condition_failed(exc):
            raise NotFound(f"no channel {channel_id}") from exc
        raise
    connections.note_channels_changed(existing.connection_id)  # what a warm container kept of it goes


def list_for_connection(tenant_id: str, connection_id: str) -> list[Channel]:
    return [c for c in list_for_tenant(tenant_id) if c.connection_id == connection_id]
