"""SOAP 1.1 (document/literal) plumbing for the QuickBooks Web Connector.

The Web Connector is a SOAP 1.1 client. Every call is a POST whose body is a
`soap:Envelope` holding one method element in the `http://developer.intuit.com/`
namespace, with a quoted `SOAPAction: "http://developer.intuit.com/<method>"` header.
Replies are `<methodResponse><methodResult>...</methodResult></methodResponse>` in the
same namespace; errors are SOAP 1.1 faults sent with HTTP 500.

`METHODS` is the single table of the eleven methods (parameters, result kinds). The
parser here and the WSDL generator in `wsdl.py` are both driven by it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

from lxml import etree

from chalicelib.qbwc.params import ParamKind, param_problem
from chalicelib.xml_safety import XmlRefused, parse_untrusted

__all__ = [
    "CONTENT_TYPE",
    "FAULT_HTTP_STATUS",
    "MAX_BODY_BYTES",
    "METHODS",
    "SOAP11_ENV_NS",
    "SOAP12_ENV_NS",
    "TNS",
    "FaultCode",
    "MethodSpec",
    "Param",
    "ResultKind",
    "SoapCall",
    "SoapFault",
    "parse_soap_request",
    "render_fault",
    "render_result",
    "soap_action_for",
]

TNS: Final = "http://developer.intuit.com/"
"""Target namespace of every QBWC method, parameter and result element."""

SOAP11_ENV_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV_NS: Final = "http://www.w3.org/2003/05/soap-envelope"

CONTENT_TYPE: Final = "text/xml; charset=utf-8"
"""Content-Type of every SOAP 1.1 response (results and faults)."""

FAULT_HTTP_STATUS: Final = 500
"""HTTP status of a SOAP 1.1 fault response (SOAP 1.1 section 6.2: faults go with 500)."""

MAX_BODY_BYTES: Final = 4 * 1024 * 1024
"""Largest SOAP request body accepted: 4 MiB (4,194,304 bytes).

Why this number. The body that matters is receiveResponseXML's `response`: a whole qbXML
response, XML-escaped into the envelope (escaping adds roughly 10-15 %). The ceiling is
set by the deployment path, not by API Gateway alone:

- API Gateway (REST) accepts payloads up to 10 MB, but the request is handed to Lambda
  as a JSON event, and a synchronous Lambda invocation payload is capped at 6 MB
  (6,291,456 bytes). The body inside that event is JSON-escaped (every `"`, newline
  and `\\r` doubles) or, when treated as binary, base64-encoded (+33 %).
- 4 MiB base64-encoded is 5,592,408 bytes, which still leaves about 700 KB of the 6 MB
  event for headers, request context and JSON escaping. 10 MiB would be accepted by API
  Gateway and then fail inside Lambda with an opaque 413/502 instead of a clear fault.

It is also a realistic ceiling: qbXML queries are paged with iterators (`MaxReturned`),
so one response is a page, not a company file. The Intuit sample company's complete
VendorQueryRs is 76 KB; 4 MiB is room for pages of several thousand list records.
Bodies over the limit are refused with a Client fault before any XML parsing.
"""

FaultCode: TypeAlias = Literal["Client", "Server"]
ResultKind: TypeAlias = Literal["string", "int", "string_array"]
XsdType: TypeAlias = Literal["string", "int"]


DEFAULT_MAX_CHARS: Final = 2_000
"""Length limit of a parameter that sets none (see `chalicelib/qbwc/params.py` for why there are limits)."""


@dataclass(frozen=True)
class Param:
    """One parameter element of a method (always in `TNS`), with the shape its text must have."""

    name: str
    xsd_type: XsdType = "string"
    # How its text is checked on the way in; not part of its identity (the WSDL names name and type only).
    kind: ParamKind = field(default="text", compare=False)
    max_length: int = field(default=DEFAULT_MAX_CHARS, compare=False)


@dataclass(frozen=True)
class MethodSpec:
    """One QBWC method: its parameters, result kind and names derived from them."""

    name: str
    params: tuple[Param, ...]
    result: ResultKind
    tolerated: tuple[str, ...] = ()
    """Parameters accepted from clients but not declared in our WSDL."""

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def response_element(self) -> str:
        return f"{self.name}Response"

    @property
    def result_element(self) -> str:
        return f"{self.name}Result"

    @property
    def soap_action(self) -> str:
        return soap_action_for(self.name)


def soap_action_for(method: str) -> str:
    """The SOAPAction URI of a method (unquoted): `http://developer.intuit.com/<method>`."""
    return f"{TNS}{method}"


def _method(
    name: str, params: Sequence[str | Param], result: ResultKind, *, tolerated: Sequence[str] = ()
) -> MethodSpec:
    return MethodSpec(
        name=name,
        params=tuple(p if isinstance(p, Param) else Param(p) for p in params),
        result=result,
        tolerated=tuple(tolerated),
    )


MAX_HCP_RESPONSE_CHARS: Final = 200_000
"""strHCPResponse (HostQuery + CompanyQuery + PreferencesQuery answers) is a few KB in Intuit's samples; the
company details read from it are stored on the connection, whose item must stay under DynamoDB's 400 KB."""


def _ticket(name: str) -> Param:
    return Param(name, max_length=200)


def _short(name: str) -> Param:
    return Param(name, max_length=200)


_HRESULT: Final = Param("hresult", kind="hresult", max_length=40)
_MESSAGE: Final = Param("message", max_length=10_000)

METHODS: Final[Mapping[str, MethodSpec]] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            # serverVersion takes no parameter in Intuit's guide and test service; some
            # WSDLs in the wild give it strVersion, so that is accepted too.
            _method("serverVersion", (), "string", tolerated=("strVersion",)),
            _method("clientVersion", (Param("strVersion", kind="version", max_length=100),), "string"),
            _method("authenticate", (_short("strUserName"), _short("strPassword")), "string_array"),
            _method(
                "sendRequestXML",
                (
                    _ticket("ticket"),
                    Param("strHCPResponse", max_length=MAX_HCP_RESPONSE_CHARS),
                    Param("strCompanyFileName", max_length=1_000),
                    Param("qbXMLCountry", max_length=100),
                    Param("qbXMLMajorVers", "int", kind="int", max_length=20),
                    Param("qbXMLMinorVers", "int", kind="int", max_length=20),
                ),
                "string",
            ),
            _method(
                "receiveResponseXML",
                (_ticket("ticket"), Param("response", max_length=MAX_BODY_BYTES), _HRESULT, _MESSAGE),
                "int",
            ),
            _method("connectionError", (_ticket("ticket"), _HRESULT, _MESSAGE), "string"),
            _method("getLastError", (_ticket("ticket"),), "string"),
            _method("closeConnection", (_ticket("ticket"),), "string"),
            _method("getInteractiveURL", (_ticket("wcTicket"), _short("sessionID")), "string"),
            _method("interactiveDone", (_ticket("wcTicket"),), "string"),
            _method("interactiveRejected", (_ticket("wcTicket"), Param("reason")), "string"),
        )
    }
)
"""The eleven QBWC methods, in the order of the Programmer's Guide call sequence."""


class SoapFault(Exception):
    """A request the service refuses (`Client`) or cannot serve (`Server`).

    Render it with `render_fault` and send it with HTTP `FAULT_HTTP_STATUS`.
    """

    def __init__(self, code: FaultCode, message: str) -> None:
        if code not in ("Client", "Server"):
            raise ValueError(f"SOAP fault code must be 'Client' or 'Server', not {code!r}")
        super().__init__(message)
        self._code: FaultCode = code
        self._message = message

    @property
    def code(self) -> FaultCode:
        return self._code

    @property
    def message(self) -> str:
        return self._message

    def __repr__(self) -> str:
        return f"SoapFault({self._code!r}, {self._message!r})"


@dataclass(frozen=True)
class SoapCall:
    """A parsed QBWC request: the method name and its parameters as text.

    `params` holds every parameter of the method (declared and tolerated ones);
    a parameter absent from the request, or sent as `xsi:nil`, is "".
    """

    method: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not isinstance(self.params, MappingProxyType):
            object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


# --------------------------------------------------------------------------- parsing

_XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"


_DOCTYPE_REFUSED: Final = (
    "Request XML has a DOCTYPE; DTDs and entity declarations are not allowed in SOAP messages "
    "(SOAP 1.1 section 3)."
)


def _split(tag: str) -> tuple[str | None, str]:
    qname = etree.QName(tag)
    return qname.namespace, qname.localname


def _describe(namespace: str | None, local: str) -> str:
    return f"{{{namespace}}}{local}" if namespace else local


def _element_children(element: etree._Element) -> list[etree._Element]:
    # Comments and processing instructions have a non-str tag.
    return [child for child in element if isinstance(child.tag, str)]


def _normalise_soap_action(value: str) -> str:
    action = value.strip()
    if len(action) >= 2 and action[0] == action[-1] == '"':
        action = action[1:-1].strip()
    return action


def parse_soap_request(body: bytes, *, soap_action: str | None) -> SoapCall:
    """Parse a QBWC SOAP 1.1 request body into a `SoapCall`.

    `soap_action` is the raw SOAPAction header (quoted or not); `None` when absent.
    Absent and empty SOAPAction headers are tolerated; any other value must name the
    method found in the body.

    Raises `SoapFault("Client", ...)` for anything that is not a well-formed SOAP 1.1
    call of one of `METHODS`. Documents with a DOCTYPE (hence any DTD or entity
    declaration) are refused; entities are never resolved or expanded and nothing is
    fetched from the network or the file system.
    """
    if len(body) > MAX_BODY_BYTES:
        raise SoapFault(
            "Client",
            f"Request body is {len(body):,} bytes; the limit is {MAX_BODY_BYTES:,} bytes. "
            "Ask QuickBooks for smaller pages (a lower MaxReturned).",
        )
    leading = body.lstrip(b" \t\r\n")
    if not leading.rstrip(b" \t\r\n"):
        raise SoapFault("Client", "Request body is empty; expected a SOAP 1.1 envelope.")
    if leading[:1] == b"<":
        body = leading  # stray whitespace before the XML declaration would be malformed
    try:
        root = parse_untrusted(body)
    except XmlRefused as exc:
        if exc.reason == "doctype":
            raise SoapFault("Client", _DOCTYPE_REFUSED) from None
        raise SoapFault(
            "Client", f"Request body is not well-formed XML: {exc.detail or exc.reason}"
        ) from None

    namespace, local = _split(root.tag)
    if local != "Envelope":
        raise SoapFault(
            "Client", f"Request is not a SOAP envelope: the root element is {_describe(namespace, local)}."
        )
    if namespace == SOAP12_ENV_NS:
        raise SoapFault(
            "Client",
            f"SOAP 1.2 envelope ({SOAP12_ENV_NS}) is not supported; "
            f"this service speaks SOAP 1.1 ({SOAP11_ENV_NS}), as the QuickBooks Web Connector does.",
        )
    if namespace != SOAP11_ENV_NS:
        raise SoapFault(
            "Client",
            f"SOAP Envelope is in namespace {namespace or '(none)'!s}; expected SOAP 1.1 ({SOAP11_ENV_NS}).",
        )

    method_element = _method_element(root)
    namespace, local = _split(method_element.tag)
    if namespace != TNS:
        if local in METHODS:
            raise SoapFault(
                "Client",
                f"Method {local} is in namespace {namespace or '(none)'!s}; expected {TNS}.",
            )
        raise SoapFault("Client", f"Unknown method {_describe(namespace, local)}.")
    spec = METHODS.get(local)
    if spec is None:
        raise SoapFault("Client", f"Unknown method {local}; known methods: {', '.join(METHODS)}.")

    if soap_action is not None:
        action = _normalise_soap_action(soap_action)
        if action and action != spec.soap_action:
            raise SoapFault(
                "Client",
                f"SOAPAction {soap_action.strip()} does not match the method in the body, {spec.name} "
                f'(expected "{spec.soap_action}").',
            )

    return SoapCall(method=spec.name, params=_params(spec, method_element))


def _method_element(envelope: etree._Element) -> etree._Element:
    bodies: list[etree._Element] = []
    for child in _element_children(envelope):
        namespace, local = _split(child.tag)
        if namespace == SOAP11_ENV_NS and local == "Header":
            _check_headers(child)
        elif namespace == SOAP11_ENV_NS and local == "Body":
            bodies.append(child)
    if not bodies:
        raise SoapFault("Client", "SOAP Envelope has no Body.")
    if len(bodies) > 1:
        raise SoapFault("Client", f"SOAP Envelope has {len(bodies)} Body elements; expected one.")
    calls = _element_children(bodies[0])
    if not calls:
        raise SoapFault("Client", "SOAP Body is empty; expected one QBWC method element.")
    if len(calls) > 1:
        names = ", ".join(_describe(*_split(c.tag)) for c in calls)
        raise SoapFault(
            "Client", f"SOAP Body holds {len(calls)} elements ({names}); expected one method call."
        )
    return calls[0]


def _check_headers(header: etree._Element) -> None:
    for entry in _element_children(header):
        if entry.get(f"{{{SOAP11_ENV_NS}}}mustUnderstand") in ("1", "true"):
            raise SoapFault(
                "Client",
                f"SOAP header {_describe(*_split(entry.tag))} is marked mustUnderstand "
                "and this service does not process SOAP headers.",
            )


def _params(spec: MethodSpec, method_element: etree._Element) -> dict[str, str]:
    declared = {p.name: p for p in spec.params}
    wanted = (*spec.param_names, *spec.tolerated)
    values: dict[str, str] = dict.fromkeys(wanted, "")
    seen: set[str] = set()
    for child in _element_children(method_element):
        namespace, local = _split(child.tag)
        if namespace not in (TNS, None) or local not in values:
            continue  # unknown extras are ignored, as .NET's serializer does
        if local in seen:
            raise SoapFault("Client", f"Parameter {local} of {spec.name} appears more than once.")
        seen.add(local)
        if _element_children(child):
            raise SoapFault(
                "Client",
                f"Parameter {local} of {spec.name} holds XML elements; "
                "its content must be text (qbXML is sent escaped).",
            )
        if child.get(f"{{{_XSI_NS}}}nil") in ("1", "true"):
            continue
        text = str(child.xpath("string()"))
        param = declared.get(local) or Param(local)
        problem = param_problem(param.kind, text, param.max_length)
        if problem is not None:
            raise SoapFault("Client", f"Parameter {local} of {spec.name} {problem}.")
        values[local] = text
    return values


# --------------------------------------------------------------------------- rendering

_SOAP: Final = f"{{{SOAP11_ENV_NS}}}"
_T: Final = f"{{{TNS}}}"
_XML_DECLARATION: Final = b'<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 cannot carry, even escaped (C0 controls but tab/LF/CR, surrogates,
# U+FFFE/U+FFFF).
_NOT_XML_CHAR: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{_SOAP}Envelope", nsmap={"soap": SOAP11_ENV_NS})
    body = etree.SubElement(envelope, f"{_SOAP}Body")
    return envelope, body


def _serialise(envelope: etree._Element) -> bytes:
    return _XML_DECLARATION + etree.tostring(envelope, encoding="utf-8")


def _xml_text(value: str, where: str) -> str:
    bad = _NOT_XML_CHAR.search(value)
    if bad is not None:
        raise ValueError(
            f"{where} contains U+{ord(bad.group()):04X} at index {bad.start()}, "
            "a character XML 1.0 cannot carry; remove it before sending."
        )
    return value


def render_result(method: str, result: str | int | Sequence[str]) -> bytes:
    """The SOAP 1.1 response envelope for a method's result (UTF-8 with XML declaration).

    The result kind must match `METHODS[method].result`: `str` for string results (qbXML
    from sendRequestXML is a string: it is escaped into the element, as QBWC expects),
    `int` for receiveResponseXML, and a sequence of 2-4 strings for authenticate, rendered
    as `<string>` children. Raises `KeyError` for an unknown method, `TypeError` for a
    result of the wrong kind, `ValueError` for text XML cannot carry.
    """
    spec = METHODS.get(method)
    if spec is None:
        raise KeyError(f"unknown QBWC method {method!r}")
    envelope, body = _envelope()
    # Default namespace on the response element, as .NET services write it.
    nsmap = {None: TNS}
    response = etree.SubElement(body, f"{_T}{spec.response_element}", nsmap=nsmap)  # type: ignore[arg-type]
    element = etree.SubElement(response, f"{_T}{spec.result_element}")
    where = f"{spec.result_element}"
    if spec.result == "string":
        if not isinstance(result, str):
            raise TypeError(f"{method} returns a string, not {type(result).__name__}")
        element.text = _xml_text(result, where)
    elif spec.result == "int":
        if isinstance(result, bool) or not isinstance(result, int):
            raise TypeError(f"{method} returns an int, not {type(result).__name__}")
        element.text = str(result)
    else:
        if isinstance(result, str | bytes) or not isinstance(result, Sequence):
            raise TypeError(f"{method} returns a sequence of strings, not {type(result).__name__}")
        items = list(result)
        if not 2 <= len(items) <= 4:
            raise ValueError(
                f"{method} returns 2 to 4 strings (ticket, status, [postpone seconds], "
                f"[minimum run-every seconds]); got {len(items)}"
            )
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise TypeError(f"{method} result item {index} is {type(item).__name__}, not str")
            etree.SubElement(element, f"{_T}string").text = _xml_text(item, f"{where}[{index}]")
    return _serialise(envelope)


def render_fault(fault: SoapFault) -> bytes:
    """A SOAP 1.1 fault envelope (`soap:Client` / `soap:Server` + faultstring).

    Send it with HTTP status `FAULT_HTTP_STATUS` and `CONTENT_TYPE`. Characters XML
    cannot carry are replaced by U+FFFD so a fault can always be rendered.
    """
    envelope, body = _envelope()
    node = etree.SubElement(body, f"{_SOAP}Fault")
    # faultcode/faultstring are unqualified (SOAP 1.1 section 4.4).
    etree.SubElement(node, "faultcode").text = f"soap:{fault.code}"
    etree.SubElement(node, "faultstring").text = _NOT_XML_CHAR.sub("\ufffd", fault.message)
    return _serialise(envelope)
