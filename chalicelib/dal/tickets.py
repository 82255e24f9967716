"""Web Connector sessions (tickets). Lambda keeps nothing between calls; all of it lives here.

A ticket is written at most once per SOAP call and only when the call changed it (a call that changed nothing
writes nothing). Every write costs a unit per KB of the larger of the item before and after it, so the ticket keeps
only what later calls read: where the request waiting for its answer is (`pending`), and the request itself
compressed (`pending_request`) only when neither its job's record keeps it nor its job renders it again
(chalicelib/sync/pending_requests.py)."""

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
    qbxml_version: str | None = None
    country: str | None = None
    job: dict[str, Any] | None = None
    # What is known of the request waiting for its answer (its job, or where a large request is kept); the
    # request itself, zlib-compressed, is `pending_request` when it is kept in the ticket.
    pending: dict[str, Any] | None = None
    pending_request: bytes | None = None
    last_error: str | None = None
    round_trips: int = 0
    jobs_done: int = 0
    percent: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    lease_until: float | None = None
    queue_drained_at: float | None = None
    version: int | None = None
    # The item as it was read or last written: a save that would write the same again writes nothing.
    stored: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def open(self) -> bool:
        return self.state == "open"

    def drop_pending(self) -> None:
        """No request waits for its answer any more."""
        self.pending = None
        self.pending_request = None


def _session(m: TicketModel) -> Session:
    session = Session(
        ticket=m.ticket,
        connection_id=m.connection_id,
        tenant_id=m.tenant_id,
        created_at=m.created_at,
        expires_at=m.expires_at,
        state=m.state,
        qbxml_version=m.qbxml_version,
        country=m.country,
        job=m.job,
        pending=m.pending,
        pending_request=m.pending_request,
        last_error=m.last_error,
        round_trips=int(m.round_trips or 0),
        jobs_done=int(m.jobs_done or 0),
        percent=int(m.percent or 0),
        summary=dict(m.summary or {}),
        lease_until=float(m.lease_until) if m.lease_until is not None else None,
        queue_drained_at=float(m.queue_drained_at) if m.queue_drained_at is not None else None,
        version=m.version,
    )
    session.stored = _model(session).serialize()
    return session


def create(
    ticket: str,
    connection_id: str,
    tenant_id: str,
    ttl_seconds: int,
    now: datetime,
    *,
    lease_until: float | None = None,
) -> Session:
    """A new session. `lease_until` is the lease the caller is about to take for it: the session's first calls then
    know they hold the connection without renewing (the ticket is handed out only once the lease is won)."""
    session = Session(
        ticket=ticket,
        connection_id=connection_id,
        tenant_id=tenant_id,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
        lease_until=lease_until,
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


def _model(session: Session) -> TicketModel:
    model = TicketModel(
        session.ticket,
        connection_id=session.connection_id,
        tenant_id=session.tenant_id,
        created_at=session.created_at,
        expires_at=session.expires_at,
        state=session.state,
        qbxml_version=session.qbxml_version,
        country=session.country,
        job=session.job,
        pending=session.pending,
        pending_request=session.pending_request,
        last_error=session.last_error,
        round_trips=session.round_trips,
        jobs_done=session.jobs_done,
        percent=session.percent,
        summary=session.summary or None,
        lease_until=session.lease_until,
        queue_drained_at=session.queue_drained_at,
    )
    if session.version is not None:
        model.version = session.version
    return model


def save(session: Session) -> bool:
    """Write the session unless it is as it was read or last written (True when written); raises StaleSession if
    someone else wrote it since it was read."""
    model = _model(session)
    item = model.serialize()
    if session.stored is not None and item == session.stored:
        return False
    try:
        model.save()
    except PutError as exc:
        if condition_failed(exc):
            raise StaleSession(session.ticket) from exc
        raise
    session.version = model.version
    session.stored = model.serialize()
    return True
