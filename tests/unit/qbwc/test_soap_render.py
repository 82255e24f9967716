"""render_result / render_fault, compared with the reference SOAP responses."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from chalicelib.qbwc.soap import (
    CONTENT_TYPE,
    FAULT_HTTP_STATUS,
    METHODS,
    SOAP11_ENV_NS,
    TNS,
    Param,
    SoapFault,
    parse_soap_request,
    render_fault,
    render_result,
)
from tests.paths import QBWC_REFERENCE

EXPECTED_RESPONSES = QBWC_REFERENCE / "soap" / "consolibyte-devkit-expected-responses"
ENV = f"{{{SOAP11_ENV_NS}}}"
T = f"{{{TNS}}}"


def semantic(xml: bytes) -> tuple[str, str | int | list[str]]:
    """(method, result value) of a SOAP 1.1 QBWC response, whatever its prefixes."""
    root = etree.fromstring(xml)
    assert root.tag == f"{ENV}Envelope"
    (body,) = [child for child in root if child.tag == f"{ENV}Body"]
    (response,) = list(body)
    assert response.tag.startswith(T) and response.tag.endswith("Response")
    method = response.tag[len(T) : -len("Response")]
    (result,) = list(response)
    assert result.tag == f"{T}{method}Result"
    kind = METHODS[method].result
    if kind == "string_array":
        assert all(item.tag == f"{T}string" for item in result)
        return method, [item.text or "" for item in result]
    if kind == "int":
        return method, int(result.text or "")
    return method, result.text or ""


@pytest.mark.parametrize("path", sorted(EXPECTED_RESPONSES.glob("*.xml")), ids=lambda p: p.name)
def test_rendered_result_matches_reference_response(path: Path):
    method, value = semantic(path.read_bytes())
    assert path.name.startswith(method + ".")
    rendered = render_result(method, value)
    assert semantic(rendered) == (method, value)


@pytest.mark.parametrize(
    ("name", "method", "value"),
    [
        ("authenticate.response.invalid-user-nvu.xml", "authenticate", ["", "nvu"]),
        (
            "authenticate.response.valid-user-no-work-none.xml",
            "authenticate",
            ["01234567-89ab-cdef-0123-456789abcdef", "none"],
        ),
        (
            "authenticate.response.valid-user-work-current-company.xml",
            "authenticate",
            ["01234567-89ab-cdef-0123-456789abcdef", ""],
        ),
        ("clientVersion.response.O-required-version.xml", "clientVersion", "O:2.2.0.71"),
        ("clientVersion.response.ok-empty.xml", "clientVersion", ""),
        ("closeConnection.response.xml", "closeConnection", "Complete!"),
        ("receiveResponseXML.response.33-percent.xml", "receiveResponseXML", 33),
        ("sendRequestXML.response.no-more-work-empty.xml", "sendRequestXML", ""),
        ("serverVersion.response.xml", "serverVersion", "PHP QuickBooks SOAP Server v3.0 at http://?"),
    ],
)
def test_reference_values_are_what_we_render(name, method, value):
    assert semantic((EXPECTED_RESPONSES / name).read_bytes()) == (method, value)
    assert semantic(render_result(method, value)) == (method, value)


def test_qbxml_request_is_escaped_text_inside_the_result():
    reference = EXPECTED_RESPONSES / "sendRequestXML.response.CustomerAddRq.xml"
    _, qbxml = semantic(reference.read_bytes())
    assert isinstance(qbxml, str) and qbxml.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<?qbxml version="13.0" ?>'
    )
    rendered = render_result("sendRequestXML", qbxml)
    assert b'&lt;?qbxml version="13.0" ?&gt;' in rendered
    assert b'&lt;CustomerAddRq requestID="1"&gt;' in rendered
    assert b"<CustomerAddRq" not in rendered and b"<?qbxml" not in rendered
    assert semantic(rendered) == ("sendRequestXML", qbxml)


def test_response_shape_declaration_prefix_and_default_namespace():
    rendered = render_result("getLastError", "Ledgerbridge: 3 orders waiting")
    assert rendered.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope')
    assert b'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"' in rendered
    assert b'<soap:Body><getLastErrorResponse xmlns="http://developer.intuit.com/">' in rendered
    assert b"<getLastErrorResult>Ledgerbridge: 3 orders waiting</getLastErrorResult>" in rendered


def test_text_is_escaped_and_round_trips_exactly():
    tricky = "a & b < c > d \"quoted\" 'single' \r\n tab\t \u00e9\u4e2d ]]> &amp;"
    rendered = render_result("connectionError", tricky)
    assert b"&amp; b &lt; c &gt; d" in rendered
    assert semantic(rendered) == ("connectionError", tricky)


def test_authenticate_renders_string_children_in_order():
    value = ["ticket-1", r"C:\Company Files\Acme.QBW", "60", "300"]
    rendered = render_result("authenticate", value)
    assert rendered.count(b"<string>") == 4
    assert semantic(rendered) == ("authenticate", value)
    assert semantic(render_result("authenticate", ("t", "busy"))) == ("authenticate", ["t", "busy"])


@pytest.mark.parametrize("value", [-101, 0, 33, 100])
def test_receive_response_xml_renders_ints(value):
    assert semantic(render_result("receiveResponseXML", value)) == ("receiveResponseXML", value)


@pytest.mark.parametrize(
    ("method", "value", "error"),
    [
        ("noSuchMethod", "", KeyError),
        ("serverVersion", 1, TypeError),
        ("receiveResponseXML", "100", TypeError),
        ("receiveResponseXML", True, TypeError),
        ("authenticate", "ticket", TypeError),
        ("authenticate", ["ticket"], ValueError),
        ("authenticate", ["t", "none", "1", "2", "3"], ValueError),
        ("authenticate", ["t", 5], TypeError),
        ("sendRequestXML", "<QBXML>\x00</QBXML>", ValueError),
        ("authenticate", ["t", "\x1b"], ValueError),
    ],
)
def test_wrong_results_are_refused(method, value, error):
    with pytest.raises(error):
        render_result(method, value)


def test_every_method_renders_and_parses_back():
    samples: dict[str, str | int | list[str]] = {"string": "ok", "int": 100, "string_array": ["t", "none"]}
    for name, spec in METHODS.items():
        assert semantic(render_result(name, samples[spec.result])) == (name, samples[spec.result])


@pytest.mark.parametrize("code", ["Client", "Server"])
def test_fault_shape(code):
    rendered = render_fault(SoapFault(code, 'Unknown method <x> & "y"'))
    assert rendered.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')
    root = etree.fromstring(rendered)
    fault = root.find(f"{ENV}Body/{ENV}Fault")
    assert fault is not None
    faultcode = fault.findtext("faultcode")
    assert faultcode == f"soap:{code}"
    prefix = faultcode.split(":")[0]
    assert fault.nsmap[prefix] == SOAP11_ENV_NS  # the QName resolves to the SOAP 1.1 namespace
    assert fault.findtext("faultstring") == 'Unknown method <x> & "y"'


def test_fault_with_characters_xml_cannot_carry_still_renders():
    rendered = render_fault(SoapFault("Client", "bad \x00 byte"))
    assert etree.fromstring(rendered).findtext(f"{ENV}Body/{ENV}Fault/faultstring") == "bad \ufffd byte"


def test_http_constants():
    assert FAULT_HTTP_STATUS == 500
    assert CONTENT_TYPE == "text/xml; charset=utf-8"


def test_method_table_is_the_programmers_guide_list():
    assert {name: spec.param_names for name, spec in METHODS.items()} == {
        "serverVersion": (),
        "clientVersion": ("strVersion",),
        "authenticate": ("strUserName", "strPassword"),
        "sendRequestXML": (
            "ticket",
            "strHCPResponse",
            "strCompanyFileName",
            "qbXMLCountry",
            "qbXMLMajorVers",
            "qbXMLMinorVers",
        ),
        "receiveResponseXML": ("ticket", "response", "hresult", "message"),
        "connectionError": ("ticket", "hresult", "message"),
        "getLastError": ("ticket",),
        "closeConnection": ("ticket",),
        "getInteractiveURL": ("wcTicket", "sessionID"),
        "interactiveDone": ("wcTicket",),
        "interactiveRejected": ("wcTicket", "reason"),
    }
    assert {name for name, spec in METHODS.items() if spec.result != "string"} == {
        "authenticate",
        "receiveResponseXML",
    }
    assert METHODS["authenticate"].result == "string_array"
    assert METHODS["receiveResponseXML"].result == "int"
    assert METHODS["sendRequestXML"].params[4] == Param("qbXMLMajorVers", "int")
    assert METHODS["serverVersion"].tolerated == ("strVersion",)
    assert METHODS["closeConnection"].soap_action == "http://developer.intuit.com/closeConnection"


def test_rendered_response_is_not_mistaken_for_a_request():
    # A response echoed back at the endpoint is not a known method.
    with pytest.raises(SoapFault, match="Unknown method closeConnectionResponse"):
        parse_soap_request(render_result("closeConnection", "done"), soap_action=None)
