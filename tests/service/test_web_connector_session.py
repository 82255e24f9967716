"""The Web Connector session use case, call by call, with a clock the test controls and the QuickBooks
company simulator answering the qbXML."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.aws import WorkQueue
from chalicelib.dal import company_lists, connections, sync_runs, tickets
from chalicelib.settings import get_settings
from chalicelib.sync import pairing, tenancy
from chalicelib.sync.web_connector import NO_SESSION, WebConnectorService
from ledgerbridge.simulators.company import CompanySimulator


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Paired:
    connection_id: str
    username: str
    password: str
    tenant_id: str


@pytest.fixture
def paired(aws) -> Paired:
    tenant, _ = tenancy.create_tenant_with_key("Session test")
    conn = pairing.create_connection(tenant.tenant_id, "Blue Heron", 15)
    _, password = pairing.new_password(tenant.tenant_id, conn.connection_id)
    return Paired(conn.connection_id, conn.username, password, tenant.tenant_id)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock) -> WebConnectorService:
    settings = get_settings()._replace(item_page_size=40, login_failures_before_backoff=3)
    return WebConnectorService(settings, clock=clock)


@pytest.fixture
def company(tmp_path) -> CompanySimulator:
    return CompanySimulator.open(tmp_path / "company.json")


def run_rounds(service, ticket, company, *, hcp=True, limit=50):
    """sendRequestXML/receiveResponseXML until the service says 100 (or stops); returns the percents."""
    percents = []
    for n in range(limit):
        request = service.send_request_xml(
            ticket, company.hcp_response() if hcp and n == 0 else "", company.company_file, "US", "13", "0"
        )
        if not request:
            return percents
        percent = service.receive_response_xml(ticket, company.process(request), "", "")
        percents.append(percent)
        if percent >= 100 or percent < 0:
            return percents
    raise AssertionError("session did not finish")


def test_first_session_records_the_company_and_caches_its_lists(service, paired, company):
    company.add_generated_items(100)
    auth = service.authenticate(paired.username, paired.password)
    assert auth.status == "" and len(auth.ticket) >= 40
    percents = run_rounds(service, auth.ticket, company)
    # 1 round trip for the short lists + the first page of items, then pages of 40 items
    items = company.count(
        [
            "ItemService",
            "ItemInventory",
            "ItemNonInventory",
            "ItemOtherCharge",
            "ItemDiscount",
            "ItemSalesTax",
            "ItemSalesTaxGroup",
            "ItemSubtotal",
            "ItemGroup",
            "ItemPayment",
            "ItemInventoryAssembly",
            "ItemFixedAsset",
        ]
    )
    assert len(percents) == -(-items // 40)
    assert percents[-1] == 100 and all(0 < p < 100 for p in percents[:-1])
    assert percents == sorted(percents)
    summary = service.close_connection(auth.ticket)
    assert "refresh company lists" in summary

    conn = connections.get(paired.connection_id)
    assert conn is not None and conn.company and conn.company["company_name"] == company.company_name
    assert conn.qbxml_version == "13.0" and conn.company_file_path == company.company_file
    assert conn.active_ticket is None and conn.lists_refreshed_at is not None
    cached_items = company_lists.list_records(paired.connection_id, "item")
    assert len(cached_items) == items
    income = [
        r.full_name
        for r in company_lists.list_records(paired.connection_id, "account")
        if r.details.get("account_type") == "Income"
    ]
    assert income and all(isinstance(n, str) for n in income)
    runs = sync_runs.recent(paired.connection_id)
    assert runs[0].outcome == "completed" and runs[0].round_trips == len(percents)


def test_no_work_answers_none_and_queued_work_opens_a_session(service, paired, company):
    first = service.authenticate(paired.username, paired.password)
    run_rounds(service, first.ticket, company)
    service.close_connection(first.ticket)
    assert service.authenticate(paired.username, paired.password).status == "none"
    pairing.queue_refresh(paired.tenant_id, paired.connection_id)
    again = service.authenticate(paired.username, paired.password)
    assert again.status == ""
    assert run_rounds(service, again.ticket, company, hcp=True)[-1] == 100


def test_wrong_password_and_unknown_user_are_nvu_and_repeated_failures_slow_only_their_source(
    service, paired, clock
):
    assert service.authenticate("lb-con_nobody", paired.password).status == "nvu"
    assert service.authenticate("someone", "x").status == "nvu"
    clock.advance(
        5
    )  # the test's clock started before the password was set (wrong ones before it do not count)
    for _ in range(3):
        assert service.authenticate(paired.username, "wrong", source="203.0.113.9").status == "nvu"
    # that source waits (even with the right password), and the status says why...
    assert service.authenticate(paired.username, paired.password, source="203.0.113.9").status == "nvu"
    conn = connections.get(paired.connection_id)
    assert conn is not None and conn.last_error and "wrong passwords in a row" in conn.last_error["message"]
    # ...but the connection is not locked: the right password from elsewhere gets in (tests/service/test_login_lockout.py)
    assert service.authenticate(paired.username, paired.password, source="198.51.100.1").status == ""


def test_second_web_connector_is_busy_and_a_dead_session_is_taken_over(service, paired, company, clock):
    first = service.authenticate(paired.username, paired.password)
    request = service.send_request_xml(
        first.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert request
    # A second Web Connector (or the same one restarted) while the first session is live.
    assert service.authenticate(paired.username, paired.password).status == "busy"
    # The first one dies without answering; after the lease runs out a new session takes over.
    clock.advance(get_settings().session_lease_seconds + 1)
    second = service.authenticate(paired.username, paired.password)
    assert second.status == ""
    # The old ticket is dead for every call, and says so.
    assert service.send_request_xml(first.ticket, "", "", "US", "13", "0") == ""
    assert service.receive_response_xml(first.ticket, company.process(request), "", "") == -1
    assert service.get_last_error(first.ticket) == NO_SESSION
    # The abandoned job went back to the queue and the new session finishes it: nothing lost.
    assert run_rounds(service, second.ticket, company)[-1] == 100
    assert connections.get(paired.connection_id).lists_refreshed_at is not None
    assert [r.outcome for r in sync_runs.recent(paired.connection_id)][-1] == "abandoned"


def test_hresult_from_quickbooks_returns_negative_and_get_last_error_explains(service, paired, company):
    auth = service.authenticate(paired.username, paired.password)
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert request
    percent = service.receive_response_xml(
        auth.ticket, "", "0x80040400", "QuickBooks found an error when parsing the provided XML text stream."
    )
    assert percent < 0
    explained = service.get_last_error(auth.ticket)
    assert "QuickBooks" in explained and "0x80040400" not in explained[:10]
    service.close_connection(auth.ticket)
    # The job was handed back: the next session does it.
    again = service.authenticate(paired.username, paired.password)
    assert again.status == "" and run_rounds(service, again.ticket, company)[-1] == 100


def test_connection_error_is_recorded_in_plain_words_and_answers_done(service, paired):
    auth = service.authenticate(paired.username, paired.password)
    assert service.connection_error(auth.ticket, "0x80040408", "Could not start QuickBooks.") == "done"
    conn = connections.get(paired.connection_id)
    assert conn is not None and conn.last_error and conn.last_error["code"] == "0x80040408"
    assert "QuickBooks" in conn.last_error["message"]
    status = pairing.status_view(conn)
    assert status["state"] == "error" and status["last_error"]["message"] == conn.last_error["message"]
    assert conn.active_ticket is None  # the session ended; the next run may start at once


def test_out_of_order_and_unknown_tickets_lose_nothing(service, paired, company):
    assert service.send_request_xml("no-such-ticket", "", "", "US", "13", "0") == ""
    assert service.receive_response_xml("no-such-ticket", "<x/>", "", "") == -1
    assert service.get_last_error("no-such-ticket") == NO_SESSION
    assert service.close_connection("no-such-ticket") == "OK"
    auth = service.authenticate(paired.username, paired.password)
    # a response before any request: ignored, session goes on
    assert 0 <= service.receive_response_xml(auth.ticket, "<QBXML/>", "", "") < 100
    first = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    # asked again without answering (a retry): the same message set comes back
    assert service.send_request_xml(auth.ticket, "", company.company_file, "US", "13", "0") == first
    # an unreadable answer: -1, explained, job back on the queue
    assert service.receive_response_xml(auth.ticket, "<not qbxml", "", "") == -1
    assert "could not read" in service.get_last_error(auth.ticket)
    service.close_connection(auth.ticket)
    again = service.authenticate(paired.username, paired.password)
    assert run_rounds(service, again.ticket, company)[-1] == 100


def test_session_state_lives_in_dynamodb_with_a_ttl(service, paired, company):
    auth = service.authenticate(paired.username, paired.password)
    assert tickets.get(auth.ticket) is None  # signing in writes the lease only: the session is read from it
    ttl = service.settings.ticket_ttl_seconds
    signed_in = tickets.read(auth.ticket, ttl_seconds=ttl)
    assert signed_in.live and signed_in.session is not None
    assert signed_in.session.connection_id == paired.connection_id
    assert signed_in.session.expires_at > datetime.now(UTC) + timedelta(hours=23)
    # A second service object (another Lambda) carries on the same session.
    other = WebConnectorService(service.settings, clock=service.clock)
    request = other.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    stored = tickets.get(auth.ticket)  # the first call that changed the session wrote it
    assert stored is not None and stored.connection_id == paired.connection_id
    assert stored.created_at == signed_in.session.created_at
    assert abs(stored.expires_at - signed_in.session.expires_at) < timedelta(seconds=1)  # TTL: whole seconds
    assert service.receive_response_xml(auth.ticket, company.process(request), "", "") > 0


def test_client_versions(service):
    assert service.client_version("2.3.0.215") == ""
    assert service.client_version("2.2.0.71").startswith("W:")
    assert service.client_version("1.5.0.0").startswith("E:")
    assert service.server_version().startswith("Ledgerbridge")
    assert service.get_interactive_url("t", "s") == ""
    assert service.interactive_done("t") == "Done"
    assert service.interactive_rejected("t", "no").startswith("Ledgerbridge does not need")


def test_dead_letter_after_repeated_failures(service, paired, company, clock):
    """A job that keeps failing stops blocking the connection: after max receives it is dead-lettered."""
    queue = WorkQueue(paired.connection_id)
    for _ in range(get_settings().max_job_receives):
        auth = service.authenticate(paired.username, paired.password)
        assert auth.status == ""
        service.send_request_xml(auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0")
        service.receive_response_xml(auth.ticket, "", "0x80040400", "parse error")
        service.close_connection(auth.ticket)
    # SQS moves the job to the dead-letter queue when it is received once more: that session finds no work.
    auth = service.authenticate(paired.username, paired.password)
    assert (
        service.send_request_xml(auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0")
        == ""
    )
    assert "no more work" in service.get_last_error(auth.ticket)
    service.close_connection(auth.ticket)
    assert queue.dead_letter_count() == 1
    assert service.authenticate(paired.username, paired.password).status == "none"


def test_too_old_quickbooks_is_explained_and_nothing_is_recorded(service, paired, tmp_path):
    old = CompanySimulator.open(tmp_path / "old.json")
    hcp = old.hcp_response()
    for version in ("7.0", "8.0", "9.0", "10.0", "11.0", "12.0", "13.0", "14.0", "15.0", "16.0"):
        hcp = hcp.replace(f"<SupportedQBXMLVersion>{version}</SupportedQBXMLVersion>", "")
    auth = service.authenticate(paired.username, paired.password)
    assert service.send_request_xml(auth.ticket, hcp, old.company_file, "US", "6", "0") == ""
    assert "too old" in service.get_last_error(auth.ticket)
    conn = connections.get(paired.connection_id)
    assert conn is not None and conn.connected_at is None and conn.last_error
    assert pairing.status_view(conn)["state"] == "error"


def test_an_expired_ticket_is_refused_and_explained(service, paired, company, clock):
    clock.now -= timedelta(days=2)  # the session was opened two days ago: its ticket has expired since
    auth = service.authenticate(paired.username, paired.password)
    assert auth.status == ""
    assert tickets.get(auth.ticket) is None
    assert (
        service.send_request_xml(auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0")
        == ""
    )
    assert service.get_last_error(auth.ticket) == NO_SESSION
