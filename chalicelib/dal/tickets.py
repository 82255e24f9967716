"""Web Connector sessions (tickets). Lambda keeps nothing between calls; all of it lives here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.models import TicketModel


class StaleSession(Exception):
    """Another call saved this session since it was read."""


@dataclass
class Session:
    ticket: str
    connection_id: str
    tenant_id: str
    created_at: datetime
    expires_at: datetime
    state: str = "open"
    company_file_path: str | None = None
    qbxml_version: str | None = None
    country: str | None = None
    job: dict[str, Any] | None = None
    pending: dict[str, Any] | None = None
    last_error: str | None = None
    round_trips: int = 0
    jobs_done: int = 0
    percent: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    lease_until: float | None = None
    queue_drained_at: float | None = None
    version: int | None = None

    @property
    def open(self) -> bool:
        return self.state == "open"


def _session(m: TicketModel) -> Session:
    return Session(
        ticket=m.ticket,
        connection_id=m.connection_id,
        tenant_id=m.tenant_id,
        created_at=m.created_at,
        expires_at=m.expires_at,
        state=m.state,
        company_file_path=m.company_file_path,
        qbxml_version=m.qbxml_version,
        country=m.country,
        job=m.job,
        pending=m.pending,
        last_error=m.last_error,
        round_trips=int(m.round_trips or 0),
        jobs_done=int(m.jobs_done or 0),
        percent=int(m.percent or 0),
        summary=dict(m.summary or {}),
        lease_until=float(m.lease_until) if m.lease_until is not None else None,
        queue_drained_at=float(m.queue_drained_at) if m.queue_drained_at is not None else None,
        version=m.version,
    )


def create(ticket: str, connection_id: str, tenant_id: str, ttl_seconds: int, now: datetime) -> Session:
    session = Session(
        ticket=ticket,
        connection_id=connection_id,
        tenant_id=tenant_id,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    save(session)
    return session


def get(ticket: str) -> Session | None:
    """The session for a ticket, or None when unknown or past its expiry (TTL deletion is lazy)."""
    if not ticket or len(ticket) > 128:
        return None
    try:
        model = TicketModel.get(ticket, consistent_read=True)
    except TicketModel.DoesNotExist:
        return None
    if model.expires_at <= datetime.now(UTC):
        return None
    return _session(model)


def save(session: Session) -> None:
    """Write the session; raises StaleSession if someone else wrote it since it was read."""
    model = TicketModel(
        session.ticket,
        connection_id=session.connection_id,
        tenant_id=session.tenant_id,
        created_at=session.created_at,
        expires_at=session.expires_at,
        state=session.state,
        company_file_path=session.company_file_path,
        qbxml_version=session.qbxml_version,
        country=session.country,
        job=session.job,
        pending=session.pending,
        last_error=session.last_error,
        round_trips=session.round_trips,
        jobs_done=session.jobs_done,
        percent=session.percent,
        summary=session.summary,
        lease_until=session.lease_until,
        queue_drained_at=session.queue_drained_at,
    )
    if session.version is not None:
        model.version = session.version
    try:
        model.save()
    except PutError as exc:
        if condition_failed(exc):
            raise StaleSession(session.ticket) from exc
        raise
    session.version = model.version
