"""The Web Connector simulator against a scripted SOAP service on 127.0.0.1: call order, envelopes, faults."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from ledgerbridge.qbxml_schema import schema_errors
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import SessionReport, build_envelope, run_session
from tests.paths import QBWC_REFERENCE
from tests.unit.simulators.conftest import TickClock, found, parse, request, rs, status
from tests.unit.simulators.soap_server import (
    Reply,
    ScriptedService,
    ServiceServer,
    dotnet_envelope,
    soap_fault,
)

EXPECTED_RESPONSES = QBWC_REFERENCE / "soap" / "consolibyte-devkit-expected-responses"
SEND_REQUEST_ELEMENTS = [
    "ticket",
    "strHCPResponse",
    "strCompanyFileName",
    "qbXMLCountry",
    "qbXMLMajorVers",
    "qbXMLMinorVers",
]


@pytest.fixture
def service() -> ScriptedService:
    return ScriptedService()


@pytest.fixture
def server(service: ScriptedService) -> Iterator[ServiceServer]:
    with ServiceServer(service) as running:
        yield running


def run(server: ServiceServer, company: CompanySimulator, **kwargs: Any) -> SessionReport:
    return run_session(server.url, "store-1", "s3cret", company, noop_delay=0.0, **kwargs)


# -- the happy path ------------------------------------------------------------------------------
def test_full_session_call_order_and_envelopes(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.requests = [
        request("customer_add_rq.xml", NAME="Session Sailors"),
        request("item_queries_rq.xml"),
    ]
    report = run(server, company)

    assert service.methods() == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert report.methods == service.methods()
    assert report.outcome == "completed" and report.ok
    assert report.round_trips == 2 and report.last_percent == 100
    assert (report.ticket, report.auth_status, report.close_message) == ("ticket-123", "", "OK")
    assert report.server_version == "Ledgerbridge test 1.0"

    for received in service.received:
        assert received.path == "/qbwc"
        assert received.headers["Content-Type"] == "text/xml; charset=utf-8"
        assert received.headers["SOAPAction"] == f'"http://developer.intuit.com/{received.method}"'
        root = etree.fromstring(received.body.encode())
        assert root.tag == "{http://schemas.xmlsoap.org/soap/envelope/}Envelope"
        assert root.nsmap == {
            "soap": "http://schemas.xmlsoap.org/soap/envelope/",
            "xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsd": "http://www.w3.org/2001/XMLSchema",
        }
        call = root[0][0]
        assert call.tag == f"{{http://developer.intuit.com/}}{received.method}" and call.prefix is None

    first = service.received
    assert first[0].body == build_envelope("serverVersion", [])
    assert '<soap:Body><serverVersion xmlns="http://developer.intuit.com/" /></soap:Body>' in first[0].body
    assert first[1].param_order == ["strVersion"] and first[1].params["strVersion"] == "2.3.0.215"
    assert first[2].param_order == ["strUserName", "strPassword"]
    assert first[2].params == {"strUserName": "store-1", "strPassword": "s3cret"}

    sends = [r for r in service.received if r.method == "sendRequestXML"]
    for send in sends:
        assert send.param_order == SEND_REQUEST_ELEMENTS
        assert send.params["ticket"] == "ticket-123"
        assert send.params["strCompanyFileName"] == company.company_file
        assert (
            send.params["qbXMLCountry"],
            send.params["qbXMLMajorVers"],
            send.params["qbXMLMinorVers"],
        ) == ("US", "13", "0")
    assert sends[0].params["strHCPResponse"] == company.hcp_response()  # first call of the session only
    assert sends[1].params["strHCPResponse"] == ""
    assert "<strHCPResponse />" in sends[1].body

    receives = [r for r in service.received if r.method == "receiveResponseXML"]
    for received in receives:
        assert received.param_order == ["ticket", "response", "hresult", "message"]
        assert received.params["hresult"] == received.params["message"] == ""
        assert "<hresult />" in received.body and "<message />" in received.body
        assert schema_errors(received.params["response"]) == []
    assert rs(receives[0].params["response"]).findtext("CustomerRet/Name") == "Session Sailors"
    assert company.find("Customer", "Session Sailors") is not None
    assert service.received[-1].params == {"ticket": "ticket-123"}


def test_render_reads_like_a_qbwc_log(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.requests = [request("host_company_preferences_rq.xml")]
    text = run(server, company).render()
    assert "QBWebConnector.SOAPWebService.do_serverVersion() : *** Calling serverVersion()." in text
    assert '<productVersion="2.3.0.215">' in text
    assert "<password=<MaskedForSecurity>" in text and "s3cret" not in text
    assert "closeConnection" in text and "Session outcome: completed" in text


def test_iterators_span_round_trips_within_a_session(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    company.add_generated_items(12)
    service.requests = [request("item_query_iterator_start_rq.xml", MAX="10")]
    pages: list[int] = []

    def receive(params: dict[str, str]) -> int:
        answer = rs(params["response"])
        remaining = int(answer.get("iteratorRemainingCount", "0"))
        pages.append(len(answer))
        if remaining:
            service.requests.append(
                request(
                    "item_query_iterator_continue_rq.xml",
                    MAX="10",
                    REQUEST_ID="next",
                    ITERATOR_ID=answer.get("iteratorID", ""),
                )
            )
            return 50
        return 100

    service.overrides["receiveResponseXML"] = receive
    report = run(server, company)
    assert report.outcome == "completed" and report.closed
    assert sum(pages) == company.count(
        (
            "ItemService",
            "ItemNonInventory",
            "ItemOtherCharge",
            "ItemInventory",
            "ItemSubtotal",
            "ItemDiscount",
            "ItemSalesTax",
            "ItemSalesTaxGroup",
        )
    )
    assert all(p == 10 for p in pages[:-1]) and report.round_trips == len(pages)


# -- clientVersion -------------------------------------------------------------------------------------
def test_client_version_error_stops(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.client_version = "E:Please upgrade your Web Connector."
    report = run(server, company)
    assert service.methods() == ["serverVersion", "clientVersion"]
    assert report.outcome == "client version rejected"
    assert any("Please upgrade your Web Connector." in e for e in report.errors)


def test_client_version_warning_continues(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.client_version = "W:A newer Web Connector is available."
    report = run(server, company)
    assert report.warnings == ["A newer Web Connector is available."]
    assert "authenticate" in service.methods()


@pytest.mark.parametrize(("required", "proceeds"), [("2.3.0.300", False), ("2.1.0.30", True)])
def test_client_version_minimum(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator, required: str, proceeds: bool
) -> None:
    service.client_version = f"O:{required}"
    run(server, company)
    assert ("authenticate" in service.methods()) is proceeds


# -- authenticate ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("auth", "outcome"),
    [
        (["", "nvu"], "invalid user"),
        (["ticket-9", "none"], "no data exchange required"),
        (["ticket-9", "NONE"], "no data exchange required"),
        (["ticket-9", "busy"], "web service busy"),
    ],
)
def test_authenticate_answers_that_end_the_update(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator, auth: list[str], outcome: str
) -> None:
    service.auth = auth
    report = run(server, company)
    assert service.methods() == [
        "serverVersion",
        "clientVersion",
        "authenticate",
    ]  # no closeConnection either
    assert report.outcome == outcome and report.auth_status == auth[1]
    assert report.ok is (outcome == "no data exchange required")


def test_authenticate_with_the_company_file_path(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.auth = ["ticket-5", company.company_file.upper()]
    report = run(server, company)
    assert "connectionError" not in service.methods() and report.company_file == company.company_file


# -- opening the company ------------------------------------------------------------------------------------
def test_quickbooks_not_running_calls_connection_error(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    company.faults.not_running = True
    report = run(server, company)
    assert service.methods() == ["serverVersion", "clientVersion", "authenticate", "connectionError"]
    assert service.received[-1].params == {
        "ticket": "ticket-123",
        "hresult": "0x80040408",
        "message": "Could not start QuickBooks.",
    }
    assert service.received[-1].param_order == ["ticket", "hresult", "message"]
    assert report.outcome == "connection error" and not report.closed


def test_other_company_open_then_retry_with_the_right_path(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.auth = ["ticket-7", "C:\\Company Files\\Somebody Else.qbw"]
    service.connection_error = lambda params: company.company_file
    service.requests = [request("host_company_preferences_rq.xml")]
    report = run(server, company)
    assert service.methods()[3:] == [
        "connectionError",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert service.received[3].params["hresult"] == "0x8004040A"
    assert report.outcome == "completed"


# -- the exchange loop ------------------------------------------------------------------------------------
def test_nothing_to_do_calls_get_last_error_then_close(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    report = run(server, company)
    assert service.methods() == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "getLastError",
        "closeConnection",
    ]
    assert report.round_trips == 0 and report.last_errors == ["No more work"]
    assert report.outcome == "completed"


def test_noop_from_get_last_error_asks_again(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    answers = ["NoOp", "done for now"]

    def last_error() -> str:
        if answers[0] == "NoOp":
            service.requests.append(request("host_company_preferences_rq.xml"))
        return answers.pop(0)

    service.last_error = last_error
    service.percents = [100]
    run(server, company)
    assert service.methods()[3:] == [
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    sends = [r for r in service.received if r.method == "sendRequestXML"]
    assert sends[0].params["strHCPResponse"] and not sends[1].params["strHCPResponse"]


def test_negative_percent_calls_get_last_error_then_close(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.requests = [request("customer_add_rq.xml", NAME="Negative Nancy"), request("item_queries_rq.xml")]
    service.percents = [-3]
    service.last_error = "Could not store the customer"
    report = run(server, company)
    assert service.methods()[3:] == [
        "sendRequestXML",
        "receiveResponseXML",
        "getLastError",
        "closeConnection",
    ]
    assert report.last_percent == -3 and report.last_errors == ["Could not store the customer"]
    assert any("Could not store the customer" in e for e in report.errors) and not report.ok


def test_quickbooks_fault_is_reported_through_receive_response_xml(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    bad = (Path(__file__).parents[2] / "fixtures" / "simulators" / "invalid_element_order_rq.xml").read_text()
    service.requests = [bad]
    service.percents = [100]
    run(server, company)
    receive = next(r for r in service.received if r.method == "receiveResponseXML")
    assert receive.params == {
        "ticket": "ticket-123",
        "response": "",
        "hresult": "0x80040400",
        "message": "QuickBooks found an error when parsing the provided XML text stream.",
    }
    assert company.find("Customer", "Should Not Exist") is None


def test_round_trip_safety_bound(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.overrides["sendRequestXML"] = lambda params: request("host_company_preferences_rq.xml")
    service.overrides["receiveResponseXML"] = lambda params: 10
    report = run(server, company, max_round_trips=4)
    assert report.round_trips == 4 and report.outcome == "aborted" and report.closed
    assert any("Safety bound" in e for e in report.errors)


# -- faults ---------------------------------------------------------------------------------------------------
def test_crash_mid_session_makes_no_more_calls(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator, company_path: Path
) -> None:
    company.faults.crash_after_requests = 1
    service.requests = [
        request("customer_add_rq.xml", NAME="Crash Test Canoes"),
        request("item_queries_rq.xml"),
    ]
    report = run(server, company)
    assert service.methods() == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
    ]
    assert report.outcome == "web connector crashed" and not report.closed
    assert CompanySimulator.open(company_path).faults.crash_after_requests is None  # one-shot


def test_lost_response_ends_the_session_without_receive_or_close(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator, company_path: Path
) -> None:
    company.faults.lose_next_response = True
    service.requests = [request("error_recovery_add_rq.xml", SET_ID="LOST-9", NAME="Lost Loon Kayaks")]
    report = run(server, company)
    assert service.methods() == ["serverVersion", "clientVersion", "authenticate", "sendRequestXML"]
    assert report.outcome == "response lost" and any("QBWC1042" in e for e in report.errors)
    assert [c.method for c in report.calls if not c.sent] == ["receiveResponseXML"]
    reopened = CompanySimulator.open(company_path, clock=TickClock())
    assert reopened.find("Customer", "Lost Loon Kayaks") is not None  # QuickBooks committed it
    # the next session can recover the stored status (the customer's ids, not its record)
    service2 = ScriptedService(
        requests=[request("error_recovery_status_rq.xml", SET_ID="LOST-9")], percents=[100]
    )
    with ServiceServer(service2) as second:
        run(second, reopened)
    recovered = service2.responses[0]["response"]
    msgs = parse(recovered).find("QBXMLMsgsRs")
    assert msgs is not None and msgs.get("messageSetStatusCode") == "0"
    assert (
        rs(recovered).findtext("ErrorRecovery/ListID")
        == found(reopened, "Customer", "Lost Loon Kayaks")["ListID"]
    )


# -- server errors ---------------------------------------------------------------------------------------------
def test_soap_fault_ends_the_session(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.overrides["sendRequestXML"] = lambda params: soap_fault("Server was unable to process request.")
    report = run(server, company)
    assert service.methods() == ["serverVersion", "clientVersion", "authenticate", "sendRequestXML"]
    assert report.outcome == "web service error"
    assert any("Server was unable to process request." in e for e in report.errors)
    assert report.calls[-1].http_status == 500


@pytest.mark.parametrize(
    "reply",
    [
        Reply("<html><body>502 Bad Gateway</body></html>", status=502, content_type="text/html"),
        Reply("not xml at all"),
        Reply("<root><notSoap/></root>"),
    ],
    ids=["http-502", "garbage", "xml-but-not-soap"],
)
def test_non_soap_replies_fail_clearly(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator, reply: Reply
) -> None:
    service.overrides["authenticate"] = lambda params: reply
    report = run(server, company)
    assert service.methods() == ["serverVersion", "clientVersion", "authenticate"]
    assert report.outcome == "web service error"
    assert any("not a SOAP envelope" in e for e in report.errors)


def test_wrong_response_element_is_an_error(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    service.overrides["clientVersion"] = lambda params: Reply(dotnet_envelope("serverVersion", ""))
    report = run(server, company)
    assert any("expected <clientVersionResponse>" in e for e in report.errors)


def test_unreachable_service(company: CompanySimulator) -> None:
    report = run_session("http://127.0.0.1:9/qbwc", "u", "p", company, timeout=2.0)
    assert report.outcome == "web service error" and report.methods == ["serverVersion"]


def test_replies_are_parsed_whatever_their_prefixes(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    """The PHP DevKit answers with `SOAP-ENV:` and `ns1:` prefixes (reference expected responses)."""
    files = {
        "serverVersion": "serverVersion.response.xml",
        "clientVersion": "clientVersion.response.ok-empty.xml",
        "authenticate": "authenticate.response.valid-user-work-current-company.xml",
        "sendRequestXML": "sendRequestXML.response.CustomerAddRq.xml",
        "receiveResponseXML": "receiveResponseXML.response.33-percent.xml",
        "closeConnection": "closeConnection.response.xml",
    }
    sent: list[str] = []

    def from_file(method: str) -> Callable[[dict[str, str]], Reply]:
        def answer(params: dict[str, str]) -> Reply:
            name = files[method]
            if method == "sendRequestXML":
                if sent:
                    name = "sendRequestXML.response.no-more-work-empty.xml"
                sent.append(method)
            return Reply((EXPECTED_RESPONSES / name).read_text())

        return answer

    for method in files:
        service.overrides[method] = from_file(method)
    service.last_error = ""
    report = run(server, company)
    assert report.server_version == "PHP QuickBooks SOAP Server v3.0 at http://?"
    assert report.ticket == "01234567-89ab-cdef-0123-456789abcdef" and report.auth_status == ""
    assert report.last_percent == 33 and report.close_message == "Complete!"
    assert company.find("Customer", "My Customer Name #100 -12345") is None  # SalesRep "SR" does not exist
    receive = next(r for r in service.received if r.method == "receiveResponseXML")
    answer = rs(receive.params["response"])
    assert status(answer)[0] == 3140 and "Sales Rep" in status(answer)[2]


def test_external_http_client_is_used_and_left_open(
    server: ServiceServer, service: ScriptedService, company: CompanySimulator
) -> None:
    with httpx.Client(timeout=5.0) as client:
        report = run_session(server.url, "u", "p", company, http_client=client, noop_delay=0.0)
        assert not client.is_closed
    assert report.outcome == "completed"
