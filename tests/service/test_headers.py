"""Response headers: the same on the ten-thousandth call as on the first (no request changes module state),
HSTS over https only, the hardening every REST/SOAP answer carries, CORS from the configured URL only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.api import http, pages, qbwc, security
from chalicelib.settings import get_settings

APP_ORIGIN = "http://localhost:8000"  # LEDGERBRIDGE_PUBLIC_URL in tests/conftest.py
SERVER_VERSION = (
    b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    b'<soap:Body><serverVersion xmlns="http://developer.intuit.com/"/></soap:Body></soap:Envelope>'
)
SOAP_HEADERS = {
    "Content-Type": "text/xml; charset=utf-8",
    "SOAPAction": '"http://developer.intuit.com/serverVersion"',
}


def soap(client, **extra: str):
    return client.http.post("/qbwc", headers={**SOAP_HEADERS, **extra}, body=SERVER_VERSION)


def rest(client, **extra: str):
    # No key: answered by the REST edge without touching storage, through the same JSON path as any answer.
    return client.http.get("/api/v1/connections", headers=extra)


def test_thousands_of_calls_leave_every_answers_headers_the_same(chalice_client):
    shared = {
        "json": dict(http.JSON_HEADERS),
        "xml": dict(qbwc.XML),
        "text": dict(qbwc.TEXT),
        "pages": dict(pages.SECURITY_HEADERS),
    }
    calls = {
        "soap": lambda: soap(chalice_client, Origin=APP_ORIGIN),
        "soap fault": lambda: chalice_client.http.post("/qbwc", headers=SOAP_HEADERS, body=b"<nope"),
        "rest": lambda: rest(chalice_client, Origin=APP_ORIGIN),
        "rest over https": lambda: rest(
            chalice_client, Origin="https://evil.example", **{"X-Forwarded-Proto": "https"}
        ),
        "wsdl": lambda: chalice_client.http.get("/qbwc?wsdl", headers={"Origin": APP_ORIGIN}),
        "page": lambda: chalice_client.http.get("/support", headers={"Origin": APP_ORIGIN}),
    }
    first = {name: call().headers for name, call in calls.items()}
    for name, headers in first.items():
        assert headers["Vary"] == "Origin", (name, headers)
    for round_ in range(2_000):
        for name, call in calls.items():
            headers = call().headers
            assert headers == first[name], (round_, name, headers)
    assert {
        "json": dict(http.JSON_HEADERS),
        "xml": dict(qbwc.XML),
        "text": dict(qbwc.TEXT),
        "pages": dict(pages.SECURITY_HEADERS),
    } == shared


@pytest.mark.parametrize("call", [soap, rest], ids=["soap", "rest"])
def test_rest_and_soap_answers_carry_the_hardening(chalice_client, call):
    headers = call(chalice_client).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize("call", [soap, rest], ids=["soap", "rest"])
def test_hsts_over_https_only(chalice_client, call):
    over_https = call(chalice_client, **{"X-Forwarded-Proto": "https"}).headers
    assert over_https["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    plain = call(chalice_client).headers  # the tests' public URL is http://localhost:8000
    assert "Strict-Transport-Security" not in plain
    assert "Strict-Transport-Security" not in call(chalice_client, **{"X-Forwarded-Proto": "http"}).headers


@pytest.fixture
def https_deployment(monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("LEDGERBRIDGE_PUBLIC_URL", "https://ledgerbridge.example.com")
    get_settings.cache_clear()
    yield "https://ledgerbridge.example.com"
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_deployment_on_https_sends_hsts_and_grants_only_its_own_origin(chalice_client, https_deployment):
    mine = rest(chalice_client, Origin=https_deployment).headers
    assert mine["Strict-Transport-Security"] == security.HSTS
    assert mine["Access-Control-Allow-Origin"] == https_deployment
    page = chalice_client.http.get("/", headers={"Origin": https_deployment}).headers
    assert page["Strict-Transport-Security"] == security.HSTS
    # The Host header is the caller's to choose: it never makes an origin the app's own.
    spoofed = rest(chalice_client, Origin="https://evil.example", Host="evil.example").headers
    assert "Access-Control-Allow-Origin" not in spoofed
    old_local = rest(chalice_client, Origin=APP_ORIGIN, Host="localhost:8000").headers
    assert "Access-Control-Allow-Origin" not in old_local


def test_the_origin_is_granted_from_the_configured_url_only(chalice_client):
    assert rest(chalice_client, Origin=APP_ORIGIN).headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    for host in ("127.0.0.1:9000", "evil.example"):
        answer = rest(chalice_client, Origin=f"http://{host}", Host=host).headers
        assert "Access-Control-Allow-Origin" not in answer, host
