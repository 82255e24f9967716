"""Connections (one QuickBooks company file each), their Web Connector credentials and session lease.

The connection item is written several times in every Web Connector session (the lease, the unresolved message
set), and each write costs a write unit per KB of the item: it keeps only what the code reads, so that it stays
under 1 KB (the company information as `CompanyInfo`, the user name derived from the id)."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from pynamodb.exceptions import DeleteError

from chalicelib.dal import payloads
from chalicelib.dal.conditions import condition_failed, updated
from chalicelib.dal.models import ConnectionModel, LoginFailureModel
from chalicelib.errors import NotFound

USERNAME_PREFIX = "lb-"


class CompanyInfo(TypedDict, total=False):
    """What Ledgerbridge reads of QuickBooks' answer about the open company file (the HostQuery, CompanyQuery and
    PreferencesQuery of a session's first call, `qbxml.responses.parse_hcp_response`): the name, product and
    country shown on the connection, the qbXML versions the file supports, and multicurrency
    (docs/accounting/multicurrency.md). What nothing reads (legal name, product version numbers, file mode, sample
    company) is not kept. `Connection.company` is this shape, without what QuickBooks did not report (None)."""

    company_name: str | None
    product_name: str | None
    country: str | None
    supported_qbxml_versions: list[str]
    multicurrency: bool | None
    home_currency: str | None


COMPANY_FIELDS = ("company_name", "product_name", "country", "multicurrency", "home_currency")
# The qbXML versions in the order Intuit released them. QuickBooks lists every one it supports, from the first up
# (a US QuickBooks Desktop 2023's HostRet: reference/qbxml/samples/synthesized/host_company_query_rs.xml).
QBXML_RELEASES = (
    *("1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0"),
    *("8.0", "9.0", "10.0", "11.0", "12.0", "13.0", "14.0", "15.0", "16.0"),
)
RELEASES_THROUGH = ".."  # "1.0..16.0": every release from 1.0 to 16.0


def _versions_stored(versions: list[str]) -> str | list[str]:
    """The supported versions as the item keeps them: "1.0..16.0" when they are every release from the first to the
    last (as QuickBooks lists them: 9 bytes instead of 120), else space-separated, else (a version with a blank or
    "..") the list itself."""
    if versions and versions[0] in QBXML_RELEASES and versions[-1] in QBXML_RELEASES:
        first, last = QBXML_RELEASES.index(versions[0]), QBXML_RELEASES.index(versions[-1])
        if len(versions) > 1 and list(QBXML_RELEASES[first : last + 1]) == versions:
            return versions[0] + RELEASES_THROUGH + versions[-1]
    if any(not v or v != "".join(v.split()) or RELEASES_THROUGH in v for v in versions):
        return list(versions)
    return " ".join(versions)


def _versions_read(stored: object) -> list[str]:
    if isinstance(stored, list):
        return [str(v) for v in stored]
    text = str(stored)
    first, through, last = text.partition(RELEASES_THROUGH)
    if through and first in QBXML_RELEASES and last in QBXML_RELEASES:
        return list(QBXML_RELEASES[QBXML_RELEASES.index(first) : QBXML_RELEASES.index(last) + 1])
    return text.split()


def stored_company(company: Mapping[str, Any]) -> dict[str, Any]:
    """The item's form of a `CompanyInfo`: nothing QuickBooks did not report, the versions compact."""
    stored = {k: v for k, v in company.items() if k in COMPANY_FIELDS and v is not None}
    versions = company.get("supported_qbxml_versions")
    if versions:
        stored["qbxml_versions"] = _versions_stored(list(versions))
    return stored


def read_company(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """`CompanyInfo` from the item, whether written compact or, before, in full (QuickBooks' every field, the
    versions as a list): what is not read is dropped either way."""
    if stored is None:
        return None
    company: dict[str, Any] = {k: stored[k] for k in COMPANY_FIELDS if stored.get(k) is not None}
    if "qbxml_versions" in stored:
        company["supported_qbxml_versions"] = _versions_read(stored["qbxml_versions"])
    elif isinstance(stored.get("supported_qbxml_versions"), list):  # in full, as written before
        company["supported_qbxml_versions"] = _versions_read(stored["supported_qbxml_versions"])
    return company


def _company_in_full(stored: dict[str, Any] | None) -> bool:
    """Whether the item holds the company information as written before it was kept compact."""
    return stored is not None and stored != stored_company(read_company(stored) or {})


@dataclass(frozen=True)
class Connection:
    connection_id: str
    tenant_id: str
    name: str
    username: str
    file_id: str
    run_every_minutes: int
    created_at: datetime
    password_hash: str | None
    password_set_at: datetime | None
    failed_logins: int
    locked_until: float | None
    active_ticket: str | None
    lease_until: float | None
    last_contact_at: datetime | None
    connected_at: datetime | None
    company: dict[str, Any] | None  # a CompanyInfo
    company_file_path: str | None
    qbxml_version: str | None
    last_error: dict[str, Any] | None
    lists_refreshed_at: datetime | None
    # The id of the one message set whose outcome is not known yet; its record is `message_set_record`'s.
    unresolved_set_id: str | None = None
    queue_drained_at: float | None = None
    login_failures_until: float | None = None
    channels_version: int = 0
    standing_channels: dict[str, Any] | None = None
    # When the live session signed in (epoch seconds; None for a session from before it was kept).
    session_started: float | None = None
    # The item still holds the company information in full (written before it was kept compact): the next
    # session's `record_company` rewrites it.
    company_in_full: bool = False

    @property
    def has_connected(self) -> bool:
        return self.connected_at is not None

    def may_have_source_failures(self, now: float) -> bool:
        """Whether a source's wrong passwords may still count at `now` (else reading them is pointless).

        A connection from before `login_failures_until` existed is read whenever it has had wrong passwords."""
        if self.login_failures_until is None:
            return self.failed_logins > 0
        return self.login_failures_until > now

    def standing_channel_ids(self) -> list[str] | None:
        """The channels with standing jobs, or None when unknown (never listed, or channels changed since)."""
        known = self.standing_channels
        if not known or int(known.get("version", -1)) != self.channels_version:
            return None
        return [str(i) for i in known.get("ids", [])]


def _connection(m: ConnectionModel) -> Connection:
    return Connection(
        connection_id=m.connection_id,
        tenant_id=m.tenant_id,
        name=m.name,
        username=m.username or USERNAME_PREFIX + m.connection_id,
        file_id=m.file_id,
        run_every_minutes=int(m.run_every_minutes),
        created_at=m.created_at,
        password_hash=m.password_hash,
        password_set_at=m.password_set_at,
        failed_logins=int(m.failed_logins or 0),
        locked_until=m.locked_until,
        active_ticket=m.active_ticket,
        lease_until=m.lease_until,
        last_contact_at=m.last_contact_at,
        connected_at=m.connected_at,
        company=read_company(m.company),
        company_file_path=m.company_file_path,
        qbxml_version=m.qbxml_version,
        last_error=m.last_error,
        lists_refreshed_at=m.lists_refreshed_at,
        unresolved_set_id=m.unresolved_set_id,
        queue_drained_at=_float(m.queue_drained_at),
        login_failures_until=_float(m.login_failures_until),
        channels_version=int(m.channels_version or 0),
        standing_channels=m.standing_channels,
        company_in_full=_company_in_full(m.company),
        session_started=_float(m.session_started),
    )


def from_model(m: ConnectionModel) -> Connection:
    """A connection read by another module's request (chalicelib/dal/tickets.py reads one with a ticket)."""
    return _connection(m)


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def connection_id_from_username(username: str) -> str | None:
    if not username.startswith(USERNAME_PREFIX) or len(username) > 64:
        return None
    return username[len(USERNAME_PREFIX) :] or None


def create(tenant_id: str, name: str, run_every_minutes: int) -> Connection:
    connection_id = "con_" + secrets.token_hex(8)
    model = ConnectionModel(
        connection_id,
        tenant_id=tenant_id,
        name=name,
        file_id=str(uuid.uuid4()).upper(),
        run_every_minutes=run_every_minutes,
        created_at=datetime.now(UTC),
    )
    model.save(condition=ConnectionModel.connection_id.does_not_exist())
    return _connection(model)


def get(connection_id: str) -> Connection | None:
    if not connection_id or len(connection_id) > 64:
        return None
    try:
        return _connection(ConnectionModel.get(connection_id, consistent_read=True))
    except ConnectionModel.DoesNotExist:
        return None


def get_for_tenant(tenant_id: str, connection_id: str) -> Connection:
    """The tenant's connection; another tenant's id is as unknown as a made-up one."""
    conn = get(connection_id)
    if conn is None or conn.tenant_id != tenant_id:
        raise NotFound(f"no connection {connection_id}")
    return conn


def company_country(connection_id: str) -> str:
    """The country of the connection's company file as QuickBooks reported it (its edition shapes the qbXML);
    US until it has connected."""
    conn = get(connection_id)
    return str((conn.company or {}).get("country") or "US") if conn is not None else "US"


def list_for_tenant(tenant_id: str) -> list[Connection]:
    keys = [m.connection_id for m in ConnectionModel.by_tenant.query(tenant_id)]  # a keys-only index
    conns = [_connection(m) for m in ConnectionModel.batch_get(keys)] if keys else []
    return sorted((c for c in conns if c.tenant_id == tenant_id), key=lambda c: c.created_at)


def list_all() -> list[Connection]:
    return [_connection(m) for m in ConnectionModel.scan()]


def delete(tenant_id: str, connection_id: str) -> None:
    try:
        ConnectionModel(connection_id).delete(condition=ConnectionModel.tenant_id == tenant_id)
    except DeleteError as exc:
        if condition_failed(exc):
            raise NotFound(f"no connection {connection_id}") from exc
        raise


def _update(connection_id: str, actions: list[Any], condition: Any = None) -> bool:
    """Apply update actions; False when the condition (or the item's existence) does not hold."""
    cond = ConnectionModel.connection_id.exists()
    if condition is not None:
        cond = cond & condition
    return updated(ConnectionModel(connection_id), actions, cond)


def set_password_hash(connection_id: str, password_hash: str) -> bool:
    return _update(
        connection_id,
        [
            ConnectionModel.password_hash.set(password_hash),
            ConnectionModel.password_set_at.set(datetime.now(UTC)),
            ConnectionModel.failed_logins.remove(),
            ConnectionModel.locked_until.remove(),
        ],
    )


@dataclass(frozen=True)
class SourceFailures:
    """Wrong passwords from one source for one connection: how many in a row, the last one's time, and
    until when that source's attempts are refused unchecked (None: not slowed)."""

    source: str
    failures: int
    last_failed_at: float
    blocked_until: float | None

    def blocked_at(self, now: float, password_set_at: datetime | None) -> bool:
        """Whether this source waits at `now`. Failures before the password was last set do not count:
        a merchant who generated a new password is not kept waiting by the old one's mistakes."""
        if password_set_at is not None and self.last_failed_at < password_set_at.timestamp():
            return False
        return self.blocked_until is not None and self.blocked_until > now


@dataclass(frozen=True)
class Backoff:
    """How wrong passwords from one source are slowed: `free` failures, then a wait of `first_seconds`
    doubling with each further failure up to `max_seconds`; a source quiet for `window_seconds` starts
    over."""

    free: int
    first_seconds: int
    max_seconds: int
    window_seconds: int

    def wait(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(self.max_seconds, self.first_seconds << min(failures - self.free, 30))


def source_failures(connection_id: str, source: str) -> SourceFailures | None:
    try:
        m = LoginFailureModel.get(connection_id, source, consistent_read=True)
    except LoginFailureModel.DoesNotExist:
        return None
    return SourceFailures(m.source, int(m.failures or 0), float(m.last_failed_at), m.blocked_until)


def record_failed_login(
    connection_id: str, source: str, now: float, backoff: Backoff, previous: SourceFailures | None
) -> SourceFailures:
    """Count a wrong password from `source` (atomically) and slow that source once it has had its free
    tries. The connection itself is never locked; its `failed_logins` only says how many wrong passwords
    arrived since the last right one (the merchant's status shows it)."""
    stale = previous is None or previous.last_failed_at < now - backoff.window_seconds
    expires = datetime.fromtimestamp(now + backoff.window_seconds, UTC)
    model = LoginFailureModel(connection_id, source)
    actions: list[Any] = [
        LoginFailureModel.last_failed_at.set(now),
        LoginFailureModel.expires_at.set(expires),
    ]
    if stale:  # a source quiet for the window starts over
        actions += [LoginFailureModel.failures.set(1), LoginFailureModel.blocked_until.remove()]
    else:
        actions.append(LoginFailureModel.failures.add(1))
    model.update(actions=actions)
    failures = int(model.failures or 0)
    wait = backoff.wait(failures)
    blocked_until = now + wait if wait else None
    if blocked_until is not None:
        model.update(actions=[LoginFailureModel.blocked_until.set(blocked_until)])
    # Every source's failures stop mattering by now + the longer of the window and the longest wait: until
    # then authenticate reads the source's record (the value only grows: `now` does, the backoff is fixed).
    until = now + max(backoff.window_seconds, backoff.max_seconds)
    _update(
        connection_id,
        [ConnectionModel.failed_logins.add(1), ConnectionModel.login_failures_until.set(until)],
    )
    return SourceFailures(source, failures, now, blocked_until)


def clear_failed_logins(connection_id: str, source: str | None = None) -> None:
    """After the right password: forget `source`'s wrong ones and the connection's count."""
    if source is not None:
        LoginFailureModel(connection_id, source).delete()
    _update(connection_id, [ConnectionModel.failed_logins.remove(), ConnectionModel.locked_until.remove()])


def acquire_session(
    connection_id: str,
    ticket: str,
    now: float,
    lease_until: float,
    *,
    signed_in_at: datetime | None = None,
    standing_channels: dict[str, Any] | None = None,
) -> bool:
    """Make `ticket` the one live session unless another session's lease is still running; in the same write,
    what the sign-in learnt (`record_sign_in`'s contact time and standing channels)."""
    free = ConnectionModel.active_ticket.does_not_exist() | (ConnectionModel.lease_until < now)
    actions: list[Any] = [
        ConnectionModel.active_ticket.set(ticket),
        ConnectionModel.lease_until.set(lease_until),
        ConnectionModel.session_started.set(now),
    ]
    if signed_in_at is not None:
        actions.append(ConnectionModel.last_contact_at.set(signed_in_at))
    if standing_channels is not None:
        actions.append(ConnectionModel.standing_channels.set(standing_channels))
    return _update(connection_id, actions, free)


def renew_session(connection_id: str, ticket: str, lease_until: float) -> bool:
    """Extend the lease; False when this ticket is no longer the live session."""
    return _update(
        connection_id,
        [ConnectionModel.lease_until.set(lease_until)],
        ConnectionModel.active_ticket == ticket,
    )


def release_session(
    connection_id: str,
    ticket: str,
    *,
    queue_drained_at: float | None = None,
    clearing_set: str | None = None,
) -> bool:
    """End the live session's lease; with it, when the session found the queue empty (epoch seconds), and the clear
    of the unresolved set `clearing_set` held by `holding_set_clears` (one write; should either condition not hold,
    each is written on its own, so the clear never depends on the lease)."""
    actions: list[Any] = [
        ConnectionModel.active_ticket.remove(),
        ConnectionModel.lease_until.remove(),
        ConnectionModel.session_started.remove(),
    ]
    if queue_drained_at is not None:
        actions.append(ConnectionModel.queue_drained_at.set(queue_drained_at))
    held = ConnectionModel.active_ticket == ticket
    if clearing_set is not None:
        clear = [ConnectionModel.unresolved_set_id.remove(), ConnectionModel.unresolved_set.remove()]
        if _update(
            connection_id, actions + clear, held & (ConnectionModel.unresolved_set_id == clearing_set)
        ):
            return True
        _clear_unresolved_set(connection_id, clearing_set)
    return _update(connection_id, actions, held)


def record_sign_in(
    connection_id: str,
    at: datetime,
    *,
    queue_drained_at: float | None = None,
    standing_channels: dict[str, Any] | None = None,
) -> None:
    """One write for what a sign-in learnt: the contact, and when given the time the queue was found empty
    (epoch seconds, wall clock) and the channels with standing jobs ({"version", "ids"})."""
    actions: list[Any] = [ConnectionModel.last_contact_at.set(at)]
    if queue_drained_at is not None:
        actions.append(ConnectionModel.queue_drained_at.set(queue_drained_at))
    if standing_channels is not None:
        actions.append(ConnectionModel.standing_channels.set(standing_channels))
    _update(connection_id, actions)


def note_channels_changed(connection_id: str) -> None:
    """A channel of the connection was added or changed: the standing-jobs channels it keeps are out of date."""
    _update(connection_id, [ConnectionModel.channels_version.add(1)])


def record_company(
    conn: Connection,
    company: CompanyInfo,
    company_file_path: str,
    qbxml_version: str,
    at: datetime,
    *,
    clear_last_error: bool = False,
) -> bool:
    """Store what QuickBooks reported about the open company file: one write, none when nothing changed since the
    last session (an item still holding the company information in full is rewritten compact). `clear_last_error`
    removes the connection's last error in the same write (alone when nothing else changed). True on the first
    connection ever."""
    first = conn.connected_at is None
    stored = stored_company(company)
    unchanged = (conn.company, conn.company_file_path, conn.qbxml_version) == (
        read_company(stored),
        company_file_path,
        qbxml_version,
    )
    if not first and unchanged and not conn.company_in_full:
        if clear_last_error:
            clear_error(conn.connection_id)
        return False
    actions: list[Any] = [
        ConnectionModel.connected_at.set(ConnectionModel.connected_at | at),  # if_not_exists: the first time
        ConnectionModel.company.set(stored),
        ConnectionModel.company_file_path.set(company_file_path),
        ConnectionModel.qbxml_version.set(qbxml_version),
        ConnectionModel.last_contact_at.set(at),
    ]
    if clear_last_error:
        actions.append(ConnectionModel.last_error.remove())
    _update(conn.connection_id, actions)
    return first


def record_error(connection_id: str, error: dict[str, Any]) -> None:
    _update(connection_id, [ConnectionModel.last_error.set(error)])


def clear_error(connection_id: str) -> None:
    _update(connection_id, [ConnectionModel.last_error.remove()])


def record_lists_refreshed(connection_id: str, at: datetime) -> None:
    _update(connection_id, [ConnectionModel.lists_refreshed_at.set(at)])


# A recorded set is kept this long (TTL, removed free of charge). A set still unresolved after it cannot be settled
# from its record any more; its orders stay marked to be verified and are looked up in QuickBooks instead.
MESSAGE_SET_KEPT = timedelta(days=30)


def message_set_key(connection_id: str, message_set_id: str) -> str:
    return f"set#{connection_id}#{message_set_id}"


# The field of a set's record that carries the request sending the set (kept for a Web Connector that asks again).
SET_REQUEST_FIELD = "request"


def record_message_set(
    connection_id: str, message_set: dict[str, Any], *, request: str | None = None
) -> None:
    """Keep the record of the message set about to be sent: until its answer is applied its outcome is unknown.

    The record (the set's orders and requests: tens of KB for a hundred orders) is kept in the payloads table, so
    the connection item stays small and every other write to it cheap. `request`, the qbXML that sends the set, is
    kept in the same record (`SET_REQUEST_FIELD`), compressed with it: one payload item for both. While the session
    that sends it lives, the set is named by that session's ticket (its pending request, saved before the request
    leaves: the ticket's version fences a session taken over); a session that ends, or is taken over, without its
    answer names it here (`mark_unresolved_set`)."""
    key = message_set_key(connection_id, message_set["id"])
    kept = message_set if request is None else {**message_set, SET_REQUEST_FIELD: request}
    payloads.put(
        key, json.dumps(kept, separators=(",", ":")).encode(), expires_at=datetime.now(UTC) + MESSAGE_SET_KEPT
    )


def mark_unresolved_set(connection_id: str, ticket: str, message_set_id: str) -> bool:
    """Name the set `ticket`'s session sent and will not settle as the connection's unresolved set (its fate is asked
    of QuickBooks before anything else is sent). Only while that session holds the connection; False when another
    set is unresolved already, which the session could not have sent past (see the Web Connector engine)."""
    return _update(
        connection_id,
        [ConnectionModel.unresolved_set_id.set(message_set_id)],
        (ConnectionModel.active_ticket == ticket)
        & (
            ConnectionModel.unresolved_set_id.does_not_exist()
            | (ConnectionModel.unresolved_set_id == message_set_id)
        ),
    )


def message_set_record(connection_id: str, message_set_id: str) -> dict[str, Any] | None:
    """The record of a message set `record_message_set` kept, or None when it is no longer kept."""
    try:
        found: dict[str, Any] = json.loads(payloads.get(message_set_key(connection_id, message_set_id)))
    except payloads.PayloadMissing:
        return None
    return found


def unresolved_set(conn: Connection) -> dict[str, Any] | None:
    """The connection's unresolved message set's record (None when there is none, or when it is no longer kept:
    then the id is cleared, and the set's orders, still marked to be verified, are looked up by the sweep)."""
    if conn.unresolved_set_id is None:
        return None
    record = message_set_record(conn.connection_id, conn.unresolved_set_id)
    if record is None:
        legacy = ConnectionModel.get(conn.connection_id, consistent_read=True).unresolved_set
        if legacy and legacy.get("id") == conn.unresolved_set_id:
            return dict(legacy)  # kept on the connection item before records moved to the payloads table
        clear_unresolved_set(conn.connection_id, conn.unresolved_set_id)
    return record


def clear_unresolved_set(connection_id: str, message_set_id: str) -> bool:
    """The set's outcome is known. Its record stays until its time to live (no write spent on removing it).

    Within `holding_set_clears` the clear is noted, to be written with the session's release or when the block
    ends (True then, as nothing but this set's own clear can have removed its id)."""
    held = _held_clears.get()
    if held is not None:
        if message_set_id == held.on_connection:
            held.sets.append((connection_id, message_set_id))
        return True
    return _clear_unresolved_set(connection_id, message_set_id)


def _clear_unresolved_set(connection_id: str, message_set_id: str) -> bool:
    return _update(
        connection_id,
        [ConnectionModel.unresolved_set_id.remove(), ConnectionModel.unresolved_set.remove()],
        ConnectionModel.unresolved_set_id == message_set_id,
    )


@dataclass
class HeldClears:
    """Clears of unresolved sets (connection id, set id) noted within `holding_set_clears`, not written yet.

    `on_connection`: the set the connection named when the call read it. A set settled in the call that is not that
    one was its session's own, named only by the session's ticket: there is nothing to clear on the connection."""

    sets: list[tuple[str, str]] = field(default_factory=list)
    on_connection: str | None = None

    def take(self, connection_id: str) -> str | None:
        """The held clear of `connection_id`'s set, for the caller to write with its own write of the connection
        (`release_session`); None unless exactly one is held."""
        mine = [set_id for held, set_id in self.sets if held == connection_id]
        if len(mine) != 1:
            return None
        self.sets.remove((connection_id, mine[0]))
        return mine[0]

    def flush(self) -> None:
        """Write the clears still held."""
        while self.sets:
            _clear_unresolved_set(*self.sets.pop(0))


_held_clears: ContextVar[HeldClears | None] = ContextVar("held_set_clears", default=None)


def take_held_clear(connection_id: str) -> str | None:
    """Within `holding_set_clears`, the held clear of `connection_id`'s set, for the caller to write with its own
    write of the connection (`release_session`); None outside one, or when none is held."""
    held = _held_clears.get()
    return held.take(connection_id) if held is not None else None


@contextmanager
def holding_set_clears(on_connection: str | None) -> Iterator[HeldClears]:
    """Within it, `clear_unresolved_set` notes the clear instead of writing it, so that an answer that ends the
    session clears its set and releases the lease in one write of the connection instead of two. What is still held
    when the block ends (returning or raising) is written then.

    Only the clear is held, never the record of a set (written before its request leaves), and only within the one
    call: should the call die before writing it, the set stays unresolved and the next session asks QuickBooks about
    it first (settling orders already settled changes nothing). `on_connection` is the connection's unresolved set
    as the call read it (`HeldClears`)."""
    held = HeldClears(on_connection=on_connection)
    token = _held_clears.set(held)
    try:
        yield held
    finally:
        _held_clears.reset(token)
        held.flush()
