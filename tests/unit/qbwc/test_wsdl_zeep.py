"""The generated WSDL: loads in zeep offline, and zeep's requests/replies round-trip through soap.py."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.transports import Transport

from chalicelib.qbwc.soap import (
    CONTENT_TYPE,
    FAULT_HTTP_STATUS,
    METHODS,
    TNS,
    SoapCall,
    SoapFault,
    parse_soap_request,
    render_fault,
    render_result,
)
from chalicelib.qbwc.wsdl import PORT_NAME, SERVICE_NAME, render_wsdl
from tests.paths import QBWC_REFERENCE

ENDPOINT = "https://qbwc.example.com/qbwc/soap?tenant=acme&x=<1>"
WSDL_NS = {"wsdl": "http://schemas.xmlsoap.org/wsdl/", "s": "http://www.w3.org/2001/XMLSchema"}


class OfflineTransport(Transport):
    """Loads local files only; any HTTP fetch fails the test."""

    def _load_remote_data(self, url):
        raise AssertionError(f"zeep tried to fetch {url}")


@dataclass
class FakeResponse:
    """What zeep's binding reads from an HTTP response."""

    content: bytes
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": CONTENT_TYPE})
    encoding: str = "utf-8"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("wsdl") / "QBWebConnectorSvc.wsdl"
    path.write_text(render_wsdl(ENDPOINT), encoding="utf-8")
    return zeep.Client(str(path), transport=OfflineTransport())  # type: ignore[no-untyped-call]


# Parameters with a shape (chalicelib/qbwc/params.py) get a value of that shape; the rest any text.
SHAPED = {"version": "2.3.0.215", "hresult": "0x80040408"}


def sample_args(method: str) -> dict[str, object]:
    return {
        p.name: (13 if p.xsd_type == "int" else SHAPED.get(p.kind, f"{p.name} <&> \u00e9 value"))
        for p in METHODS[method].params
    }


def test_wsdl_declares_all_methods_with_soap11_document_literal(client):
    binding = client.service._binding
    assert set(binding._operations) == set(METHODS)
    for name, operation in binding._operations.items():
        assert operation.soapaction == f"http://developer.intuit.com/{name}"
        assert operation.style == "document"
    assert type(binding).__name__ == "Soap11Binding"


def test_wsdl_address_is_the_endpoint_escaped(client):
    assert client.service._binding_options["address"] == ENDPOINT
    text = render_wsdl(ENDPOINT)
    assert 'location="https://qbwc.example.com/qbwc/soap?tenant=acme&amp;x=&lt;1&gt;"' in text
    root = etree.fromstring(text.encode("utf-8"))
    assert root.get("targetNamespace") == TNS
    assert root.findall("wsdl:service", WSDL_NS)[0].get("name") == SERVICE_NAME
    assert root.findall("wsdl:binding", WSDL_NS)[0].get("name") == PORT_NAME


@pytest.mark.parametrize("bad", ["", "qbwc/soap", "ftp://example.com/x", "https://"])
def test_wsdl_refuses_a_non_absolute_endpoint(bad):
    with pytest.raises(ValueError, match="absolute"):
        render_wsdl(bad)


@pytest.mark.parametrize("method", list(METHODS))
def test_zeep_built_request_parses_to_the_same_call(client, method):
    args = sample_args(method)
    envelope, headers = client.service._binding._create(method, (), args, client=client)
    also = client.create_message(client.service, method, **args)
    assert etree.tostring(also) == etree.tostring(envelope)
    body = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
    call = parse_soap_request(body, soap_action=headers["SOAPAction"])
    expected = {name: str(value) for name, value in args.items()}
    expected.update(dict.fromkeys(METHODS[method].tolerated, ""))
    assert call == SoapCall(method, expected)
    assert headers["SOAPAction"] == f'"http://developer.intuit.com/{method}"'


@pytest.mark.parametrize("method", list(METHODS))
def test_rendered_result_is_read_by_zeep_as_the_right_python_value(client, method):
    samples: dict[str, str | int | list[str]] = {
        "string": f"{method} says <ok> & done",
        "int": 42,
        "string_array": ["tkt", "none", "30", "600"],
    }
    value = samples[METHODS[method].result]
    operation = client.service._binding.get(method)
    got = client.service._binding.process_reply(client, operation, FakeResponse(render_result(method, value)))
    if METHODS[method].result == "string_array":
        assert got == ["tkt", "none", "30", "600"]
    elif METHODS[method].result == "int":
        assert got == 42 and isinstance(got, int)
    else:
        assert got == value


@pytest.mark.parametrize(
    ("method", "value", "expected"),
    [("authenticate", ["", "nvu"], [None, "nvu"]), ("sendRequestXML", "", None), ("clientVersion", "", None)],
)
def test_empty_strings_reach_zeep_as_empty_elements(client, method, value, expected):
    # zeep reads an empty, non-nil element as None (.NET's serializer, QBWC's, reads "").
    operation = client.service._binding.get(method)
    got = client.service._binding.process_reply(client, operation, FakeResponse(render_result(method, value)))
    assert got == expected


def test_rendered_fault_is_a_zeep_fault(client):
    operation = client.service._binding.get("authenticate")
    response = FakeResponse(
        render_fault(SoapFault("Client", "Unknown method x")), status_code=FAULT_HTTP_STATUS
    )
    with pytest.raises(Fault) as info:
        client.service._binding.process_reply(client, operation, response)
    assert info.value.message == "Unknown method x"
    assert info.value.code is not None and info.value.code.endswith("Client")


def _sequence(root, element_name: str) -> tuple[tuple[str | None, ...], ...]:
    """(name, type as {ns}local, minOccurs, maxOccurs, nillable) of each element in a schema element."""
    found = root.find(f".//s:schema/s:element[@name='{element_name}']", WSDL_NS)
    if found is None:
        found = root.find(f".//s:schema/s:complexType[@name='{element_name}']", WSDL_NS)
    assert found is not None, element_name
    rows = []
    for element in found.iterfind(".//s:sequence/s:element", WSDL_NS):
        prefix, _, local = str(element.get("type")).rpartition(":")
        rows.append(
            (
                element.get("name"),
                f"{{{element.nsmap[prefix or None]}}}{local}",
                element.get("minOccurs", "1"),
                element.get("maxOccurs", "1"),
                element.get("nillable", "false"),
            )
        )
    return tuple(rows)


@pytest.mark.parametrize(
    "reference",
    [
        "QBWebConnectorSvc.intuit-original.wsdl",
        "QBWebConnectorSvc.consolibyte-with-serverVersion-clientVersion.wsdl",
        "TroubleshootWebServiceFS.intuit-test-server.wsdl",
    ],
)
def test_method_table_agrees_with_reference_wsdls(reference):
    ref = etree.parse(str(QBWC_REFERENCE / "wsdl" / reference)).getroot()
    ours = etree.fromstring(render_wsdl(ENDPOINT).encode("utf-8"))
    operations = {str(op.get("name")) for op in ref.iterfind("wsdl:portType/wsdl:operation", WSDL_NS)}
    assert operations <= set(METHODS)
    assert _sequence(ref, "ArrayOfString") == _sequence(ours, "ArrayOfString")
    for name in operations:
        ref_params = _sequence(ref, name)
        if name == "serverVersion":
            assert [row[0] for row in ref_params] in ([], ["strVersion"])  # the tolerated variant
        else:
            assert [row[0] for row in ref_params] == list(METHODS[name].param_names)
            assert ref_params == _sequence(ours, name)  # same types and occurrences
        assert _sequence(ref, f"{name}Response") == _sequence(ours, f"{name}Response")
        assert [row[0] for row in _sequence(ours, f"{name}Response")] == [f"{name}Result"]
        soap_action = ref.find(
            f"wsdl:binding/wsdl:operation[@name='{name}']/{{http://schemas.xmlsoap.org/wsdl/soap/}}operation",
            WSDL_NS,
        )
        if soap_action is not None:
            assert soap_action.get("soapAction") == METHODS[name].soap_action
