"""Web Connector sessions (tickets). Lambda keeps nothing between calls; all of it lives here.

A ticket names its connection (`mint`: a random token, a dot, the connection id). Every call reads the ticket's
item and its connection in one BatchGetItem (`read`): the connection says whether the session is still the live
one (`active_ticket`, the lease), so the end of a session writes only the connection and the session's history,
never the ticket; and a session's item is first written by the first call that changes it, not at sign-in (until
then `read` builds the session from the connection that holds its ticket). Tickets from before (no connection in
them) are read as before, then their connection.

A ticket is written at most once per SOAP call and only when the call changed it (a call that changed nothing
writes nothing). Every write costs a unit per KB of the larger of the item before and after it, so the ticket keeps
only what later calls read: where the request waiting for its answer is (`pending`), and the request itself
compressed (`pending_request`) only when neither its job's record keeps it nor its job renders it again
(chalicelib/sync/pending_requests.py)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.dal import connections
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.models import ConnectionModel, TicketModel

TICKET_MAX_CHARS = 128
_SEPARATOR = "."  # never in a token_urlsafe token nor in a connection id (`con_` + hex)
_BATCH_TRIES = 5  # a BatchGetItem may leave keys unprocessed (throttling): asked again


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
        queue_drained_at=float(m.queue_drained_at) if m.queue_drained_at is not None else None,
        version=m.version,
    )
    session.stored = _model(session).serialize()
    return session


def mint(connection_id: str, token_bytes: int) -> str:
    """A new session's ticket: `token_bytes` random bytes (URL-safe text), then the connection it belongs to. The
    token is the secret; the connection id only tells a call where to look."""
    return f"{secrets.token_urlsafe(token_bytes)}{_SEPARATOR}{connection_id}"


def connection_of(ticket: str) -> str | None:
    """The connection a ticket names, or None (a ticket from before tickets named one, or not a ticket)."""
    token, separator, connection_id = ticket.rpartition(_SEPARATOR)
    return connection_id if separator and token and connection_id else None


@dataclass(frozen=True)
class SessionRead:
    """A ticket's session and its connection as one call read them. `session` is None for an unknown or expired
    ticket; `connection` is None when the connection is gone (deleted), or was not read (an unknown ticket)."""

    session: Session | None
    connection: connections.Connection | None

    @property
    def live(self) -> bool:
        """The session is open and its connection still holds it (the lease may have run out: nobody took it)."""
        return (
            self.session is not None
            and self.session.open
            and self.connection is not None
            and holds(self.connection, self.session.ticket)
        )


def holds(conn: connections.Connection, ticket: str) -> bool:
    # compare_digest takes ASCII text only: a ticket is whatever the caller sent
    return conn.active_ticket is not None and hmac.compare_digest(
        conn.active_ticket.encode(), ticket.encode()
    )


def read(ticket: str, *, ttl_seconds: int, ending: bool = False) -> SessionRead:
    """The session of `ticket` and its connection, in one request for a ticket that names its connection.

    A session is valid `ttl_seconds` from its start; its item is kept (DynamoDB's TTL) as long as a message set's
    record, so that a takeover days later (`ending`: a session read to be ended, however old) still finds the set a
    dead session sent. A session whose item is not written yet (signed in, no call has changed it) is built from
    the connection holding its ticket, which says when it started."""
    if not ticket or len(ticket) > TICKET_MAX_CHARS:
        return SessionRead(None, None)
    connection_id = connection_of(ticket)
    if connection_id is None:  # from before tickets named their connection (kept as long as they were valid)
        session = get(ticket)
        return SessionRead(session, connections.get(session.connection_id) if session is not None else None)
    ticket_item, connection_item = _read_both(ticket, connection_id)
    conn = connections.from_model(ConnectionModel.from_raw_data(connection_item)) if connection_item else None
    now = datetime.now(UTC)
    if ticket_item is not None:
        model = TicketModel.from_raw_data(ticket_item)
        if model.connection_id != connection_id or model.expires_at <= now:
            return SessionRead(None, None)  # another connection's, or past its keeping (TTL deletion is lazy)
        if not ending and model.created_at + timedelta(seconds=ttl_seconds) <= now:
            return SessionRead(None, conn)
        return SessionRead(_session(model), conn)
    if conn is None or not holds(conn, ticket):
        return SessionRead(None, conn)
    started = datetime.fromtimestamp(conn.session_started, UTC) if conn.session_started is not None else now
    if not ending and started + timedelta(seconds=ttl_seconds) <= now:
        return SessionRead(None, conn)
    return SessionRead(
        Session(
            ticket=ticket,
            connection_id=conn.connection_id,
            tenant_id=conn.tenant_id,
            created_at=started,
            expires_at=started + connections.MESSAGE_SET_KEPT,
        ),
        conn,
    )


def _read_both(ticket: str, connection_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The raw items of the ticket and of its connection, read consistently in one BatchGetItem."""
    tickets_table, connections_table = TicketModel.Meta.table_name, ConnectionModel.Meta.table_name
    wanted: dict[str, Any] = {
        tickets_table: {"Keys": [{"ticket": {"S": ticket}}], "ConsistentRead": True},
        connections_table: {"Keys": [{"connection_id": {"S": connection_id}}], "ConsistentRead": True},
    }
    found: dict[str, dict[str, Any]] = {}
    for _ in range(_BATCH_TRIES):
        answer = TicketModel._get_connection().connection.dispatch("BatchGetItem", {"RequestItems": wanted})
        for table, items in answer.get("Responses", {}).items():
            for item in items:
                found[table] = item
        wanted = answer.get("UnprocessedKeys") or {}
        if not wanted:
            return found.get(tickets_table), found.get(connections_table)
    raise RuntimeError("DynamoDB left a ticket's read unprocessed")  # throttled through every try


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
