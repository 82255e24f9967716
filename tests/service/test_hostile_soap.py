"""Hostile values in every SOAP parameter of the eleven Web Connector methods, sent through the app in-process.

Whatever the text (any character XML can carry, digits of other scripts, 5,000 nines, long strings), the
answer is a result or a `soap:Client` fault naming the parameter, never a `soap:Server` fault; and a refused
call changes nothing stored on the connection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from chalicelib.dal import connections
from chalicelib.qbwc.soap import METHODS, SOAP11_ENV_NS, TNS
from chalicelib.sync import pairing, tenancy

# Characters an XML 1.0 document can carry (anything else cannot even be sent in an envelope).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).map(
    lambda s: _NOT_XML.sub("", s)
)
EDGE_CASES = [
    "2.³.0.0",
    "-²",
    "9" * 5000,
    "-" + "9" * 5000,
    "0x" + "f" * 5000,
    "\u0663.\u0663.\u0660.\u0660",  # Arabic-Indic digits: isdigit() says yes
    "2.3.0.215",
    "0x80040408",
    "-2147220472",
    "-99999999999",
    "1e309",
    "",
    "   ",
    "\t\n",
    "<notxml/>",
    "&lt;QBXML&gt;",
]
HOSTILE = st.one_of(
    st.sampled_from(EDGE_CASES),
    XML_TEXT,
    st.integers().map(str),
    st.tuples(XML_TEXT.filter(bool), st.integers(1_000, 20_000)).map(lambda t: (t[0] * t[1])[: t[1]]),
)
PARAMS = [(name, param) for name, spec in METHODS.items() for param in (*spec.param_names, *spec.tolerated)]
TICKETS = {"ticket", "wcTicket"}


@dataclass
class Pairing:
    connection_id: str
    username: str
    password: str


@pytest.fixture
def pairing_(aws: str) -> Pairing:
    tenant, _ = tenancy.create_tenant_with_key("Hostile SOAP")
    conn = pairing.create_connection(tenant.tenant_id, "Hostile", 15)
    _, password = pairing.new_password(tenant.tenant_id, conn.connection_id)
    return Pairing(conn.connection_id, conn.username, password)


def envelope(method: str, params: dict[str, str]) -> bytes:
    root = etree.Element(f"{{{SOAP11_ENV_NS}}}Envelope", nsmap={"soap": SOAP11_ENV_NS})
    body = etree.SubElement(root, f"{{{SOAP11_ENV_NS}}}Body")
    call = etree.SubElement(body, f"{{{TNS}}}{method}", nsmap={None: TNS})  # type: ignore[dict-item]
    for name, value in params.items():
        etree.SubElement(call, f"{{{TNS}}}{name}").text = value
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def post(client, method: str, params: dict[str, str]):
    return client.http.post(
        "/qbwc",
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{TNS}{method}"'},
        body=envelope(method, params),
    )


def ticket_for(client, who: Pairing) -> str:
    answer = post(client, "authenticate", {"strUserName": who.username, "strPassword": who.password})
    assert answer.status_code == 200, answer.body
    strings = etree.fromstring(answer.body).findall(f".//{{{TNS}}}string")
    return strings[0].text or ""


def stored(connection_id: str) -> dict[str, object]:
    conn = connections.get(connection_id)
    assert conn is not None
    return {"last_error": conn.last_error, "company": conn.company, "file": conn.company_file_path}


def usual(method: str, who: Pairing, ticket: str) -> dict[str, str]:
    """Plausible values for every parameter of `method` (the one under test is replaced)."""
    values = {
        "strUserName": who.username,
        "strPassword": who.password,
        "strVersion": "2.3.0.215",
        "qbXMLMajorVers": "13",
        "qbXMLMinorVers": "0",
        "qbXMLCountry": "US",
        "hresult": "",
        "message": "",
        "response": "",
        "strHCPResponse": "",
        "strCompanyFileName": "C:\\Company.qbw",
        "sessionID": "s1",
        "reason": "no",
    }
    spec = METHODS[method]
    return {p: (ticket if p in TICKETS else values.get(p, "")) for p in (*spec.param_names, *spec.tolerated)}


@pytest.mark.parametrize(("method", "param"), PARAMS, ids=[f"{m}.{p}" for m, p in PARAMS])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HOSTILE)
@example(value="2.\u00b3.0.0")
@example(value="9" * 5000)
def test_no_parameter_value_ends_in_a_server_fault(chalice_client, pairing_, method, param, value):
    ticket = ticket_for(chalice_client, pairing_) if method != "authenticate" else ""
    before = stored(pairing_.connection_id)
    params = {**usual(method, pairing_, ticket), param: value}
    answer = post(chalice_client, method, params)
    text = answer.body.decode("utf-8")
    assert "soap:Server" not in text, text
    if answer.status_code != 200:
        assert answer.status_code == 500 and "<faultcode>soap:Client</faultcode>" in text, text
        assert param in text, text  # the fault names the parameter
        assert stored(pairing_.connection_id) == before
    if ticket:
        post(chalice_client, "closeConnection", {"ticket": ticket})


@pytest.mark.parametrize(
    ("method", "param", "value"),
    [
        ("clientVersion", "strVersion", "2.³.0.0"),
        ("clientVersion", "strVersion", "9" * 5000),
        ("connectionError", "hresult", "-²"),
        ("connectionError", "hresult", "9" * 5000),
        ("receiveResponseXML", "hresult", "-" + "9" * 5000),
        ("connectionError", "message", "x" * 100_000),
        ("sendRequestXML", "strCompanyFileName", "C" * 50_000),
        ("sendRequestXML", "qbXMLMajorVers", "thirteen"),
    ],
)
def test_the_cases_found_are_client_faults_naming_the_parameter(
    chalice_client, pairing_, method, param, value
):
    ticket = ticket_for(chalice_client, pairing_)
    before = stored(pairing_.connection_id)
    answer = post(chalice_client, method, {**usual(method, pairing_, ticket), param: value})
    text = answer.body.decode("utf-8")
    assert answer.status_code == 500 and "<faultcode>soap:Client</faultcode>" in text, text
    assert f"Parameter {param} of {method}" in text
    assert stored(pairing_.connection_id) == before
    post(chalice_client, "closeConnection", {"ticket": ticket})
