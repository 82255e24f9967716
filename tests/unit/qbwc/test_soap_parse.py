"""parse_soap_request: QBWC-shaped requests for every method, variants, and every refusal."""

from __future__ import annotations

import time

import pytest

from chalicelib.qbwc.soap import MAX_BODY_BYTES, METHODS, SoapCall, SoapFault, parse_soap_request
from tests.paths import FIXTURES

REQUESTS = FIXTURES / "qbwc" / "requests"
VARIANTS = FIXTURES / "qbwc" / "variants"
BAD = FIXTURES / "qbwc" / "bad"
TICKET = "{0b3c7d2e-5f1a-4c8e-9d6b-2a7f4e1c9b30}"


def parse_file(path, soap_action: str | None = None) -> SoapCall:
    return parse_soap_request(path.read_bytes(), soap_action=soap_action)


def refused(body: bytes, soap_action: str | None = None) -> SoapFault:
    with pytest.raises(SoapFault) as info:
        parse_soap_request(body, soap_action=soap_action)
    assert info.value.code == "Client"
    return info.value


# --------------------------------------------------------------------------- good requests

EXPECTED: dict[str, tuple[str, dict[str, str]]] = {
    "serverVersion.xml": ("serverVersion", {"strVersion": ""}),
    "serverVersion.with-strVersion.xml": ("serverVersion", {"strVersion": "2.1.0.30"}),
    "clientVersion.xml": ("clientVersion", {"strVersion": "2.3.0.215"}),
    "authenticate.xml": ("authenticate", {"strUserName": "acme-store", "strPassword": "p&ss <w0rd>"}),
    "sendRequestXML.xml": (
        "sendRequestXML",
        {
            "ticket": TICKET,
            "strHCPResponse": "",
            "strCompanyFileName": r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Acme & Sons.QBW",
            "qbXMLCountry": "US",
            "qbXMLMajorVers": "13",
            "qbXMLMinorVers": "0",
        },
    ),
    "receiveResponseXML.hresult-error.xml": (
        "receiveResponseXML",
        {
            "ticket": TICKET,
            "response": "",
            "hresult": "0x80040400",
            "message": "QuickBooks found an error when parsing the provided XML text stream.",
        },
    ),
    "connectionError.xml": (
        "connectionError",
        {"ticket": TICKET, "hresult": "0x80040408", "message": "Could not start QuickBooks."},
    ),
    "getLastError.xml": ("getLastError", {"ticket": TICKET}),
    "closeConnection.xml": ("closeConnection", {"ticket": TICKET}),
    "getInteractiveURL.xml": (
        "getInteractiveURL",
        {"wcTicket": TICKET, "sessionID": "{8a1f0e7c-3b2d-4e5f-a6b7-c8d9e0f1a2b3}"},
    ),
    "interactiveDone.xml": ("interactiveDone", {"wcTicket": TICKET}),
    "interactiveRejected.xml": (
        "interactiveRejected",
        {"wcTicket": TICKET, "reason": "The user closed the browser window."},
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_qbwc_request_fixture_parses_to_method_and_params(name):
    method, params = EXPECTED[name]
    call = parse_file(REQUESTS / name, soap_action=f'"http://developer.intuit.com/{method}"')
    assert call == SoapCall(method, params)
    assert dict(call.params) == params


def test_every_method_has_a_request_fixture():
    covered = {path.name.split(".")[0] for path in REQUESTS.glob("*.xml")}
    assert covered == set(METHODS)


def test_receive_response_xml_carries_the_unescaped_qbxml():
    call = parse_file(REQUESTS / "receiveResponseXML.xml")
    response = call.params["response"]
    assert response.startswith('<?xml version="1.0" ?>\n<QBXML>')
    assert '<CustomerAddRs requestID="1" statusCode="0"' in response
    # One level of escaping is removed: the qbXML's own &amp; stays an entity in the qbXML text.
    assert "<Name>Jane &amp; Co</Name>" in response
    assert call.params["hresult"] == "" and call.params["message"] == ""


def test_send_request_xml_first_call_carries_the_hcp_response():
    call = parse_file(REQUESTS / "sendRequestXML.first-call-with-hcp.xml")
    assert call.method == "sendRequestXML"
    assert "<ProductName>QuickBooks Pro 2021</ProductName>" in call.params["strHCPResponse"]
    assert call.params["qbXMLMajorVers"] == "13"


def test_params_are_read_only():
    call = parse_file(REQUESTS / "authenticate.xml")
    with pytest.raises(TypeError):
        call.params["strUserName"] = "admin"  # type: ignore[index]


@pytest.mark.parametrize(
    "name",
    [
        "authenticate.soap-env-ns1-prefixes.xml",
        "authenticate.default-namespace-envelope.xml",
        "authenticate.unqualified-params-with-header.xml",
    ],
)
def test_prefixes_default_namespaces_headers_and_comments_do_not_matter(name):
    call = parse_file(VARIANTS / name, soap_action="http://developer.intuit.com/authenticate")
    # The PHP-style fixture is pretty-printed: whitespace inside a value is part of it,
    # but here values sit alone in their element.
    assert call == SoapCall("authenticate", {"strUserName": "acme-store", "strPassword": "secret"})


def test_declared_encoding_is_honoured():
    call = parse_file(VARIANTS / "authenticate.iso-8859-1.xml")
    assert call.params["strUserName"] == "caf\u00e9-store"


def test_nil_and_missing_params_are_empty_strings():
    call = parse_file(VARIANTS / "receiveResponseXML.nil-and-missing.xml")
    assert dict(call.params) == {"ticket": "t-1", "response": "", "hresult": "0x80040400", "message": ""}


def test_carriage_returns_sent_as_character_references_survive():
    body = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<receiveResponseXML xmlns="http://developer.intuit.com/"><ticket>t</ticket>'
        b"<response>&lt;QBXML&gt;&#13;\n&lt;/QBXML&gt;</response></receiveResponseXML></soap:Body></soap:Envelope>"
    )
    assert parse_soap_request(body, soap_action=None).params["response"] == "<QBXML>\r\n</QBXML>"


def test_leading_whitespace_before_the_declaration_is_tolerated():
    body = b"\r\n  " + (REQUESTS / "getLastError.xml").read_bytes()
    assert parse_soap_request(body, soap_action=None).method == "getLastError"


# --------------------------------------------------------------------------- SOAPAction


@pytest.mark.parametrize(
    "soap_action",
    [
        None,
        "",
        '""',
        '"http://developer.intuit.com/closeConnection"',
        "http://developer.intuit.com/closeConnection",
        '  "http://developer.intuit.com/closeConnection"  ',
    ],
)
def test_soap_action_missing_empty_quoted_or_unquoted_is_accepted(soap_action):
    assert parse_file(REQUESTS / "closeConnection.xml", soap_action).method == "closeConnection"


@pytest.mark.parametrize(
    "soap_action",
    [
        '"http://developer.intuit.com/getLastError"',
        "http://developer.intuit.com/authenticate",
        '"closeConnection"',
        '"http://example.com/closeConnection"',
    ],
)
def test_soap_action_naming_another_method_is_refused(soap_action):
    fault = refused((REQUESTS / "closeConnection.xml").read_bytes(), soap_action)
    assert "SOAPAction" in fault.message
    assert "closeConnection" in fault.message


# --------------------------------------------------------------------------- refusals


def test_body_over_the_limit_is_refused_before_parsing():
    body = b"<" + b"x" * MAX_BODY_BYTES
    fault = refused(body)
    assert f"{MAX_BODY_BYTES:,}" in fault.message
    assert "limit" in fault.message


def test_body_exactly_at_the_limit_is_accepted():
    template = (REQUESTS / "receiveResponseXML.xml").read_bytes()
    marker = b"</response>"
    padding = MAX_BODY_BYTES - len(template)
    body = template.replace(marker, b" " * padding + marker)
    assert len(body) == MAX_BODY_BYTES
    call = parse_soap_request(body, soap_action=None)
    assert call.params["response"].endswith(" " * padding)


def test_limit_is_under_lambdas_synchronous_payload_even_base64_encoded():
    lambda_sync_payload = 6 * 1024 * 1024
    assert lambda_sync_payload - 512 * 1024 > MAX_BODY_BYTES * 4 / 3


@pytest.mark.parametrize("body", [b"", b"   \r\n\t "])
def test_empty_body_is_refused(body):
    assert "empty" in refused(body).message


def test_malformed_xml_is_refused():
    assert "not well-formed XML" in refused((BAD / "malformed-truncated.xml").read_bytes()).message


def test_entity_reference_without_declaration_is_malformed():
    body = (REQUESTS / "getLastError.xml").read_bytes().replace(TICKET.encode(), b"&undeclared;")
    assert "not well-formed XML" in refused(body).message


def test_billion_laughs_is_refused_without_expansion():
    started = time.perf_counter()
    fault = refused((BAD / "billion-laughs.xml").read_bytes())
    assert time.perf_counter() - started < 1.0
    assert "DOCTYPE" in fault.message
    assert "lol" not in fault.message


@pytest.mark.parametrize("name", ["xxe-file.xml", "xxe-parameter-entity.xml", "external-dtd.xml"])
def test_external_entities_and_dtds_are_refused_without_being_read(name):
    fault = refused((BAD / name).read_bytes())
    assert "DOCTYPE" in fault.message
    assert "root:" not in fault.message


def test_plain_doctype_is_refused_too():
    body = (REQUESTS / "getLastError.xml").read_bytes()
    body = body.replace(b"?><soap:Envelope", b"?><!DOCTYPE soap:Envelope><soap:Envelope", 1)
    assert "DOCTYPE" in refused(body).message


def test_not_an_envelope_is_refused():
    fault = refused((BAD / "not-an-envelope.xml").read_bytes())
    assert "not a SOAP envelope" in fault.message
    assert "authenticate" in fault.message


def test_soap_12_envelope_is_refused_and_named():
    fault = refused((BAD / "soap12-envelope.xml").read_bytes())
    assert "SOAP 1.2" in fault.message
    assert "SOAP 1.1" in fault.message


def test_envelope_in_the_wrong_namespace_is_refused():
    fault = refused((BAD / "envelope-without-namespace.xml").read_bytes())
    assert "namespace" in fault.message
    assert "http://schemas.xmlsoap.org/soap/envelope/" in fault.message


def test_envelope_without_body_is_refused():
    assert "no Body" in refused((BAD / "no-body.xml").read_bytes()).message


def test_empty_soap_body_is_refused():
    assert "Body is empty" in refused((BAD / "empty-body.xml").read_bytes()).message


def test_two_method_elements_are_refused():
    fault = refused((BAD / "two-methods.xml").read_bytes())
    assert "2 elements" in fault.message


def test_unknown_method_is_refused():
    fault = refused((BAD / "unknown-method.xml").read_bytes())
    assert "Unknown method deleteCompanyFile" in fault.message


@pytest.mark.parametrize(
    ("name", "shown"),
    [("wrong-body-namespace.xml", "http://developer.intuit.com/v2"), ("unqualified-method.xml", "(none)")],
)
def test_method_in_the_wrong_namespace_is_refused(name, shown):
    fault = refused((BAD / name).read_bytes())
    assert "authenticate" in fault.message
    assert shown in fault.message
    assert "expected http://developer.intuit.com/" in fault.message


def test_unknown_element_in_a_foreign_namespace_is_an_unknown_method():
    body = (BAD / "unknown-method.xml").read_bytes().replace(b"http://developer.intuit.com/", b"urn:x")
    assert "Unknown method {urn:x}deleteCompanyFile" in refused(body).message


def test_parameter_holding_elements_is_refused():
    fault = refused((BAD / "param-with-elements.xml").read_bytes())
    assert "response" in fault.message and "escaped" in fault.message


def test_duplicate_parameter_is_refused():
    assert "strUserName" in refused((BAD / "duplicate-param.xml").read_bytes()).message


def test_must_understand_header_is_refused():
    assert "mustUnderstand" in refused((BAD / "must-understand-header.xml").read_bytes()).message


def test_soap_fault_rejects_codes_other_than_client_and_server():
    with pytest.raises(ValueError, match="Client"):
        SoapFault("Receiver", "x")  # type: ignore[arg-type]
    fault = SoapFault("Server", "boom")
    assert (fault.code, fault.message, str(fault)) == ("Server", "boom", "boom")


def test_doctype_after_comments_and_processing_instructions_is_refused():
    body = (BAD / "xxe-file.xml").read_bytes()
    body = body.replace(b"?>\n<!DOCTYPE", b"?>\n<!-- hi --><?pi x?>\n<!DOCTYPE", 1)
    assert b"<!-- hi -->" in body
    assert "DOCTYPE" in refused(body).message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_doctype_in_utf16_is_refused(encoding):
    text = (
        (BAD / "xxe-file.xml")
        .read_text(encoding="utf-8")
        .replace('encoding="utf-8"', f'encoding="{encoding}"')
    )
    fault = refused(text.encode(encoding))
    assert "DOCTYPE" in fault.message


def test_utf16_request_without_doctype_parses():
    text = (
        (REQUESTS / "getLastError.xml")
        .read_text(encoding="utf-8")
        .replace('encoding="utf-8"', 'encoding="utf-16"')
    )
    call = parse_soap_request(text.encode("utf-16"), soap_action=None)
    assert call == SoapCall("getLastError", {"ticket": TICKET})


def test_parameters_in_a_foreign_namespace_are_ignored():
    body = (REQUESTS / "authenticate.xml").read_bytes()
    body = body.replace(
        b"<strUserName>",
        b'<x:strUserName xmlns:x="urn:other">admin</x:strUserName><strUserName>',
        1,
    )
    assert parse_soap_request(body, soap_action=None).params["strUserName"] == "acme-store"
