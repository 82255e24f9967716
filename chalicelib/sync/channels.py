"""Channels as records: create, read, change their settings (checked against the company's real lists)."""

from __future__ import annotations

from typing import Any

from chalicelib.dal import channels, company_lists, connections
from chalicelib.dal.channels import Channel
from chalicelib.errors import BadRequest
from chalicelib.orders.settings import (
    ChannelSettings,
    SettingsInvalid,
    parse_settings,
    settings_from_json,
    settings_to_json,
)

CHANNEL_KINDS = ("custom_store",)


def _checked(connection_id: str, settings: ChannelSettings) -> None:
    """Every account, payment method and class named must exist in the company's cached lists."""
    accounts = company_lists.list_records(connection_id, "account")
    if not accounts:
        raise BadRequest(
            "The company's chart of accounts has not been read from QuickBooks yet. Run the Web Connector "
            "once (or ask for a refresh of the company lists), then save the settings again."
        )
    names = {a.full_name.casefold() for a in accounts} | {a.list_id for a in accounts}
    problems = {}
    for field_name in ("deposit", "income", "cogs", "asset", "discount", "receivable"):
        value = getattr(settings.accounts, field_name)
        if value and value.casefold() not in names and value not in names:
            problems[f"settings.accounts.{field_name}"] = f"'{value}' is not an account in this company file"
    methods = {m.full_name.casefold() for m in company_lists.list_records(connection_id, "payment_method")}
    for store_method, qb_method in {**settings.payment_methods, "": settings.default_payment_method}.items():
        if qb_method and methods and qb_method.casefold() not in methods:
            where = (
                f"settings.payment_methods.{store_method}"
                if store_method
                else "settings.default_payment_method"
            )
            problems[where] = f"'{qb_method}' is not a payment method in this company file"
    if settings.class_name:
        classes = {c.full_name.casefold() for c in company_lists.list_records(connection_id, "class")}
        if settings.class_name.casefold() not in classes:
            problems["settings.class_name"] = f"'{settings.class_name}' is not a class in this company file"
    if problems:
        raise BadRequest(
            "invalid settings: " + "; ".join(f"{k} {v}" for k, v in problems.items()),
            details={"fields": problems},
        )


def _parse(data: Any, base: ChannelSettings | None = None) -> ChannelSettings:
    try:
        return parse_settings(data, base=base)
    except SettingsInvalid as exc:
        raise BadRequest(
            "invalid settings: " + "; ".join(f"{k} {v}" for k, v in exc.problems.items()),
            details={"fields": exc.problems},
        ) from exc


def create_channel(tenant_id: str, connection_id: str, kind: str, name: str, settings_json: Any) -> Channel:
    if kind not in CHANNEL_KINDS:
        raise BadRequest(
            f"kind must be one of: {', '.join(CHANNEL_KINDS)}", details={"fields": {"kind": "unknown"}}
        )
    conn = connections.get_for_tenant(tenant_id, connection_id)
    settings = _parse(settings_json or {})
    _checked(conn.connection_id, settings)
    return channels.create(tenant_id, conn.connection_id, kind, name, settings_to_json(settings))


def update_channel(tenant_id: str, channel_id: str, name: str | None, settings_json: Any) -> Channel:
    channel = channels.get_for_tenant(tenant_id, channel_id)
    settings = settings_from_json(channel.settings)
    if settings_json is not None:
        settings = _parse(settings_json, base=settings)
        _checked(channel.connection_id, settings)
    return channels.update(
        tenant_id, channel_id, name=name or channel.name, settings=settings_to_json(settings)
    )


def settings_of(channel: Channel) -> ChannelSettings:
    return settings_from_json(channel.settings)


def channel_view(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.channel_id,
        "name": channel.name,
        "kind": channel.kind,
        "connection_id": channel.connection_id,
        "settings": channel.settings,
        "created_at": channel.created_at.isoformat(),
    }
