"""The Web Connector session: the eleven SOAP methods as use cases.

Every call reads and writes its state in DynamoDB (the ticket item and the connection's session lease), so
any Lambda can answer any call. A connection has at most one live session: `authenticate` takes a lease
with a conditional write and every later call renews it; a second Web Connector gets `busy`, and a session
that died is taken over once its lease has run out, its unfinished job handed back to the queue.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib import credentials
from chalicelib.aws import WorkQueue
from chalicelib.dal import connections, sync_runs, tickets
from chalicelib.dal.connections import Connection
from chalicelib.dal.tickets import Session
from chalicelib.observability import logger, metrics
from chalicelib.qbwc.hresults import explain_hresult
from chalicelib.qbxml.responses import (
    UnsupportedQuickBooksVersion,
    choose_qbxml_version,
    parse_hcp_response,
    parse_message_set_response,
)
from chalicelib.qbxml.xml import QbxmlParseError
from chalicelib.settings import Settings, get_settings
from chalicelib.sync.company_lists import RefreshCompanyLists
from chalicelib.sync.inventory import ReadInventory
from chalicelib.sync.jobs import (
    READ_INVENTORY,
    READ_SALES,
    REFRESH_COMPANY_LISTS,
    WRITE_TRACKING,
    Applied,
    JobContext,
    JobRunner,
    new_job,
)
from chalicelib.sync.orders import POST_ORDER
from chalicelib.sync.post_orders import RECOVER_MESSAGE_SET, PostOrders, RecoverMessageSet
from chalicelib.sync.shipstation_outbound import ReadSalesForShipStation, WriteTracking
from chalicelib.sync.standing_jobs import queue_standing_jobs

SERVER_VERSION = "Ledgerbridge 0.1.0"
MIN_WEB_CONNECTOR = (2, 1, 0, 30)
RECOMMENDED_WEB_CONNECTOR = (2, 3, 0, 0)
QBXML_CEILING = "13.0"

NO_SESSION = (
    "This Web Connector session is no longer valid (it expired, ended, or a newer session replaced it). "
    "Nothing was lost: the next run starts a fresh session."
)
LOCKED_OUT_MESSAGE = (
    "Too many wrong Web Connector passwords for this connection; sign-ins are paused for {minutes} minutes. "
    "If you lost the password, generate a new one in Ledgerbridge and enter it in the Web Connector."
)

RUNNERS: dict[str, JobRunner] = {
    REFRESH_COMPANY_LISTS: RefreshCompanyLists(),
    POST_ORDER: PostOrders(),
    RECOVER_MESSAGE_SET: RecoverMessageSet(),
    READ_INVENTORY: ReadInventory(),
    READ_SALES: ReadSalesForShipStation(),
    WRITE_TRACKING: WriteTracking(),
}


@dataclass(frozen=True)
class AuthResult:
    ticket: str
    status: str  # "" = use the open company file, or nvu / none / busy

    def as_soap(self) -> list[str]:
        return [self.ticket, self.status]


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.strip().split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


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
    def authenticate(self, username: str, password: str) -> AuthResult:
        refusal = secrets.token_urlsafe(16)  # a ticket nobody can use
        connection_id = connections.connection_id_from_username(username.strip())
        conn = connections.get(connection_id) if connection_id else None
        if conn is None:
            credentials.verify_password(password, None)  # same cost as a real check
            logger.info("authenticate: unknown user name", extra={"username": username[:64]})
            return AuthResult(refusal, "nvu")
        now = self.clock()
        ts = now.timestamp()
        if conn.locked_until and conn.locked_until > ts:
            logger.warning("authenticate: locked out", extra={"connection_id": conn.connection_id})
            return AuthResult(refusal, "nvu")
        if not credentials.verify_password(password, conn.password_hash):
            failures = connections.record_failed_login(
                conn.connection_id,
                ts,
                self.settings.failed_logins_before_lockout,
                self.settings.lockout_seconds,
            )
            error = "The Web Connector sent a wrong password for this connection."
            if failures >= self.settings.failed_logins_before_lockout:
                error = LOCKED_OUT_MESSAGE.format(minutes=self.settings.lockout_seconds // 60)
            connections.record_error(conn.connection_id, self._error("wrong_password", error, now))
            metrics.add_metric(name="WebConnectorLoginFailed", unit="Count", value=1)
            return AuthResult(refusal, "nvu")
        if conn.failed_logins:
            connections.clear_failed_logins(conn.connection_id)
            if conn.last_error and conn.last_error.get("code") == "wrong_password":
                connections.clear_error(conn.connection_id)
        connections.record_contact(conn.connection_id, now)

        if conn.active_ticket and conn.lease_until and conn.lease_until >= ts:
            logger.info("authenticate: another session is live", extra={"connection_id": conn.connection_id})
            return AuthResult(refusal, "busy")
        if conn.active_ticket:
            self._abandon(conn.active_ticket, "replaced by a new session after it stopped answering")

        queue = self.queue_for(conn.connection_id)
        # Standing jobs (inventory, sales for ShipStation, tracking) are queued on every run; SQS's message
        # count lags a send, so jobs just queued count as work by themselves.
        queued = queue_standing_jobs(conn, queue, now) if conn.has_connected else 0
        if conn.has_connected and not queued and queue.visible_count() == 0:
            return AuthResult(refusal, "none")

        # The ticket is written before the lease is taken: a lease never points at a missing session,
        # and a ticket whose lease was not won is refused by every later call.
        ticket = secrets.token_urlsafe(32)
        tickets.create(ticket, conn.connection_id, conn.tenant_id, self.settings.ticket_ttl_seconds, now)
        if not connections.acquire_session(
            conn.connection_id, ticket, ts, ts + self.settings.session_lease_seconds
        ):
            return AuthResult(refusal, "busy")
        sync_runs.start(conn.connection_id, ticket, now)
        logger.info("authenticate: session opened", extra={"connection_id": conn.connection_id})
        return AuthResult(ticket, "")

    # --- sendRequestXML ---------------------------------------------------------------------------
    def send_request_xml(
        self, ticket: str, hcp_response: str, company_file: str, country: str, major: str, minor: str
    ) -> str:
        session = self._live_session(ticket)
        if session is None:
            return ""
        now = self.clock()
        conn = connections.get(session.connection_id)
        if conn is None:
            return self._fail(session, "This connection was deleted in Ledgerbridge.")
        if hcp_response.strip():
            problem = self._record_company(session, conn, hcp_response, company_file, now)
            if problem:
                return self._fail(session, problem)
        if session.qbxml_version is None:
            session.qbxml_version = conn.qbxml_version or QBXML_CEILING
            session.country = (conn.company or {}).get("country") or "US"
            session.company_file_path = company_file or conn.company_file_path
        if session.pending is not None:
            # The Web Connector asked again without answering the last request (a retry after a timeout):
            # send the same message set again; it is only queries or carries its own error-recovery id.
            tickets.save(session)
            return str(session.pending["request"])
        queue = self.queue_for(session.connection_id)
        ctx = self._context(session, now)
        while True:
            if session.job is None:
                unresolved = self._unresolved(session.connection_id)
                if unresolved is not None:
                    # A message set whose answer never arrived: learn its fate before sending anything.
                    session.job = RecoverMessageSet.job_for(unresolved)
                elif not self._take_job(session, queue, ctx):
                    session.last_error = None
                    tickets.save(session)
                    return ""
            job = session.job
            assert job is not None
            runner = RUNNERS[job["kind"]]
            request = runner.next_request(job["state"], ctx)
            if request is not None:
                session.pending = {"request": request, "job_id": job["job_id"], "sent_at": now.isoformat()}
                session.round_trips += 1
                tickets.save(session)
                return request
            self._finish_job(session, queue)

    # --- receiveResponseXML -----------------------------------------------------------------------
    def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        session = self._live_session(ticket)
        if session is None:
            return -1
        now = self.clock()
        queue = self.queue_for(session.connection_id)
        if hresult.strip():
            explained = explain_hresult(hresult, message)
            connections.record_error(session.connection_id, self._error(hresult.strip(), explained, now))
            self._release_job(session, queue)
            session.last_error = explained
            self._note_error(session, explained)
            tickets.save(session)
            return -1
        if session.pending is None or session.job is None:
            logger.warning("receiveResponseXML without a request in flight", extra={"ticket": ticket[:8]})
            tickets.save(session)
            return session.percent if 0 <= session.percent < 100 else 99
        try:
            parsed = parse_message_set_response(response)
        except QbxmlParseError as exc:
            explained = (
                f"QuickBooks sent an answer Ledgerbridge could not read ({exc}). It will be asked again."
            )
            self._release_job(session, queue)
            session.last_error = explained
            self._note_error(session, explained)
            tickets.save(session)
            return -1
        job = session.job
        runner = RUNNERS[job["kind"]]
        applied = runner.apply(job["state"], parsed, self._context(session, now))
        job["state"] = applied.state
        session.pending = None
        for name, value in applied.counts.items():
            session.summary.setdefault("counts", {})[name] = value
        for error in applied.errors:
            self._note_error(session, error)
        self._settle(job, queue, applied, self.settings.retry_delay_seconds)
        if applied.done:
            self._finish_job(session, queue)
        else:
            for receipt in job["receipts"]:
                queue.extend(receipt)
        session.percent = self._percent(session, queue)
        tickets.save(session)
        return session.percent

    # --- errors and the end of a session -----------------------------------------------------------
    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        session = tickets.get(ticket)
        explained = explain_hresult(hresult, message)
        if session is None:
            return "done"
        connections.record_error(session.connection_id, self._error(hresult.strip(), explained, self.clock()))
        session.last_error = explained
        self._note_error(session, explained)
        self._end(session, "failed")
        return "done"

    def get_last_error(self, ticket: str) -> str:
        session = tickets.get(ticket)
        if session is None or session.state == "superseded":
            return NO_SESSION
        return session.last_error or "Ledgerbridge has no more work for this company file right now."

    def close_connection(self, ticket: str) -> str:
        session = tickets.get(ticket)
        if session is None:
            return "OK"
        if session.open:
            self._end(session, "failed" if session.summary.get("errors") else "completed")
        return self._summary_text(session)

    # --- interactive mode (not used: everything happens unattended) ------------------------------
    def get_interactive_url(self, ticket: str, session_id: str) -> str:
        return ""

    def interactive_done(self, ticket: str) -> str:
        return "Done"

    def interactive_rejected(self, ticket: str, reason: str) -> str:
        return "Ledgerbridge does not need interactive mode; nothing to do."

    # --- internals -------------------------------------------------------------------------------
    def _live_session(self, ticket: str) -> Session | None:
        session = tickets.get(ticket)
        if session is None or not session.open:
            return None
        lease_until = self.clock().timestamp() + self.settings.session_lease_seconds
        if not connections.renew_session(session.connection_id, ticket, lease_until):
            self._release_job(session, self.queue_for(session.connection_id))
            session.state = "superseded"
            session.last_error = NO_SESSION
            tickets.save(session)
            return None
        return session

    def _record_company(
        self, session: Session, conn: Connection, hcp: str, company_file: str, now: datetime
    ) -> str | None:
        try:
            info = parse_hcp_response(hcp)
            version = choose_qbxml_version(info.supported_qbxml_versions, QBXML_CEILING)
        except UnsupportedQuickBooksVersion as exc:
            return f"This QuickBooks version is too old for Ledgerbridge: {exc}"
        except QbxmlParseError as exc:
            return f"The Web Connector sent company information Ledgerbridge could not read ({exc})."
        company = {
            "company_name": info.company_name,
            "legal_company_name": info.legal_company_name,
            "product_name": info.product_name,
            "major_version": info.major_version,
            "minor_version": info.minor_version,
            "country": info.country,
            "supported_qbxml_versions": list(info.supported_qbxml_versions),
            "file_mode": info.file_mode,
            "is_sample_company": info.is_sample_company,
        }
        first = connections.record_company(conn.connection_id, company, company_file, version, now)
        if conn.last_error:
            connections.clear_error(conn.connection_id)
        session.qbxml_version = version
        session.country = info.country or "US"
        session.company_file_path = company_file
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
        )

    @staticmethod
    def _unresolved(connection_id: str) -> dict[str, Any] | None:
        conn = connections.get(connection_id)
        return conn.unresolved_set if conn is not None else None

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
            size = self.settings.orders_per_message_set if runner.kind == POST_ORDER else runner.batch_size
            if size > 1:
                for extra in queue.take_many(size - 1):
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
    def _settle(job: dict[str, Any], queue: WorkQueue, applied: Applied, retry_delay: int) -> None:
        """Delete or hand back the messages an answer settled; the job keeps the others."""
        for receipt in applied.finished:
            queue.done(receipt)
        for receipt in applied.released:
            queue.release(receipt)
        for receipt in applied.deferred:
            queue.release(receipt, after_seconds=retry_delay)
        settled = set(applied.finished) | set(applied.released) | set(applied.deferred)
        job["receipts"] = [r for r in job["receipts"] if r not in settled]

    def _finish_job(self, session: Session, queue: WorkQueue) -> None:
        if session.job is not None:
            for receipt in session.job["receipts"]:
                queue.done(receipt)
            done = session.summary.setdefault("jobs", [])
            done.append(RUNNERS[session.job["kind"]].title)
            session.jobs_done += 1
        session.job = None
        session.pending = None

    def _release_job(self, session: Session, queue: WorkQueue) -> None:
        if session.job is not None:
            for receipt in session.job["receipts"]:
                queue.release(receipt)
        session.job = None
        session.pending = None

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

    def _note_error(self, session: Session, error: str) -> None:
        errors = session.summary.setdefault("errors", [])
        if error not in errors:
            errors.append(error)

    def _fail(self, session: Session, problem: str) -> str:
        session.last_error = problem
        self._note_error(session, problem)
        connections.record_error(session.connection_id, self._error("session", problem, self.clock()))
        tickets.save(session)
        return ""

    def _end(self, session: Session, outcome: str, *, state: str = "closed") -> None:
        self._release_job(session, self.queue_for(session.connection_id))
        connections.release_session(session.connection_id, session.ticket)
        session.state = state
        tickets.save(session)
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
        )

    def _abandon(self, ticket: str, why: str) -> None:
        """End a session whose Web Connector stopped answering; its job goes back to the queue."""
        session = tickets.get(ticket)
        if session is None or not session.open:
            return
        self._note_error(session, f"Session {why}.")
        self._end(session, "abandoned", state="superseded")

    @staticmethod
    def _error(code: str, message: str, at: datetime) -> dict[str, Any]:
        return {"code": code, "message": message, "at": at.isoformat()}

    @staticmethod
    def _summary_text(session: Session) -> str:
        jobs = session.summary.get("jobs", [])
        records = session.summary.get("counts", {}).get("list_records")
        parts = [f"{session.round_trips} round trip{'s' if session.round_trips != 1 else ''}"]
        if jobs:
            parts.append("done: " + ", ".join(jobs))
        if records is not None:
            parts.append(f"{records} list records cached")
        errors = session.summary.get("errors", [])
        if errors:
            parts.append(f"{len(errors)} problem{'s' if len(errors) != 1 else ''}: {errors[-1]}")
        return "Ledgerbridge: " + "; ".join(parts) + "."
