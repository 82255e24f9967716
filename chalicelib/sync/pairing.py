"""Pairing a company file: connections, their .qwc file, the Web Connector password, status, and the
company lists fetched through the Web Connector."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from chalicelib import credentials
from chalicelib.aws import WorkQueue
from chalicelib.dal import channels as channel_repo
from chalicelib.dal import company_lists, connections, mappings
from chalicelib.dal.company_lists import CachedRecord
from chalicelib.dal.connections import Connection
from chalicelib.errors import BadRequest, Conflict
from chalicelib.qbwc.qwc import QwcError, QwcFile, check_app_url, render_qwc
from chalicelib.settings import Settings, get_settings
from chalicelib.sync.channels import delete_channel
from chalicelib.sync.company_lists import ALL_KINDS
from chalicelib.sync.jobs import REFRESH_COMPANY_LISTS, new_job

CONNECTED_WITHIN_SECONDS = 24 * 3600


class ConnectionState(StrEnum):
    """A connection's state as the dashboard's badge shows it (dom.js STATES)."""

    NEEDS_PASSWORD = "needs_password"  # noqa: S105 (a state, not a password)
    WAITING_FOR_WEB_CONNECTOR = "waiting_for_web_connector"
    CONNECTED = "connected"
    NOT_SEEN_RECENTLY = "not_seen_recently"
    ERROR = "error"


def create_connection(tenant_id: str, name: str, run_every_minutes: int) -> Connection:
    conn = connections.create(tenant_id, name, run_every_minutes)
    try:
        WorkQueue(conn.connection_id).create(tenant_id)
    except Exception:
        connections.delete(tenant_id, conn.connection_id)  # no connection without its queue
        raise
    return conn


def delete_connection(tenant_id: str, connection_id: str, *, cascade: bool = False) -> list[str]:
    """The connection, its work queue, its cached company lists and names; refused (Conflict) while channels
    use it, unless `cascade`: then its channels go first, each with its task and credentials. Returns the ids
    of the channels deleted. The connection record goes last, so a delete cut short can simply be repeated
    and nothing is left behind without its owner. Orders stay, with their QuickBooks history."""
    connections.get_for_tenant(tenant_id, connection_id)
    used_by = channel_repo.list_for_connection(tenant_id, connection_id)
    if used_by and not cascade:
        names = ", ".join(sorted(c.name for c in used_by))
        count = "1 channel uses" if len(used_by) == 1 else f"{len(used_by)} channels use"
        raise Conflict(
            f"{count} this connection ({names}). Delete the channels first, "
            "or delete the connection together with its channels."
        )
    for channel in used_by:
        delete_channel(tenant_id, channel.channel_id)
    WorkQueue(connection_id).delete()
    company_lists.delete_all(connection_id)
    mappings.delete_all(connection_id)
    connections.delete(tenant_id, connection_id)
    return [c.channel_id for c in used_by]


def new_password(tenant_id: str, connection_id: str) -> tuple[Connection, str]:
    """A fresh Web Connector password; only its hash is kept and the previous one stops working."""
    conn = connections.get_for_tenant(tenant_id, connection_id)
    password = credentials.new_password()
    connections.set_password_hash(conn.connection_id, credentials.hash_password(password))
    return conn, password


def qwc_file(
    tenant_id: str, connection_id: str, base_url: str, settings: Settings | None = None
) -> tuple[str, str]:
    """The .qwc file's text and its download file name. Its AppURL is the Web Connector's own front door when
    the deployment has one (`web_connector_base_url`), else `base_url`'s /qbwc."""
    s = settings or get_settings()
    conn = connections.get_for_tenant(tenant_id, connection_id)
    base_url = s.web_connector_base_url or base_url
    app_url = f"{base_url}/qbwc"
    try:
        check_app_url(app_url, app_support=f"{base_url}/support")
    except QwcError as exc:
        raise BadRequest(str(exc)) from exc
    qwc = QwcFile(
        app_name=f"{s.app_name} - {conn.name}"[:120],
        app_id=s.app_name,
        app_url=app_url,
        app_description=f"Syncs your online stores with this company file ({conn.name}).",
        app_support=f"{base_url}/support",
        user_name=conn.username,
        owner_id=uuid.UUID(s.owner_id),
        file_id=uuid.UUID(conn.file_id),
        qb_type="QBFS",
        run_every_minutes=conn.run_every_minutes,
        is_read_only=False,
        unattended_mode_pref="umpOptional",
        personal_data_pref="pdpOptional",
        auth_flags=0xF,
        style="Document",
    )
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in conn.name).strip("-") or "connection"
    return render_qwc(qwc), f"ledgerbridge-{safe.lower()}.qwc"


def connection_view(conn: Connection) -> dict[str, Any]:
    return {
        "id": conn.connection_id,
        "name": conn.name,
        "username": conn.username,
        "run_every_minutes": conn.run_every_minutes,
        "created_at": conn.created_at.isoformat(),
        "password_set": conn.password_hash is not None,
        "status": status_view(conn),
    }


def status_view(conn: Connection, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    company = conn.company or {}
    live = bool(conn.lease_until and conn.lease_until >= now.timestamp())
    recently = bool(
        conn.last_contact_at and (now - conn.last_contact_at).total_seconds() <= CONNECTED_WITHIN_SECONDS
    )
    # One state, from which every badge and flag is read, so that they cannot disagree: without a password the
    # Web Connector cannot sign in, whatever happened before; an error outranks a contact.
    if conn.password_hash is None:
        state = ConnectionState.NEEDS_PASSWORD
    elif conn.last_error:
        state = ConnectionState.ERROR
    elif not conn.has_connected:
        state = ConnectionState.WAITING_FOR_WEB_CONNECTOR
    else:
        state = ConnectionState.CONNECTED if recently else ConnectionState.NOT_SEEN_RECENTLY
    return {
        "state": state.value,
        "connected": state is ConnectionState.CONNECTED,
        "session_running": live,
        "last_contact_at": conn.last_contact_at.isoformat() if conn.last_contact_at else None,
        "connected_at": conn.connected_at.isoformat() if conn.connected_at else None,
        "company_name": company.get("company_name"),
        "company_file_path": conn.company_file_path,
        "product_name": company.get("product_name"),
        "country": company.get("country"),
        "qbxml_versions": company.get("supported_qbxml_versions", []),
        "qbxml_version": conn.qbxml_version,
        "lists_refreshed_at": conn.lists_refreshed_at.isoformat() if conn.lists_refreshed_at else None,
        "last_error": conn.last_error,
    }


def queue_refresh(tenant_id: str, connection_id: str) -> dict[str, Any]:
    conn = connections.get_for_tenant(tenant_id, connection_id)
    job = new_job(REFRESH_COMPANY_LISTS, conn.connection_id, datetime.now(UTC))
    WorkQueue(conn.connection_id).send(job)
    return {"job_id": job["job_id"], "kind": job["kind"], "queued_at": job["queued_at"]}


@dataclass(frozen=True)
class ListQuery:
    kind: str
    account_type: str | None = None
    include_inactive: bool = False


def cached_list(tenant_id: str, connection_id: str, query: ListQuery) -> list[CachedRecord]:
    conn = connections.get_for_tenant(tenant_id, connection_id)
    if query.kind not in ALL_KINDS:
        raise BadRequest(f"unknown list '{query.kind}'; one of: {', '.join(ALL_KINDS)}")
    records = company_lists.list_records(conn.connection_id, query.kind)
    if not query.include_inactive:
        records = [r for r in records if r.is_active]
    if query.account_type:
        wanted = query.account_type.lower()
        records = [r for r in records if str(r.details.get("account_type", "")).lower() == wanted]
    return records
