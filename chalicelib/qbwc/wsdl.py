"""WSDL 1.1 of the QBWC service, generated from `soap.METHODS`.

Intuit's published QBWebConnectorSvc.wsdl only declares six operations; this one
declares all eleven methods of the Programmer's Guide (serverVersion, clientVersion and
the three interactive-mode methods included) with a SOAP 1.1 document/literal binding,
the same element names, and `soapAction="http://developer.intuit.com/<method>"`.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from lxml import etree

from chalicelib.qbwc.soap import METHODS, TNS, MethodSpec

__all__ = ["PORT_NAME", "SERVICE_NAME", "render_wsdl"]

SERVICE_NAME: Final = "QBWebConnectorSvc"
PORT_NAME: Final = "QBWebConnectorSvcSoap"

_WSDL_NS: Final = "http://schemas.xmlsoap.org/wsdl/"
_WSDL_SOAP_NS: Final = "http://schemas.xmlsoap.org/wsdl/soap/"
_XSD_NS: Final = "http://www.w3.org/2001/XMLSchema"
_HTTP_TRANSPORT: Final = "http://schemas.xmlsoap.org/soap/http"

_W: Final = f"{{{_WSDL_NS}}}"
_S: Final = f"{{{_XSD_NS}}}"
_SOAP: Final = f"{{{_WSDL_SOAP_NS}}}"


def render_wsdl(endpoint_url: str) -> str:
    """A complete WSDL 1.1 document whose `soap:address` is `endpoint_url`.

    `endpoint_url` must be an absolute http(s) URL; it is escaped as an attribute value.
    """
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"WSDL endpoint must be an absolute http(s) URL, not {endpoint_url!r}")

    definitions = etree.Element(
        f"{_W}definitions",
        nsmap={"wsdl": _WSDL_NS, "soap": _WSDL_SOAP_NS, "s": _XSD_NS, "tns": TNS},
        targetNamespace=TNS,
        name=SERVICE_NAME,
    )
    documentation = etree.SubElement(definitions, f"{_W}documentation")
    documentation.text = "QuickBooks Web Connector service: the QBWC Programmer's Guide methods, SOAP 1.1."
    _types(definitions)
    for spec in METHODS.values():
        _messages(definitions, spec)
    _port_type(definitions)
    _binding(definitions)
    service = etree.SubElement(definitions, f"{_W}service", name=SERVICE_NAME)
    port = etree.SubElement(service, f"{_W}port", name=PORT_NAME, binding=f"tns:{PORT_NAME}")
    etree.SubElement(port, f"{_SOAP}address", location=endpoint_url)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + etree.tostring(
        definitions, encoding="unicode", pretty_print=True
    )


def _seq_element(
    sequence: etree._Element,
    name: str,
    type_: str,
    *,
    min_occurs: str,
    max_occurs: str = "1",
    nillable: bool = False,
) -> None:
    attributes = {"minOccurs": min_occurs, "maxOccurs": max_occurs, "name": name, "type": type_}
    if nillable:
        attributes["nillable"] = "true"
    etree.SubElement(sequence, f"{_S}element", attributes)


def _types(definitions: etree._Element) -> None:
    types = etree.SubElement(definitions, f"{_W}types")
    schema = etree.SubElement(types, f"{_S}schema", elementFormDefault="qualified", targetNamespace=TNS)
    array = etree.SubElement(schema, f"{_S}complexType", name="ArrayOfString")
    _seq_element(
        etree.SubElement(array, f"{_S}sequence"),
        "string",
        "s:string",
        min_occurs="0",
        max_occurs="unbounded",
        nillable=True,
    )
    for spec in METHODS.values():
        request = etree.SubElement(schema, f"{_S}element", name=spec.name)
        request_type = etree.SubElement(request, f"{_S}complexType")
        if spec.params:
            sequence = etree.SubElement(request_type, f"{_S}sequence")
            for param in spec.params:
                # As in Intuit's WSDL: ints are required, strings optional.
                required = param.xsd_type == "int"
                _seq_element(sequence, param.name, f"s:{param.xsd_type}", min_occurs="1" if required else "0")
        response = etree.SubElement(schema, f"{_S}element", name=spec.response_element)
        sequence = etree.SubElement(etree.SubElement(response, f"{_S}complexType"), f"{_S}sequence")
        result_type = {"string": "s:string", "int": "s:int", "string_array": "tns:ArrayOfString"}[spec.result]
        _seq_element(
            sequence, spec.result_element, result_type, min_occurs="1" if spec.result == "int" else "0"
        )


def _messages(definitions: etree._Element, spec: MethodSpec) -> None:
    for suffix, element in (("SoapIn", spec.name), ("SoapOut", spec.response_element)):
        message = etree.SubElement(definitions, f"{_W}message", name=f"{spec.name}{suffix}")
        etree.SubElement(message, f"{_W}part", name="parameters", element=f"tns:{element}")


def _port_type(definitions: etree._Element) -> None:
    port_type = etree.SubElement(definitions, f"{_W}portType", name=PORT_NAME)
    for spec in METHODS.values():
        operation = etree.SubElement(port_type, f"{_W}operation", name=spec.name)
        etree.SubElement(operation, f"{_W}input", message=f"tns:{spec.name}SoapIn")
        etree.SubElement(operation, f"{_W}output", message=f"tns:{spec.name}SoapOut")


def _binding(definitions: etree._Element) -> None:
    binding = etree.SubElement(definitions, f"{_W}binding", name=PORT_NAME, type=f"tns:{PORT_NAME}")
    etree.SubElement(binding, f"{_SOAP}binding", transport=_HTTP_TRANSPORT, style="document")
    for spec in METHODS.values():
        operation = etree.SubElement(binding, f"{_W}operation", name=spec.name)
        etree.SubElement(operation, f"{_SOAP}operation", soapAction=spec.soap_action, style="document")
        for direction in ("input", "output"):
            etree.SubElement(etree.SubElement(operation, f"{_W}{direction}"), f"{_SOAP}body", use="literal")
