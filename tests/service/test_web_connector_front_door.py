"""The Web Connector's own front door in AWS (an HTTP API, chalicelib/api/web_connector_gateway.py): the .qwc
names it, whole sessions run through it as through the REST API, and it answers nothing else.

API Gateway is played by `ledgerbridge.fakes.http_api` (payload format 1.0 events into the `web_connector`
function, its answers back to the Web Connector simulator over httpx)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ledgerbridge.fakes.http_api import HttpApiTransport, answer_of, payload_v1_event
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import build_envelope, run_session

FRONT_DOOR = "https://wc.example.test"


@pytest.fixture
def front_door(monkeypatch) -> Iterator[None]:
    """A deployment with its HTTP API (LEDGERBRIDGE_WEB_CONNECTOR_BASE_URL), as infra/template.yaml sets it."""
    from chalicelib.settings import get_settings

    monkeypatch.setenv("LEDGERBRIDGE_WEB_CONNECTOR_BASE_URL", FRONT_DOOR + "/")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def pair(api) -> tuple[dict[str, str], dict[str, str], str]:
    conn = api.json("POST", "/api/v1/connections", {"name": "Front Door"}, expect=201)
    qwc = etree.fromstring(api.call("GET", f"/api/v1/connections/{conn['id']}/qwc").body)
    password = api.json("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)["password"]
    return conn, {child.tag: child.text or "" for child in qwc}, password


def web_connector_client() -> tuple[httpx.Client, HttpApiTransport]:
    from app import web_connector

    transport = HttpApiTransport(web_connector)
    return httpx.Client(transport=transport), transport


def test_the_qwc_names_the_front_door_for_appurl_and_appsupport(api, front_door) -> None:
    _, qwc, _ = pair(api)
    assert qwc["AppURL"] == f"{FRONT_DOOR}/qbwc"
    assert qwc["AppSupport"] == f"{FRONT_DOOR}/support"  # the Web Connector wants both on one host


def test_a_whole_session_runs_through_the_http_api(api, front_door, tmp_path) -> None:
    conn, qwc, password = pair(api)
    company = CompanySimulator.open(tmp_path / "company.json")
    client, transport = web_connector_client()
    with client:
        report = run_session(qwc["AppURL"], qwc["UserName"], password, company, http_client=client)
    assert report.outcome == "completed", report.render()
    assert report.methods[:3] == ["serverVersion", "clientVersion", "authenticate"]
    assert report.methods[-1] == "closeConnection" and transport.calls == len(report.methods)
    status = api.json("GET", f"/api/v1/connections/{conn['id']}/status")
    assert status["state"] == "connected" and status["company_file_path"] == company.company_file


def test_behind_a_custom_domain_the_call_may_arrive_at_the_root(api, front_door, tmp_path) -> None:
    """The custom domain maps the API under the key `qbwc`; API Gateway may hand the call over at `/`."""
    _, qwc, password = pair(api)
    client, _ = web_connector_client()
    with client:
        report = run_session(
            f"{FRONT_DOOR}/",
            qwc["UserName"],
            password,
            CompanySimulator.open(tmp_path / "c.json"),
            http_client=client,
        )
    assert report.outcome == "completed", report.render()


def test_a_wrong_password_through_the_front_door_is_counted_against_its_source(api, front_door) -> None:
    from app import web_connector
    from chalicelib.dal import connections

    conn, qwc, _ = pair(api)
    envelope = build_envelope(
        "authenticate", [("strUserName", qwc["UserName"]), ("strPassword", "not-the-password")]
    ).encode()
    event = payload_v1_event(
        "POST",
        "/qbwc",
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": '"http://developer.intuit.com/authenticate"',
        },
        body=envelope,
        source_ip="198.51.100.23",
    )
    answer = answer_of(web_connector(event, None))
    assert answer.status_code == 200 and b"nvu" in answer.body
    assert connections.source_failures(conn["id"], "198.51.100.23") is not None


def test_the_wsdl_names_the_front_door(api, front_door) -> None:
    from app import web_connector

    answer = answer_of(web_connector(payload_v1_event("GET", "/qbwc", query="wsdl"), None))
    assert answer.status_code == 200
    wsdl = etree.fromstring(answer.body)
    locations = {e.get("location") for e in wsdl.iter() if e.get("location")}
    assert locations == {f"{FRONT_DOOR}/qbwc"}


def test_the_support_page_and_its_stylesheet_are_on_the_front_door(aws) -> None:
    from app import web_connector

    page = answer_of(web_connector(payload_v1_event("GET", "/support"), None))
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert b"/dashboard/app.css" in page.body
    css = answer_of(web_connector(payload_v1_event("GET", "/dashboard/app.css"), None))
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")


PATH_SEGMENT = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#"), max_size=12
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    segments=st.lists(PATH_SEGMENT, min_size=1, max_size=3),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
)
def test_no_other_path_reaches_the_app(aws, segments: list[str], method: str) -> None:
    """Only /qbwc (or / behind the custom domain) and /support are answered: the REST API, the dashboard and
    anything else are not behind this door."""
    from app import web_connector

    path = "/" + "/".join(segments)
    if path.strip("/") in ("", "qbwc", "support", "dashboard/app.css"):
        return
    answer = answer_of(web_connector(payload_v1_event(method, path), None))
    assert answer.status_code == 404
    assert b"/qbwc" in answer.body


def test_an_unsupported_method_on_the_soap_endpoint_is_refused_not_crashed(aws) -> None:
    from app import web_connector

    answer = answer_of(web_connector(payload_v1_event("DELETE", "/qbwc"), None))
    assert answer.status_code == 405
