"""The Web Connector session: the eleven SOAP methods as use cases.

Every call reads and writes its state in DynamoDB (the ticket item and the connection's session lease), so
any Lambda can answer any call. A connection has at most one live session: `authenticate` takes a lease
with a conditional write and every later call renews it; a second Web Connector gets `busy`, and a session
that died is taken over once its lease has run out, its unfinished job handed back to the queue.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

from chalicelib import credentials
from chalicelib.aws import QueuedJob, WorkQueue
from chalicelib.dal import connections, sync_runs, tickets
from chalicelib.dal.connections import Connection
from chalicelib.dal.tickets import Session
from chalicelib.errors import InvalidInput
from chalicelib.lazy import lazy_module
from chalicelib.observability import BusinessMetric, count, logger
from chalicelib.qbwc.hresults import explain_hresult
from chalicelib.qbwc.params import parse_version
from chalicelib.settings import Settings, get_settings
from chalicelib.sync import pending_requests
from chalicelib.sync.jobs import (
    POST_SUMMARIES,
    READ_INVENTORY,
    READ_SALES,
    RECOVER_MESSAGE_SET,
    REFRESH_COMPANY_LISTS,
    WRITE_TRACKING,
    Applied,
    ForeignAnswer,
    JobContext,
    JobRunner,
    new_job,
)
from chalicelib.sync.order_jobs import POST_ORDER, order_refs
from chalicelib.sync.session_summary import add_counts, excerpt, note_error, outcome, summary_text
from chalicelib.sync.standing_jobs import queue_standing_jobs
from chalicelib.sync.stranded_orders import idle_write_due, overdue_sweep, requeue_stranded

if TYPE_CHECKING:
    from chalicelib import qbxml
    from chalicelib.qbxml.responses import MessageSetResponse
    from chalicelib.sync import (
        company_lists,
        inventory,
        post_orders,
        recover_orders,
        shipstation_outbound,
        summary_transactions,
    )
else:  # each loaded when a job of its kind first runs (`JobRunners`), or a set needs recovering
    # qbXML (and lxml) at the first answer from QuickBooks: a sign-in reads none
    qbxml = lazy_module("chalicelib.qbxml")
    company_lists = lazy_module("chalicelib.sync.company_lists")
    inventory = lazy_module("chalicelib.sync.inventory")
    post_orders = lazy_module("chalicelib.sync.post_orders")
    recover_orders = lazy_module("chalicelib.sync.recover_orders")
    shipstation_outbound = lazy_module("chalicelib.sync.shipstation_outbound")
    summary_transactions = lazy_module("chalicelib.sync.summary_transactions")

SERVER_VERSION = "Ledgerbridge 0.1.0"
# What the Web Connector hands over (a message, an HRESULT) is stored as an excerpt: a 3 MB message must not
# push the connection or the session past DynamoDB's 400 KB item limit (and leave the session hanging).
MIN_WEB_CONNECTOR = (2, 1, 0, 30)
RECOMMENDED_WEB_CONNECTOR = (2, 3, 0, 0)
QBXML_CEILING = "13.0"

NO_SESSION = (
    "This Web Connector session is no longer valid (it expired, ended, or a newer session replaced it). "
    "Nothing was lost: the next run starts a fresh session."
)
CONNECTION_DELETED = "This connection was deleted in Ledgerbridge."
ABANDON_TRIES = 3  # a takeover racing a call of the session it replaces reads the session again
SHOWN_RUNNING_FROM = (
    2  # the round trip after which a session still going is written to the history as running
)
UNKNOWN_SOURCE = "unknown"
WRONG_PASSWORD_MESSAGE = "A Web Connector at {source} sent a wrong password for this connection."  # noqa: S105
SLOWED_MESSAGE = (
    "After {failures} wrong passwords in a row that address waits {minutes} minute(s) between tries; other "
    "addresses are not affected. If that is your Web Connector, generate a new password in Ledgerbridge and "
    "enter it in the Web Connector: the new password is let in at once."
)


class JobRunners(Mapping[str, JobRunner]):
    """The job runners by kind, each made (its module imported) when a job of its kind first runs: a cold
    container's idle poll loads none of them (~15-30 ms of imports). Runners keep no state, so two threads making
    the same one at once is harmless."""

    def __init__(self, classes: dict[str, tuple[ModuleType, str]]) -> None:
        self._classes = classes  # kind -> (the runner's lazily loaded module, its class's name)
        self._made: dict[str, JobRunner] = {}

    def __getitem__(self, kind: str) -> JobRunner:
        runner = self._made.get(kind)
        if runner is None:
            module, name = self._classes[kind]  # KeyError for an unknown kind, as a dict's
            runner = self._made[kind] = getattr(module, name)()
        return runner

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)


RUNNERS = JobRunners(
    {
        REFRESH_COMPANY_LISTS: (company_lists, "RefreshCompanyLists"),
        POST_ORDER: (post_orders, "PostOrders"),
        RECOVER_MESSAGE_SET: (recover_orders, "RecoverMessageSet"),
        READ_INVENTORY: (inventory, "ReadInventory"),
        READ_SALES: (shipstation_outbound, "ReadSalesForShipStation"),
        WRITE_TRACKING: (shipstation_outbound, "WriteTracking"),
        POST_SUMMARIES: (summary_transactions, "PostSummaryTransactions"),
    }
)


# Session tickets and the throwaway tickets of refusals differ in length, so closing a refusal reads nothing.
SESSION_TICKET_BYTES = 32
SESSION_TICKET_CHARS = (
    43  # token_urlsafe(32); a session's ticket also names its connection (dal/tickets.py `mint`)
)
REFUSAL_TICKET_BYTES = 16  # token_urlsafe(16): 22 characters


@dataclass(frozen=True)
class AuthResult:
    ticket: str
    status: str  # "" = use the open company file, or nvu / none / busy

    def as_soap(self) -> list[str]:
        return [self.ticket, self.status]


def bounded_version(version: str, major: str, minor: str) -> str:
    """`version`, lowered to `major.minor` when the Web Connector says QuickBooks speaks no higher (sane
    numbers only: anything else leaves `version` as it is)."""
    major, minor = major.strip(), minor.strip() or "0"
    if not (major.isascii() and major.isdigit() and minor.isascii() and minor.isdigit()):
        return version
    if len(major) > 3 or len(minor) > 3:
        return version
    said = (int(major), int(minor))
    have_major, _, have_minor = version.partition(".")
    try:
        have = (int(have_major), int(have_minor or 0))
    except ValueError:
        return f"{said[0]}.{said[1]}"
    return version if have <= said else f"{said[0]}.{said[1]}"


def country_of(text: str) -> str | None:
    """The qbXMLCountry parameter ("US", "CA", "UK", "AU") when it is one of those."""
    value = text.strip().upper()
    return value if value in ("US", "CA", "UK", "AU") else None


def _version_tuple(text: str) -> tuple[int, ...]:
    """The Web Connector's version as numbers; InvalidInput (a SOAP Client fault) when it is not one."""
    try:
        return parse_version(text)
    except ValueError as exc:
        raise InvalidInput.of("invalid clientVersion", {"strVersion": str(exc)}) from exc


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebConnectorService:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Callable[[], datetime] = _utcnow,
        queue_for: Callable[[str], WorkQueue] | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.clock = clock
        self.queue_for = queue_for or (lambda connection_id: WorkQueue(connection_id, self.settings))

    # --- versions -------------------------------------------------------------------------------
    def server_version(self) -> str:
        return SERVER_VERSION

    def client_version(self, version: str) -> str:
        if not version.strip():
            return ""
        have = _version_tuple(version)
        if have < MIN_WEB_CONNECTOR:
            return (
                f"E:Web Connector {version} is too old for Ledgerbridge. Install QuickBooks Web Connector "
                "2.3 or later from Intuit, then try again."
            )
        if have < RECOMMENDED_WEB_CONNECTOR:
            return f"W:Web Connector {version} works, but version 2.3 or later is recommended."
        return ""

    # --- authenticate -----------------------------------------------------------------------------
    def authenticate(self, username: str, password: str, source: str = UNKNOWN_SOURCE) -> AuthResult:
        """Open a session for the right user name and password; `nvu` for anything else.

        `source` is the caller's address (API Gateway's `requestContext.identity.sourceIp`). Wrong passwords
        are counted and slowed per source, never against the connection: the password is generated (160
        bits), so guessing is hopeless anyway, and locking the connection would let anyone who knows the
        user name keep the merchant's Web Connector out. A source past its free tries waits (refused without
        checking the password, so it costs the server one read); every other source, the owner's included,
        is checked as usual. An unknown user name is refused at once (user names are random: no password
        check is spent on them, and the answer is the same `nvu` with a throwaway ticket)."""
        refusal = secrets.token_urlsafe(REFUSAL_TICKET_BYTES)  # a ticket nobody can use
        connection_id = connections.connection_id_from_username(username.strip())
        conn = connections.get(connection_id) if connection_id else None
        if conn is None:
            logger.info(
                "authenticate: unknown user name", extra={"username": username[:64], "source": source}
            )
            count(BusinessMetric.LOGIN_FAILED)
            return AuthResult(refusal, "nvu")
        now = self.clock()
        ts = now.timestamp()
        # Reading the source's wrong passwords only while any could still count: an idle poll reads the connection
        # and writes it (or sweeps), nothing more (chalicelib/sync/stranded_orders.py).
        earlier = (
            connections.source_failures(conn.connection_id, source)
            if conn.may_have_source_failures(ts)
            else None
        )
        if earlier is not None and earlier.blocked_at(ts, conn.password_set_at):
            logger.warning(
                "authenticate: source slowed after wrong passwords",
                extra={"connection_id": conn.connection_id, "source": source, "failures": earlier.failures},
            )
            count(BusinessMetric.LOGIN_FAILED)
            return AuthResult(refusal, "nvu")
        if not credentials.verify_password(password, conn.password_hash):
            backoff = connections.Backoff(
                free=self.settings.login_failures_before_backoff,
                first_seconds=self.settings.login_backoff_seconds,
                max_seconds=self.settings.login_backoff_max_seconds,
                window_seconds=self.settings.login_failure_window_seconds,
            )
            counted = connections.record_failed_login(conn.connection_id, source, ts, backoff, earlier)
            error = WRONG_PASSWORD_MESSAGE.format(source=source)
            if counted.blocked_until is not None:
                wait = max(1, round((counted.blocked_until - ts) / 60))
                error += " " + SLOWED_MESSAGE.format(failures=counted.failures, minutes=wait)
            connections.record_error(conn.connection_id, self._error("wrong_password", error, now))
            logger.warning(
                "authenticate: wrong password",
                extra={"connection_id": conn.connection_id, "source": source, "failures": counted.failures},
            )
            count(BusinessMetric.LOGIN_FAILED)
            return AuthResult(refusal, "nvu")
        if earlier is not None or conn.failed_logins:
            connections.clear_failed_logins(conn.connection_id, source if earlier is not None else None)
        if conn.last_error and conn.last_error.get("code") == "wrong_password":
            connections.clear_error(conn.connection_id)

        if conn.active_ticket and conn.lease_until and conn.lease_until >= ts:
            connections.record_sign_in(conn.connection_id, now)
            logger.info("authenticate: another session is live", extra={"connection_id": conn.connection_id})
            return AuthResult(refusal, "busy")
        if conn.active_ticket:
            self._abandon(conn.active_ticket, "replaced by a new session after it stopped answering")
            # The abandoned session may have named the set it sent as the connection's unresolved set: the sweep
            # below must see it (its orders are not stranded; they are asked about first).
            conn = connections.get(conn.connection_id) or conn

        if conn.has_connected:
            queue = self.queue_for(conn.connection_id)
            # Standing jobs (inventory, sales for ShipStation, tracking) are queued on every run; SQS's message
            # count lags a send, so jobs just queued count as work by themselves.
            standing = queue_standing_jobs(conn, queue, now)
            idle = not standing.queued and queue.visible_count() == 0
            # An idle sign-in either writes the connection or sweeps for stranded orders (one DynamoDB call
            # besides reading the connection), both only when the Web Connector has been away long (see
            # chalicelib/sync/stranded_orders.py); a sign-in with work does both.
            write = not idle or standing.channels is not None or idle_write_due(conn, now)
            sweep = not idle or not write or overdue_sweep(conn, now)
            rescued = (
                requeue_stranded(conn, queue, retry_delay_seconds=self.settings.retry_delay_seconds)
                if sweep
                else 0
            )
            if idle and not rescued:
                if write:
                    connections.record_sign_in(
                        conn.connection_id,
                        now,
                        queue_drained_at=time.time(),  # wall clock, as queued_at
                        standing_channels=standing.channels,
                    )
                return AuthResult(refusal, "none")
            standing_channels = standing.channels
        else:
            standing_channels = None

        # The session is the lease: its ticket item is written by the first call that changes the session (until
        # then dal/tickets.py `read` builds it from the connection holding the ticket), and a ticket whose lease was
        # not won is never handed out. Taking the lease records the sign-in too (one write).
        ticket = tickets.mint(conn.connection_id, SESSION_TICKET_BYTES)
        lease_until = ts + self.settings.session_lease_seconds
        if not connections.acquire_session(
            conn.connection_id,
            ticket,
            ts,
            lease_until,
            signed_in_at=now,
            standing_channels=standing_channels,
        ):
            return AuthResult(refusal, "busy")
        logger.info("authenticate: session opened", extra={"connection_id": conn.connection_id})
        return AuthResult(ticket, "")

    # --- sendRequestXML ---------------------------------------------------------------------------
    def send_request_xml(
        self, ticket: str, hcp_response: str, company_file: str, country: str, major: str, minor: str
    ) -> str:
        live = self._live_session(ticket)
        if live is None:
            return ""
        session, conn = live
        now = self.clock()
        if hcp_response.strip():
            problem = self._record_company(session, conn, hcp_response, company_file, now)
            if problem:
                return self._fail(session, problem)
        if session.qbxml_version is None:
            # No HCP response this session: the version QuickBooks reported before, bounded by what this
            # QuickBooks says it speaks now (qbXMLMajorVers/qbXMLMinorVers: an older one refuses a newer
            # version with 0x80040423), and its country.
            session.qbxml_version = bounded_version(conn.qbxml_version or QBXML_CEILING, major, minor)
            session.country = country_of(country) or (conn.company or {}).get("country") or "US"
        queue = self.queue_for(session.connection_id)
        refreshed = conn.lists_refreshed_at.isoformat() if conn.lists_refreshed_at else None
        ctx = replace(
            self._context(session, now),
            lists_refreshed_at=refreshed,
            company=conn.company,
            channels_version=conn.channels_version,
        )
        if session.pending is not None:
            # The Web Connector asked again without answering the last request (a retry after a timeout):
            # send the same message set again; it is only queries or carries its own error-recovery id.
            request = pending_requests.sent_again(session, RUNNERS, ctx)
            if request is not None:
                tickets.save(session)
                return request
            # The kept request is gone (it expired): hand the job back; an order set it carried is recovered (the
            # connection names it now: read again).
            self._release_job(session, queue)
            conn = connections.get(session.connection_id) or conn
        while True:
            if session.job is None:
                unresolved = connections.unresolved_set(conn) if conn.unresolved_set_id else None
                if unresolved is not None:
                    # A message set whose answer never arrived: learn its fate before sending anything.
                    session.job = recover_orders.RecoverMessageSet.job_for(unresolved)
                elif not self._take_job(session, queue, ctx):
                    session.queue_drained_at = time.time()  # written to the connection with the session's end
                    session.last_error = None
                    tickets.save(session)
                    return ""
            job = session.job
            assert job is not None
            runner = RUNNERS[job["kind"]]
            next_request = runner.next_request(job["state"], ctx)
            if next_request is not None:
                session.round_trips += 1
                text = pending_requests.keep(session, next_request, rebuilt=runner.rebuilds_request)
                try:
                    tickets.save(session)
                except tickets.StaleSession:
                    self._unsent(session, queue)
                    raise
                return text
            self._finish_job(session, queue)

    # --- receiveResponseXML -----------------------------------------------------------------------
    def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        live = self._live_session(ticket)
        if live is None:
            return -1
        session, conn = live
        now = self.clock()
        queue = self.queue_for(session.connection_id)
        if hresult.strip():
            hresult, message = excerpt(hresult), excerpt(message)
            explained = explain_hresult(hresult, message)
            connections.record_error(session.connection_id, self._error(hresult.strip(), explained, now))
            self._release_job(session, queue)
            session.last_error = explained
            note_error(session, explained)
            tickets.save(session)
            return -1
        if session.pending is None or session.job is None:
            logger.warning("receiveResponseXML without a request in flight", extra={"ticket": ticket[:8]})
            tickets.save(session)
            return session.percent if 0 <= session.percent < 100 else 99
        try:
            parsed = qbxml.parse_message_set_response(response)
        except qbxml.QbxmlParseError as exc:
            explained = (
                f"QuickBooks sent an answer Ledgerbridge could not read ({exc}). It will be asked again."
            )
            self._release_job(session, queue)
            session.last_error = explained
            note_error(session, explained)
            tickets.save(session)
            return -1
        # A set the answer settles is cleared with the lease's release when the answer ends the session (one write).
        with connections.holding_set_clears(conn.unresolved_set_id) as held:
            return self._apply_answer(session, parsed, queue, now, held)

    def _apply_answer(
        self,
        session: Session,
        parsed: MessageSetResponse,
        queue: WorkQueue,
        now: datetime,
        held: connections.HeldClears,
    ) -> int:
        job = session.job
        assert job is not None
        runner = RUNNERS[job["kind"]]
        try:
            applied = runner.apply(job["state"], parsed, self._context(session, now))
        except ForeignAnswer as exc:
            explained = (
                f"QuickBooks' answer did not belong to the request Ledgerbridge sent ({exc}). Nothing was "
                "recorded from it; Ledgerbridge asks QuickBooks what it did before sending anything else."
            )
            logger.warning(
                "receiveResponseXML: foreign answer", extra={"connection_id": session.connection_id}
            )
            self._release_job(session, queue)
            session.last_error = explained
            note_error(session, explained)
            tickets.save(session)
            return -1
        job["state"] = applied.state
        session.drop_pending()
        add_counts(session, applied.counts)
        for error in applied.errors:
            note_error(session, error)
        self._settle(job, queue, applied, self.settings.retry_delay_seconds)
        if applied.done:
            self._finish_job(session, queue)
        else:
            queue.set_visibility_many(job["receipts"], self.settings.job_visibility_seconds)
        session.percent = self._percent(session, queue)
        if session.percent == 100:
            # Nothing is left, and on 100 the Web Connector's next call is closeConnection (100: "no more requests
            # to be processed for this session"; the call sequence ledgerbridge/simulators/webconnector.py models):
            # the session ends here, its lease given back, and closeConnection reads its history for the summary. A
            # sendRequestXML that came anyway would find the session over (its connection no longer holds it): "".
            self._end(session, outcome(session))
        else:
            held.flush()
            if session.round_trips == SHOWN_RUNNING_FROM:
                # A session that goes on past its second round trip (a list refresh, a backlog) shows in the history
                # as running from now on; one that ends by then (most: an order set, a standing inventory read of
                # two round trips) is recorded once, as it ends.
                sync_runs.start(session.connection_id, session.ticket, session.created_at)
            tickets.save(session)
        return session.percent

    # --- errors and the end of a session -----------------------------------------------------------
    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        found = self._read(ticket)
        session = found.session
        explained = explain_hresult(hresult, message)
        if session is None or not found.live:
            return "done"
        connections.record_error(session.connection_id, self._error(hresult.strip(), explained, self.clock()))
        session.last_error = explained
        note_error(session, explained)
        self._end(session, "failed")
        return "done"

    def get_last_error(self, ticket: str) -> str:
        found = self._read(ticket)
        session, conn = found.session, found.connection
        if session is None or session.state == "superseded":
            return NO_SESSION
        if conn is None:
            return CONNECTION_DELETED
        if conn.active_ticket is not None and not found.live:
            return NO_SESSION  # another session holds the connection now
        return session.last_error or "Ledgerbridge has no more work for this company file right now."

    def close_connection(self, ticket: str) -> str:
        if len(ticket) < SESSION_TICKET_CHARS:
            # The throwaway ticket of a "none", "busy" or "nvu" answer: there is no session to read or end.
            return "OK"
        found = self._read(ticket)
        session = found.session
        if session is None:
            return "OK"
        if found.live:
            self._end(session, outcome(session))
        else:  # over already (it ended with its last answer, or was replaced): what its history says
            run = sync_runs.get(session.connection_id, session.ticket, session.created_at)
            if run is not None:
                return summary_text(run.round_trips, run.jobs, run.counts, run.errors)
        summary = session.summary
        return summary_text(
            session.round_trips, summary.get("jobs", []), summary.get("counts", {}), summary.get("errors", [])
        )

    # --- interactive mode (not used: everything happens unattended) ------------------------------
    def get_interactive_url(self, ticket: str, session_id: str) -> str:
        return ""

    def interactive_done(self, ticket: str) -> str:
        return "Done"

    def interactive_rejected(self, ticket: str, reason: str) -> str:
        return "Ledgerbridge does not need interactive mode; nothing to do."

    # --- internals -------------------------------------------------------------------------------
    def _read(self, ticket: str) -> tickets.SessionRead:
        return tickets.read(ticket, ttl_seconds=self.settings.ticket_ttl_seconds)

    def _live_session(self, ticket: str) -> tuple[Session, Connection] | None:
        """The session and its connection (read in one request), when the connection still holds the session: its
        lease renewed when less than half of it is left. A session that ended, or that another took over, is over
        for every later call (its job, if any, was handed back by whoever ended it)."""
        found = self._read(ticket)
        session, conn = found.session, found.connection
        if session is None or conn is None or not found.live:
            return None
        now = self.clock().timestamp()
        lease = self.settings.session_lease_seconds
        if conn.lease_until is not None and conn.lease_until - now > lease / 2:
            return session, conn  # nobody can take the connection over before the lease runs out
        if not connections.renew_session(session.connection_id, ticket, now + lease):
            return None
        return session, conn

    def _record_company(
        self, session: Session, conn: Connection, hcp: str, company_file: str, now: datetime
    ) -> str | None:
        try:
            info = qbxml.parse_hcp_response(hcp)
            version = qbxml.choose_qbxml_version(info.supported_qbxml_versions, QBXML_CEILING)
        except qbxml.UnsupportedQuickBooksVersion as exc:
            return f"This QuickBooks version is too old for Ledgerbridge: {exc}"
        except qbxml.QbxmlParseError as exc:
            return f"The Web Connector sent company information Ledgerbridge could not read ({exc})."
        # What the code reads of it (connections.CompanyInfo); multicurrency: docs/accounting/multicurrency.md.
        company = connections.CompanyInfo(
            company_name=info.company_name,
            product_name=info.product_name,
            country=info.country,
            supported_qbxml_versions=list(info.supported_qbxml_versions),
            multicurrency=info.multicurrency,
            home_currency=info.home_currency,
        )
        first = connections.record_company(
            conn, company, company_file, version, now, clear_last_error=bool(conn.last_error)
        )
        session.qbxml_version = version
        session.country = info.country or "US"
        if first:
            self.queue_for(conn.connection_id).send(new_job(REFRESH_COMPANY_LISTS, conn.connection_id, now))
        return None

    def _context(self, session: Session, now: datetime) -> JobContext:
        return JobContext(
            connection_id=session.connection_id,
            qbxml_version=session.qbxml_version or QBXML_CEILING,
            now=now,
            item_page_size=self.settings.item_page_size,
            inventory_page_size=self.settings.inventory_page_size,
            sales_page_size=self.settings.sales_page_size,
            ticket=session.ticket,
            country=session.country or "US",
            max_attempts=self.settings.max_job_receives,
            message_set_bytes=self.settings.message_set_bytes,
            retry_delay_seconds=self.settings.retry_delay_seconds,
            orders_per_message_set=self.settings.orders_per_message_set,
        )

    def _take_job(self, session: Session, queue: WorkQueue, ctx: JobContext) -> bool:
        """Start the next job: the first message on the queue decides its kind; a batching kind gathers
        more messages of its kind (others taken on the way go straight back)."""
        while True:
            queued = queue.take()
            if queued is None:
                return False
            runner = RUNNERS.get(str(queued.body.get("kind")))
            if runner is None:
                logger.error("unknown job kind on the queue", extra={"kind": queued.body.get("kind")})
                queue.done(queued.receipt_handle)
                continue
            batch = [queued]
            if runner.kind == POST_ORDER:
                # A message names many orders: gather messages until the set's worth of orders is in hand.
                self._gather_orders(batch, queue, self.settings.orders_per_message_set)
            elif runner.batch_size > 1:
                for extra in queue.take_many(runner.batch_size - 1):
                    if extra.body.get("kind") == runner.kind:
                        batch.append(extra)
                    else:
                        queue.release(extra.receipt_handle)
            messages = [
                {**m.body, "receipt": m.receipt_handle, "receive_count": m.receive_count} for m in batch
            ]
            state = runner.start(messages, ctx)
            session.job = {
                "kind": runner.kind,
                "job_id": queued.body.get("job_id", ""),
                "receipts": [m.receipt_handle for m in batch],
                "state": state,
            }
            return True

    @staticmethod
    def _gather_orders(batch: list[QueuedJob], queue: WorkQueue, wanted: int) -> None:
        """Take post-orders messages until `wanted` orders are in hand. Messages of other kinds taken on the way
        go back once the gathering is over (released earlier, they would be taken again at once and counted as
        received again: five times, and SQS moves them to the dead-letter queue)."""
        have = sum(len(order_refs(m.body)) for m in batch)
        others: list[QueuedJob] = []
        try:
            while have < wanted:
                more = queue.take_many(10)
                orders_taken = [m for m in more if m.body.get("kind") == POST_ORDER]
                others += [m for m in more if m.body.get("kind") != POST_ORDER]
                if not orders_taken:
                    return
                batch += orders_taken
                have += sum(len(order_refs(m.body)) for m in orders_taken)
        finally:
            for other in others:
                queue.release(other.receipt_handle)

    @staticmethod
    def _settle(job: dict[str, Any], queue: WorkQueue, applied: Applied, retry_delay: int) -> None:
        """Delete or hand back the messages an answer settled; the job keeps the others."""
        queue.done_many(applied.finished)
        queue.set_visibility_many(applied.released, 0)
        queue.set_visibility_many(applied.deferred, retry_delay)
        settled = set(applied.finished) | set(applied.released) | set(applied.deferred)
        job["receipts"] = [r for r in job["receipts"] if r not in settled]

    def _finish_job(self, session: Session, queue: WorkQueue) -> None:
        if session.job is not None:
            queue.done_many(session.job["receipts"])
            done = session.summary.setdefault("jobs", [])
            done.append(RUNNERS[session.job["kind"]].title)
            session.jobs_done += 1
        session.job = None
        session.drop_pending()

    @staticmethod
    def _unsent(session: Session, queue: WorkQueue) -> None:
        """Another call of the session, or a takeover, saved its ticket first: the request this call made never
        leaves. A set it recorded goes back (its orders to pending), and the queue messages its job took come back
        now rather than after their visibility timeout."""
        unsent = pending_requests.unsettled_set(session)
        if unsent is not None:
            post_orders.give_back_unsent_set(session.connection_id, unsent)
        if session.job is not None:
            queue.set_visibility_many(session.job["receipts"], 0)

    def _release_job(self, session: Session, queue: WorkQueue) -> None:
        unsettled = pending_requests.unsettled_set(session)
        if unsettled is not None and not connections.mark_unresolved_set(
            session.connection_id, session.ticket, unsettled
        ):
            # Not the live session any more (whoever took over named the set), or another set is named already (a
            # call of this session that read an older pending request): its orders stay in flight, marked to be
            # verified, and the stranded-order sweep sends them to be looked up.
            logger.error(
                "a set left unsettled could not be named on the connection",
                extra={"connection_id": session.connection_id, "message_set_id": unsettled},
            )
        if session.job is not None:
            queue.set_visibility_many(session.job["receipts"], 0)
        session.job = None
        session.drop_pending()

    def _percent(self, session: Session, queue: WorkQueue) -> int:
        if session.job is None:
            waiting = queue.visible_count()
            if waiting == 0:
                return 100
            return max(1, min(99, int(100 * session.jobs_done / (session.jobs_done + waiting))))
        done, remaining = RUNNERS[session.job["kind"]].progress(session.job["state"])
        job_share = done / (done + remaining) if done + remaining else 0.0
        waiting = queue.visible_count()
        total = session.jobs_done + 1 + waiting
        return max(1, min(99, int(100 * (session.jobs_done + job_share) / total)))

    def _fail(self, session: Session, problem: str) -> str:
        session.last_error = problem
        note_error(session, problem)
        connections.record_error(session.connection_id, self._error("session", problem, self.clock()))
        tickets.save(session)
        return ""

    def _end(self, session: Session, outcome: str, *, state: str = "closed") -> None:
        """End the session: its job back to the queue (a set it sent and did not settle named on the connection),
        the lease given back, its history written. A closed session's ticket is not written (the connection no
        longer holding it says it is over); a superseded one's is, first: a call of it still running then cannot
        save it (`tickets.StaleSession`), so no request of it leaves after this (a request leaves only once the
        ticket naming its set is saved)."""
        if state not in ("closed", session.state):  # a takeover that died after this write is finished
            session.state = state
            tickets.save(session)
        self._release_job(session, self.queue_for(session.connection_id))
        connections.release_session(
            session.connection_id,
            session.ticket,
            queue_drained_at=session.queue_drained_at,
            # the clear of a set the call's answer settled, when it is held (receive_response_xml)
            clearing_set=connections.take_held_clear(session.connection_id),
        )
        session.state = state
        sync_runs.finish(
            session.connection_id,
            session.ticket,
            session.created_at,
            ended_at=self.clock(),
            outcome=outcome,
            round_trips=session.round_trips,
            requests=session.round_trips,
            errors=list(session.summary.get("errors", [])),
            counts=dict(session.summary.get("counts", {})),
            jobs=list(session.summary.get("jobs", [])),
        )

    def _abandon(self, ticket: str, why: str) -> None:
        """End a session whose Web Connector stopped answering; its job goes back to the queue, and a set it sent
        and did not settle is named on the connection. Its ticket is written first: should a call of it still be
        running, one of the two saves fails, and this one reads the session again (with what that call saved)."""
        for _ in range(ABANDON_TRIES):
            found = tickets.read(ticket, ttl_seconds=self.settings.ticket_ttl_seconds, ending=True)
            session, conn = found.session, found.connection
            # While the connection holds the ticket the session is not over, whatever its ticket says: a takeover
            # that died after writing it superseded (or one racing this) did not finish ending it.
            if session is None or conn is None or not tickets.holds(conn, ticket):
                return
            note_error(session, f"Session {why}.")
            try:
                self._end(session, "abandoned", state="superseded")
            except tickets.StaleSession:
                continue
            return
        raise tickets.StaleSession(ticket)

    @staticmethod
    def _error(code: str, message: str, at: datetime) -> dict[str, Any]:
        return {"code": excerpt(code, 64), "message": excerpt(message), "at": at.isoformat()}
