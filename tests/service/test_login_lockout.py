"""Wrong Web Connector passwords are slowed per source and never lock the merchant out.

The clock is the test's (`WebConnectorService(clock=...)`); sources are documentation addresses (RFC 5737).
`verify_password` is wrapped to count the password checks the server spends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import credentials
from chalicelib.dal import connections
from chalicelib.observability import metrics
from chalicelib.settings import get_settings
from chalicelib.sync import pairing, tenancy
from chalicelib.sync.web_connector import WebConnectorService
from tests.service.test_web_connector_session import Clock

OWNER = "198.51.100.20"
ATTACKERS = ("203.0.113.7", "203.0.113.8", "2001:db8:1:2::9")
FREE, FIRST, MAX = 5, 60, 900


@dataclass
class Paired:
    connection_id: str
    username: str
    password: str
    tenant_id: str


def pair() -> Paired:
    tenant, _ = tenancy.create_tenant_with_key("Lockout test")
    conn = pairing.create_connection(tenant.tenant_id, "Blue Heron", 15)
    _, password = pairing.new_password(tenant.tenant_id, conn.connection_id)
    return Paired(conn.connection_id, conn.username, password, tenant.tenant_id)


@pytest.fixture
def paired(aws: str) -> Paired:
    return pair()


@pytest.fixture
def clock(paired: Paired) -> Clock:
    """Started after the pairing: the password was set before anything the test's clock records."""
    return Clock()


def make_service(clock: Clock) -> WebConnectorService:
    s = get_settings()._replace(
        login_failures_before_backoff=FREE,
        login_backoff_seconds=FIRST,
        login_backoff_max_seconds=MAX,
        login_failure_window_seconds=86_400,
    )
    return WebConnectorService(s, clock=clock)


@pytest.fixture
def service(clock: Clock) -> WebConnectorService:
    return make_service(clock)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every password check the server makes (the password it checked)."""
    seen: list[str] = []
    real = credentials.verify_password

    def counting(password: str, stored: str | None) -> bool:
        seen.append(password)
        return real(password, stored)

    monkeypatch.setattr(credentials, "verify_password", counting)
    yield seen


def owner_signs_in(service: WebConnectorService, p: Paired) -> str:
    """The owner's Web Connector: the right password from the owner's address; the session is closed again."""
    auth = service.authenticate(p.username, p.password, source=OWNER)
    if auth.status == "":
        service.close_connection(auth.ticket)
    return auth.status


def test_the_owner_gets_in_during_and_after_an_attack_from_other_sources(
    service: WebConnectorService, paired: Paired, clock: Clock
) -> None:
    for minute in range(60):  # 60 wrong passwords from three sources, one a minute
        source = ATTACKERS[minute % 3]
        assert service.authenticate(paired.username, f"guess-{minute}", source=source).status == "nvu"
        if minute % 9 == 0:
            assert owner_signs_in(service, paired) == "", minute
        clock.advance(60)
    assert owner_signs_in(service, paired) == ""
    clock.advance(86_400 * 3)
    assert owner_signs_in(service, paired) == ""
    conn = connections.get(paired.connection_id)
    assert conn is not None and conn.locked_until is None


def test_one_wrong_try_every_15_minutes_never_keeps_the_owner_out(
    service: WebConnectorService, paired: Paired, clock: Clock
) -> None:
    """The attack the issue names: the lock used to be renewed forever by one try per lockout period."""
    for _ in range(FREE + 5):
        service.authenticate(paired.username, "wrong", source=ATTACKERS[0])
        clock.advance(15 * 60 + 1)
        assert owner_signs_in(service, paired) == ""


def test_a_source_is_slowed_after_its_free_tries_without_a_password_check(
    service: WebConnectorService, paired: Paired, clock: Clock, checks: list[str]
) -> None:
    attacker = ATTACKERS[0]
    for n in range(FREE):
        assert service.authenticate(paired.username, f"w{n}", source=attacker).status == "nvu"
    assert len(checks) == FREE
    record = connections.source_failures(paired.connection_id, attacker)
    assert record is not None and record.failures == FREE and record.blocked_until is not None
    # waiting: refused unchecked, whatever it sends (one read, no password check, nothing written)
    for _ in range(50):
        assert service.authenticate(paired.username, "again", source=attacker).status == "nvu"
    assert len(checks) == FREE
    assert connections.source_failures(paired.connection_id, attacker) == record
    # the wait doubles with each further wrong password, up to the maximum
    waits = []
    for _ in range(6):
        before = connections.source_failures(paired.connection_id, attacker)
        assert before is not None and before.blocked_until is not None
        clock.advance(before.blocked_until - clock.now.timestamp() - 1)
        assert service.authenticate(paired.username, "early", source=attacker).status == "nvu"
        clock.advance(1)
        checked = len(checks)
        assert service.authenticate(paired.username, "late", source=attacker).status == "nvu"
        assert len(checks) == checked + 1  # checked again once the wait is over
        after = connections.source_failures(paired.connection_id, attacker)
        assert after is not None and after.blocked_until is not None
        waits.append(round(after.blocked_until - clock.now.timestamp()))
    assert waits == [120, 240, 480, 900, 900, 900]
    # the owner, elsewhere, is checked and let in all along
    assert owner_signs_in(service, paired) == ""
    # a source quiet for the window starts over
    clock.advance(86_400 + MAX)
    assert service.authenticate(paired.username, "fresh", source=attacker).status == "nvu"
    fresh = connections.source_failures(paired.connection_id, attacker)
    assert fresh is not None and fresh.failures == 1 and fresh.blocked_until is None


def test_the_right_password_clears_its_source_and_a_new_password_lets_a_slowed_owner_in(
    service: WebConnectorService, paired: Paired, clock: Clock
) -> None:
    # the owner's own Web Connector kept an old password and is slowed...
    for _ in range(FREE):
        service.authenticate(paired.username, "old password", source=OWNER)
    assert service.authenticate(paired.username, paired.password, source=OWNER).status == "nvu"
    conn = connections.get(paired.connection_id)
    assert conn is not None and conn.last_error is not None
    assert OWNER in conn.last_error["message"] and "generate a new password" in conn.last_error["message"]
    # ...a new password is let in at once, and a right sign-in forgets that source's wrong ones
    clock.advance(1)
    _, new_password = pairing.new_password(paired.tenant_id, paired.connection_id)
    clock.advance(1)
    auth = service.authenticate(paired.username, new_password, source=OWNER)
    assert auth.status == ""
    assert connections.source_failures(paired.connection_id, OWNER) is None
    conn = connections.get(paired.connection_id)
    assert conn is not None and conn.failed_logins == 0 and conn.last_error is None


def test_an_unknown_user_name_is_refused_at_once(
    service: WebConnectorService, paired: Paired, checks: list[str]
) -> None:
    for name in ("lb-con_0000000000000000", "someone", "lb-", "lb-" + "x" * 500, ""):
        auth = service.authenticate(name, "anything", source=ATTACKERS[0])
        assert auth.status == "nvu" and len(auth.ticket) >= 16
    assert checks == []  # no password check for a user that does not exist


def test_every_refused_sign_in_is_counted_in_one_metric(service: WebConnectorService, paired: Paired) -> None:
    metrics.clear_metrics()
    for n in range(FREE + 2):
        service.authenticate(paired.username, f"w{n}", source=ATTACKERS[1])
    service.authenticate("lb-con_nobody", "x", source=ATTACKERS[1])
    counted = {name: sum(m["Value"]) for name, m in metrics.metric_set.items()}
    metrics.clear_metrics()
    # one metric for every refused sign-in: the wrong passwords, the slowed source's two, the unknown name
    assert counted == {"WebConnectorLoginFailed": FREE + 2 + 1}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from([*ATTACKERS, OWNER]), st.integers(min_value=0, max_value=2_000)),
        min_size=1,
        max_size=25,
    )
)
def test_whatever_others_send_the_owner_gets_in(aws: str, steps: list[tuple[str, int]]) -> None:
    """Any interleaving of wrong passwords from any sources and waits: the owner's right password from the
    owner's address always opens a session."""
    p = pair()
    clock = Clock()
    service = make_service(clock)
    for source, wait in steps:
        clock.advance(wait)
        if source == OWNER:
            assert owner_signs_in(service, p) == ""
        else:
            assert service.authenticate(p.username, "wrong", source=source).status == "nvu"
    assert owner_signs_in(service, p) == ""


def soap_authenticate(
    client: Any, username: str, password: str, headers: dict[str, str] | None = None
) -> str:
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><authenticate xmlns="http://developer.intuit.com/"><strUserName>{username}</strUserName>'
        f"<strPassword>{password}</strPassword></authenticate></soap:Body></soap:Envelope>"
    )
    response = client.http.post(
        "/qbwc",
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": '"http://developer.intuit.com/authenticate"',
            **(headers or {}),
        },
        body=body.encode(),
    )
    assert response.status_code == 200, response.body
    text: str = response.body.decode()
    return text


def test_the_soap_endpoint_counts_by_the_callers_address_not_its_headers(
    chalice_client: Any, paired: Paired, capsys: pytest.CaptureFixture[str]
) -> None:
    """Chalice's local server and test client put the peer (127.0.0.1) where API Gateway puts sourceIp; an
    X-Forwarded-For header the caller writes changes nothing."""
    metrics.clear_metrics()  # what earlier in-process tests added (nothing flushes them there)
    forged = {"X-Forwarded-For": ATTACKERS[2], "X-Real-IP": ATTACKERS[2]}
    answer = soap_authenticate(chalice_client, paired.username, "wrong", forged)
    assert "nvu" in answer
    record = connections.source_failures(paired.connection_id, "127.0.0.1")
    assert record is not None and record.failures == 1
    assert connections.source_failures(paired.connection_id, ATTACKERS[2]) is None
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(e.get("WebConnectorLoginFailed") == [1.0] for e in emitted), emitted
