"""The Web Connector's SOAP endpoint: POST /qbwc (calls) and GET /qbwc?wsdl (its WSDL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chalice.app import Blueprint, Response

from chalicelib.api.http import public_base_url
from chalicelib.observability import logger
from chalicelib.qbwc.soap import (
    FAULT_HTTP_STATUS,
    SoapCall,
    SoapFault,
    parse_soap_request,
    render_fault,
    render_result,
)
from chalicelib.qbwc.wsdl import render_wsdl
from chalicelib.sync.web_connector import WebConnectorService

bp = Blueprint(__name__)
# Bodies are str: in Lambda the response dict is JSON-serialised, and bytes would not survive that.
XML: dict[str, str | list[str]] = {"Content-Type": "text/xml; charset=utf-8", "Cache-Control": "no-store"}
TEXT: dict[str, str | list[str]] = {"Content-Type": "text/plain; charset=utf-8"}
SOAP_CONTENT_TYPES = ["text/xml", "application/soap+xml", "application/xml"]

Handler = Callable[[WebConnectorService, Mapping[str, str]], "str | int | list[str]"]

HANDLERS: dict[str, Handler] = {
    "serverVersion": lambda s, p: s.server_version(),
    "clientVersion": lambda s, p: s.client_version(p["strVersion"]),
    "authenticate": lambda s, p: s.authenticate(p["strUserName"], p["strPassword"]).as_soap(),
    "sendRequestXML": lambda s, p: s.send_request_xml(
        p["ticket"],
        p["strHCPResponse"],
        p["strCompanyFileName"],
        p["qbXMLCountry"],
        p["qbXMLMajorVers"],
        p["qbXMLMinorVers"],
    ),
    "receiveResponseXML": lambda s, p: s.receive_response_xml(
        p["ticket"], p["response"], p["hresult"], p["message"]
    ),
    "connectionError": lambda s, p: s.connection_error(p["ticket"], p["hresult"], p["message"]),
    "getLastError": lambda s, p: s.get_last_error(p["ticket"]),
    "closeConnection": lambda s, p: s.close_connection(p["ticket"]),
    "getInteractiveURL": lambda s, p: s.get_interactive_url(p["wcTicket"], p["sessionID"]),
    "interactiveDone": lambda s, p: s.interactive_done(p["wcTicket"]),
    "interactiveRejected": lambda s, p: s.interactive_rejected(p["wcTicket"], p["reason"]),
}


def answer(call: SoapCall, service: WebConnectorService | None = None) -> str | int | list[str]:
    return HANDLERS[call.method](service or WebConnectorService(), call.params)


@bp.route("/qbwc", methods=["POST"], content_types=SOAP_CONTENT_TYPES)
def soap_call() -> Response:
    request = bp.current_request
    try:
        raw = request.raw_body or b""
        body = raw.encode("utf-8") if isinstance(raw, str) else raw
        call = parse_soap_request(body, soap_action=request.headers.get("soapaction"))
        logger.append_keys(soap_method=call.method)
        result = answer(call)
        return Response(body=render_result(call.method, result).decode("utf-8"), status_code=200, headers=XML)
    except SoapFault as fault:
        logger.info("SOAP fault", extra={"fault": fault.message})
        return Response(body=render_fault(fault).decode("utf-8"), status_code=FAULT_HTTP_STATUS, headers=XML)
    except Exception:
        logger.exception("SOAP call failed")
        failure = SoapFault(
            "Server", "Ledgerbridge could not answer this call; the Web Connector can retry it."
        )
        return Response(
            body=render_fault(failure).decode("utf-8"), status_code=FAULT_HTTP_STATUS, headers=XML
        )
    finally:
        logger.remove_keys(["soap_method"])


@bp.route("/qbwc", methods=["GET"])
def wsdl() -> Response:
    request = bp.current_request
    params = {k.lower() for k in (request.query_params or {})}
    if "wsdl" in params:
        return Response(body=render_wsdl(public_base_url(request) + "/qbwc"), status_code=200, headers=XML)
    return Response(
        body="This is the QuickBooks Web Connector endpoint of Ledgerbridge. Add it to the Web Connector "
        "with the .qwc file from your dashboard; the WSDL is at ?wsdl.\n",
        status_code=200,
        headers=TEXT,
    )
