"""The Web Connector's SOAP endpoint: POST /qbwc (calls) and GET /qbwc?wsdl (its WSDL).

Each call logs with the Lambda context and a correlation id (the first 8 characters of the session ticket:
enough to follow one session through the log, not enough to act as it), and adds the business figures it
sees: polls (right passwords), round trips (receiveResponseXML), and, when a session ends, the session and
its orders synced, failed and retried (the counts the session's summary holds, as the sync history shows
them). The metrics are flushed at the end of every call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from chalice.app import Blueprint, Response

from chalicelib.api.errors import soap_fault
from chalicelib.api.http import public_base_url
from chalicelib.api.limits import UNKNOWN_SOURCE, source_of
from chalicelib.errors import AppError
from chalicelib.lazy import lazy_module
from chalicelib.observability import BusinessMetric, count, invocation, logger
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.api import metered_web_connector
    from chalicelib.qbwc import soap
    from chalicelib.qbwc import wsdl as wsdl_document
    from chalicelib.qbwc.soap import SoapCall
    from chalicelib.sync.web_connector import WebConnectorService
else:  # the sync engine and the SOAP machinery (lxml) load at the first SOAP call, not with every route
    metered_web_connector = lazy_module("chalicelib.api.metered_web_connector")  # (chalicelib/lazy.py)
    soap = lazy_module("chalicelib.qbwc.soap")
    wsdl_document = lazy_module("chalicelib.qbwc.wsdl")

bp = Blueprint(__name__)
# Read-only: each response gets its own copy (see `_answer`).
XML: Final[Mapping[str, str]] = MappingProxyType(
    {"Content-Type": "text/xml; charset=utf-8", "Cache-Control": "no-store"}
)
TEXT: Final[Mapping[str, str]] = MappingProxyType({"Content-Type": "text/plain; charset=utf-8"})
SOAP_CONTENT_TYPES = ["text/xml", "application/soap+xml", "application/xml"]

Handler = Callable[["WebConnectorService", Mapping[str, str]], "str | int | list[str]"]

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


TICKET_CHARS_LOGGED = 8


def correlation_id(call: SoapCall, result: str | int | list[str] | None = None) -> str | None:
    """The session ticket's first characters: from the call, or from authenticate's answer."""
    ticket = call.params.get("ticket") or call.params.get("wcTicket")
    if not ticket and isinstance(result, list) and result:
        ticket = result[0]
    return ticket[:TICKET_CHARS_LOGGED] if ticket else None


def answer(
    call: SoapCall, service: WebConnectorService | None = None, *, source: str = UNKNOWN_SOURCE
) -> str | int | list[str]:
    service = service or metered_web_connector.MeteredWebConnector()
    if call.method == "authenticate":  # the one call that needs the caller's address (per-source slowing)
        params = call.params
        result = service.authenticate(params["strUserName"], params["strPassword"], source=source)
        if result.status != "nvu":
            count(BusinessMetric.WEB_CONNECTOR_POLLS)
        return result.as_soap()
    if call.method == "receiveResponseXML":
        count(BusinessMetric.ROUND_TRIPS)
    return HANDLERS[call.method](service, call.params)


def _answer(body: bytes, status: int, headers: Mapping[str, str]) -> Response:
    # Bodies are str: in Lambda the response dict is JSON-serialised, and bytes would not survive that.
    return Response(body=body.decode("utf-8"), status_code=status, headers=dict(headers))


def _fault(fault: soap.SoapFault) -> Response:
    return _answer(soap.render_fault(fault), soap.FAULT_HTTP_STATUS, XML)


@bp.route("/qbwc", methods=["POST"], content_types=SOAP_CONTENT_TYPES)
def soap_call() -> Response:
    """The SOAP edge: refusals of the caller's input are Client faults (the request parser checks every
    parameter first); domain errors are mapped once by `soap_fault`; anything else is a Server fault."""
    request = bp.current_request
    with invocation("qbwc", request.lambda_context, None):
        return _soap_call(request)


def _soap_call(request: Any) -> Response:
    try:
        raw = request.raw_body or b""
        body = raw.encode("utf-8") if isinstance(raw, str) else raw
        call = soap.parse_soap_request(body, soap_action=request.headers.get("soapaction"))
        logger.append_keys(soap_method=call.method)
        logger.set_correlation_id(correlation_id(call))
        result = answer(call, source=source_of(request))
        if call.method == "authenticate":
            logger.set_correlation_id(correlation_id(call, result))
        return _answer(soap.render_result(call.method, result), 200, XML)
    except soap.SoapFault as fault:
        logger.info("SOAP fault", extra={"fault": fault.message[:500]})
        return _fault(fault)
    except AppError as exc:
        logger.info("SOAP call refused", extra={"error": exc.message[:500]})
        return _fault(soap_fault(exc))
    except Exception:
        logger.exception("SOAP call failed")
        return _fault(
            soap.SoapFault(
                "Server", "Ledgerbridge could not answer this call; the Web Connector can retry it."
            )
        )
    finally:
        logger.remove_keys(["soap_method"])


def web_connector_base_url(request: Any) -> str:
    """Where the Web Connector should call: its own front door when the deployment has one, else here."""
    return get_settings().web_connector_base_url or public_base_url(request)


@bp.route("/qbwc", methods=["GET"])
def wsdl() -> Response:
    request = bp.current_request
    params = {k.lower() for k in (request.query_params or {})}
    if "wsdl" in params:
        return Response(
            body=wsdl_document.render_wsdl(web_connector_base_url(request) + "/qbwc"),
            status_code=200,
            headers=dict(XML),
        )
    return Response(
        body="This is the QuickBooks Web Connector endpoint of Ledgerbridge. Add it to the Web Connector "
        "with the .qwc file from your dashboard; the WSDL is at ?wsdl.\n",
        status_code=200,
        headers=dict(TEXT),
    )
