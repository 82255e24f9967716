"""A session's ticket names its connection (chalicelib/dal/tickets.py): every call reads the ticket and its
connection in one request, and the connection holding the ticket is what makes the session live. Signing in and
ending a session write no ticket. What must hold whatever the ticket says: only the ticket the connection holds
(or, from before, a stored open one its connection holds) opens a session; an ended or replaced session stays over;
a session nobody wrote yet can be taken over like any other."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import botocore.client
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.dal import connections, sync_runs, tickets
from chalicelib.settings import get_settings
from chalicelib.sync.web_connector import CONNECTION_DELETED, NO_SESSION, WebConnectorService
from ledgerbridge.simulators.company import CompanySimulator
from tests.service import test_web_connector_session as sessions
from tests.service.test_web_connector_session import run_rounds

# The session tests' fixtures: a paired connection, a clock the test moves, the service, a company file.
paired, clock, service, company = sessions.paired, sessions.clock, sessions.service, sessions.company


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every DynamoDB call from here on, by operation."""
    seen: Counter[str] = Counter()
    real = botocore.client.BaseClient._make_api_call

    def counting(client: Any, operation: str, params: Any) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            seen[operation] += 1
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    yield seen


def _send(service: WebConnectorService, ticket: str, company: CompanySimulator) -> str:
    return service.send_request_xml(ticket, company.hcp_response(), company.company_file, "US", "13", "0")


def test_a_ticket_names_its_connection_and_signing_in_writes_no_ticket(service, paired, company):
    auth = service.authenticate(paired.username, paired.password)
    assert auth.status == "" and tickets.connection_of(auth.ticket) == paired.connection_id
    assert tickets.get(auth.ticket) is None
    assert run_rounds(service, auth.ticket, company)[-1] == 100
    summary = service.close_connection(auth.ticket)
    assert "round trip" in summary and "company lists" in summary.lower()


def test_every_call_reads_its_ticket_and_connection_in_one_request(service, paired, company, dynamodb_calls):
    auth = service.authenticate(paired.username, paired.password)
    dynamodb_calls.clear()
    request = _send(service, auth.ticket, company)
    assert request
    assert dynamodb_calls["BatchGetItem"] >= 1 and dynamodb_calls["GetItem"] == 0, dynamodb_calls
    service.receive_response_xml(auth.ticket, company.process(request), "", "")
    service.close_connection(auth.ticket)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # mostly what a real ticket looks like (43 URL-safe characters, the real connection), so every call reads it
    token=st.one_of(
        st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            min_size=43,
            max_size=43,
        ),
        st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            min_size=43,
            max_size=43,
        ),
        st.text(max_size=80),
    ),
    other_connection=st.sampled_from([False, False, False, True]),
)
def test_a_ticket_the_connection_does_not_hold_opens_nothing(
    service, paired, company, token, other_connection
):
    """Any token with the connection's id (or another's) is refused by every call, and the live session goes on."""
    auth = service.authenticate(paired.username, paired.password)
    connection_id = "con_" + secrets.token_hex(8) if other_connection else paired.connection_id
    forged = f"{token}.{connection_id}"
    assert auth.status == ""
    try:
        if forged == auth.ticket:
            return
        assert _send(service, forged, company) == ""
        assert service.receive_response_xml(forged, "<QBXML/>", "", "") == -1
        assert service.get_last_error(forged) in (NO_SESSION, CONNECTION_DELETED)
        assert service.connection_error(forged, "0x80040408", "x") == "done"
        assert service.close_connection(forged) == "OK"
        conn = connections.get(paired.connection_id)
        assert conn is not None and conn.active_ticket == auth.ticket  # untouched
        assert tickets.get(forged) is None
    finally:
        service.close_connection(auth.ticket)


def test_a_session_that_ended_with_its_last_answer_stays_over(service, paired, company):
    auth = service.authenticate(paired.username, paired.password)
    assert run_rounds(service, auth.ticket, company)[-1] == 100
    stored = tickets.get(auth.ticket)
    assert stored is not None and stored.open  # the end wrote the connection and the history, not the ticket
    assert _send(service, auth.ticket, company) == ""
    assert service.receive_response_xml(auth.ticket, "<QBXML/>", "", "") == -1
    assert "no more work" in service.get_last_error(auth.ticket)
    (run,) = [r for r in sync_runs.recent(paired.connection_id) if r.ticket == auth.ticket]
    assert run.outcome == "completed" and run.jobs
    summary = service.close_connection(auth.ticket)
    assert summary.startswith("Ledgerbridge:") and run.jobs[0] in summary  # from the history
    again = service.authenticate(paired.username, paired.password)
    assert again.status == "none"
    assert (
        service.get_last_error(auth.ticket)
        == "Ledgerbridge has no more work for this company file right now."
    )


def test_a_session_that_signed_in_and_vanished_is_taken_over_after_its_lease(service, paired, company, clock):
    vanished = service.authenticate(paired.username, paired.password)
    assert vanished.status == ""
    assert service.authenticate(paired.username, paired.password).status == "busy"
    clock.advance(get_settings().session_lease_seconds + 1)
    taker = service.authenticate(paired.username, paired.password)
    assert taker.status == ""
    runs = {r.ticket: r for r in sync_runs.recent(paired.connection_id)}
    assert runs[vanished.ticket].outcome == "abandoned"
    assert _send(service, vanished.ticket, company) == ""
    assert service.get_last_error(vanished.ticket) == NO_SESSION
    assert run_rounds(service, taker.ticket, company)[-1] == 100
    service.close_connection(taker.ticket)


def test_a_session_whose_connection_was_deleted_says_so(service, paired, company):
    """Deleted during a session: the session's next call sends nothing, and getLastError says why. (A session deleted
    before its first call left no ticket behind: it is just no longer valid.)"""
    auth = service.authenticate(paired.username, paired.password)
    first = _send(service, auth.ticket, company)
    assert service.receive_response_xml(auth.ticket, company.process(first), "", "") > 0
    connections.delete(paired.tenant_id, paired.connection_id)
    assert _send(service, auth.ticket, company) == ""
    assert service.get_last_error(auth.ticket) == CONNECTION_DELETED
    unwritten = service.authenticate(paired.username, paired.password)
    assert unwritten.status == "nvu" and service.get_last_error(unwritten.ticket) == NO_SESSION


def test_a_ticket_from_before_tickets_named_their_connection_still_works(service, paired, company):
    """A session opened by the previous deployment: its ticket item written at sign-in, no connection in it."""
    ticket = secrets.token_urlsafe(32)
    now = service.clock()
    lease_until = now.timestamp() + get_settings().session_lease_seconds
    conn = connections.get(paired.connection_id)
    assert conn is not None
    # as sign-in wrote it then: the item at once, valid and kept for a day
    legacy = tickets.Session(
        ticket, paired.connection_id, paired.tenant_id, created_at=now, expires_at=now + timedelta(days=1)
    )
    assert tickets.save(legacy)
    assert connections.acquire_session(paired.connection_id, ticket, now.timestamp(), lease_until)
    assert tickets.connection_of(ticket) is None
    assert run_rounds(service, ticket, company)[-1] == 100
    assert _send(service, ticket, company) == ""  # over: its connection no longer holds it
    assert "round trip" in service.close_connection(ticket)
    assert service.authenticate(paired.username, paired.password).status == "none"


def test_an_unwritten_session_expires_with_its_time_to_live(service, paired, company, clock):
    clock.now -= timedelta(seconds=get_settings().ticket_ttl_seconds + 60)
    auth = service.authenticate(paired.username, paired.password)
    assert tickets.read(auth.ticket, ttl_seconds=get_settings().ticket_ttl_seconds).session is None
    assert _send(service, auth.ticket, company) == ""
