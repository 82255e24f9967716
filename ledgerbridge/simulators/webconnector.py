"""The QuickBooks Web Connector (QBWC 2.3), simulated: drives one update session over SOAP 1.1.

`run_session()` talks to a web service URL exactly as the Windows program does: each call is an
HTTP POST with `Content-Type: text/xml; charset=utf-8` and `SOAPAction:
"http://developer.intuit.com/<method>"`, carrying an envelope shaped like .NET's
(`soap:Envelope` declaring the soap/xsi/xsd prefixes, the method element in the default
namespace `http://developer.intuit.com/`, empty strings as empty elements). Requests are
passed to a `CompanySimulator` standing in for QuickBooks.

The call order follows the QBWC programmer's guide and the QWCLog captures in
`shared/reference/qbwc/captures/`:

1. `serverVersion()` (no arguments), then `clientVersion(strVersion)`. A reply of `"E:msg"`
   stops the update with the message; `"W:msg"` is recorded as a warning and the update goes on
   (the simulated user answers "Yes" to QBWC's dialog); `"O:version"` stops if this Web Connector
   is older than that version.
2. `authenticate(strUserName, strPassword)` -> `[ticket, status, ...]`. `nvu` (invalid user),
   `none` (no work) and `busy` end the update right there: QBWC makes **no further calls**, not
   even `closeConnection` (it logs "No data exchange required" for `none`; servers such as
   qbwc/qbwc do not even keep a session for these answers). Status comparisons ignore case.
   `""` means "the company open in QuickBooks", anything else is a company file path.
3. Opening the company. If QuickBooks cannot be started (the company's `not_running` fault) or
   another company file is open (the path differs from the company's), QBWC calls
   `connectionError(ticket, hresult, message)`; `"done"` ends the update **without**
   `closeConnection`; a path (or `""` for the open company) makes QBWC try again.
4. `sendRequestXML(ticket, strHCPResponse, strCompanyFileName, qbXMLCountry, qbXMLMajorVers,
   qbXMLMinorVers)`; the HCP response (host, company, preferences) only on the first call of the
   session, `""` afterwards. An empty answer means "nothing to do / error": QBWC calls
   `getLastError(ticket)`; `"NoOp"` makes it wait (5 s) and ask again, anything else is shown
   to the user and the session ends with `closeConnection(ticket)`.
5. The request goes to QuickBooks. `receiveResponseXML(ticket, response, "", "")`, or on an
   HRESULT failure `receiveResponseXML(ticket, "", hresult, message)`. The answer is a
   percentage: negative -> `getLastError` then `closeConnection`; 100 or more ->
   `closeConnection`; otherwise back to 4 (bounded by `max_round_trips`, which reports an error
   and closes the connection).

Faults: a response lost on the way back (`lose_next_response`) looks to QBWC like a timed-out
`receiveResponseXML`: QuickBooks has committed the work, the service never hears of it, the
update ends there (no `receiveResponseXML`, no `closeConnection`). A crash
(`crash_after_requests=N`) kills the Web Connector after the N-th message set's
`receiveResponseXML`: no further calls. A SOAP fault, an HTTP error or a reply that is not a
SOAP envelope ends the update immediately too, as QBWC aborts an update whose web method fails.
A request the company simulator does not implement (`SimulatorLimitation`) also ends the session
on the spot, reported as such, rather than being answered with a made-up status.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import httpx
from lxml import etree

from ledgerbridge.simulators.company import (
    HRESULT_MESSAGES,
    NOT_RUNNING_HRESULT,
    NOT_RUNNING_MESSAGE,
    OTHER_COMPANY_OPEN_HRESULT,
    CompanySimulator,
    QuickBooksFault,
    ResponseLost,
    SimulatorLimitation,
)

__all__ = [
    "DEFAULT_CLIENT_VERSION",
    "QBWC_NAMESPACE",
    "CallRecord",
    "SessionReport",
    "SoapCallError",
    "build_envelope",
    "run_session",
]

QBWC_NAMESPACE = "http://developer.intuit.com/"
SOAP11_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NAMESPACE = "http://www.w3.org/2003/05/soap-envelope"
DEFAULT_CLIENT_VERSION = "2.3.0.215"
USER_AGENT = "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)"
DEFAULT_APP_NAME = "Ledgerbridge"
MAX_CONNECTION_ATTEMPTS = 5
_LONG_ARGUMENT = 120

# Outcomes of a session (SessionReport.outcome)
COMPLETED = "completed"
NO_WORK = "no data exchange required"
INVALID_USER = "invalid user"
BUSY = "web service busy"
VERSION_REJECTED = "client version rejected"
CONNECTION_ERROR = "connection error"
SERVER_ERROR = "web service error"
RESPONSE_LOST = "response lost"
CRASHED = "web connector crashed"
ABORTED = "aborted"
SIMULATOR_LIMITATION = "simulator limitation"


class SoapCallError(Exception):
    """A web method failed: HTTP error, SOAP fault, or a reply that is not the expected SOAP envelope."""


@dataclass
class CallRecord:
    """One web method call of the session."""

    method: str
    arguments: dict[str, str]
    result: str | list[str] | int | None = None
    error: str | None = None
    http_status: int | None = None
    sent: bool = True  # False when the call never reached the service (lost response)


@dataclass
class SessionReport:
    """Everything that happened in one update session, in the order it happened."""

    url: str
    username: str
    calls: list[CallRecord] = field(default_factory=list)
    server_version: str | None = None
    client_version_result: str | None = None
    auth_status: str | None = None
    ticket: str | None = None
    company_file: str | None = None
    round_trips: int = 0
    last_percent: int | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    last_errors: list[str] = field(default_factory=list)
    close_message: str | None = None
    outcome: str = ABORTED
    log: list[str] = field(default_factory=list)

    @property
    def methods(self) -> list[str]:
        """The web methods called, in order (calls that never reached the service excluded)."""
        return [call.method for call in self.calls if call.sent]

    @property
    def closed(self) -> bool:
        return "closeConnection" in self.methods

    @property
    def ok(self) -> bool:
        return self.outcome in (COMPLETED, NO_WORK) and not self.errors

    def render(self) -> str:
        """The session as QWCLog-style lines, then a summary."""
        lines = list(self.log)
        lines.append(
            f"Session outcome: {self.outcome}; round trips: {self.round_trips}; "
            f"last percent: {self.last_percent if self.last_percent is not None else '-'}"
        )
        lines += [f"Error: {error}" for error in self.errors]
        lines += [f"Warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


def build_envelope(method: str, arguments: Sequence[tuple[str, str]]) -> str:
    """A SOAP 1.1 request envelope as the .NET client inside QBWC writes it."""
    if arguments:
        parts = "".join(
            f"<{name}>{escape(value)}</{name}>" if value else f"<{name} />" for name, value in arguments
        )
        body = f'<{method} xmlns="{QBWC_NAMESPACE}">{parts}</{method}>'
    else:
        body = f'<{method} xmlns="{QBWC_NAMESPACE}" />'
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP11_NAMESPACE}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    )


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _summarize(name: str, value: str) -> str:
    if name == "strPassword":
        return "<MaskedForSecurity>"
    if len(value) > _LONG_ARGUMENT:
        return f"{value[:60]}... ({len(value)} chars)"
    return value


def _version_tuple(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for part in version.strip().split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


class _Session:
    """The state machine of one update; `run_session` is its only user."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        company: CompanySimulator,
        *,
        client: httpx.Client,
        client_version: str,
        app_name: str,
        qbxml_version: tuple[str, str],
        max_round_trips: int,
        noop_delay: float,
        sleep: Callable[[float], None],
    ) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.company = company
        self.client = client
        self.client_version = client_version
        self.app_name = app_name
        self.qbxml_version = qbxml_version
        self.max_round_trips = max_round_trips
        self.noop_delay = noop_delay
        self.sleep = sleep
        self.report = SessionReport(url=url, username=username)

    # -- logging -----------------------------------------------------------------------------
    def log(self, where: str, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d.%H:%M:%S UTC")
        self.report.log.append(f"{stamp}\t: QBWebConnector.{where} : {text}")

    def error(self, where: str, text: str) -> None:
        self.report.errors.append(text)
        self.log(where, text)

    # -- SOAP --------------------------------------------------------------------------------
    def call(self, method: str, arguments: Sequence[tuple[str, str]] = ()) -> etree._Element:
        """POST one web method; returns the `<methodResponse>` element or raises `SoapCallError`."""
        record = CallRecord(method, {name: _summarize(name, value) for name, value in arguments})
        self.report.calls.append(record)
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{QBWC_NAMESPACE}{method}"',
            "User-Agent": USER_AGENT,
        }
        try:
            response = self.client.post(
                self.url, content=build_envelope(method, arguments).encode("utf-8"), headers=headers
            )
        except httpx.HTTPError as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            raise SoapCallError(f"{method}() failed: {record.error}") from exc
        record.http_status = response.status_code
        try:
            element = self._parse_reply(method, response)
        except SoapCallError as exc:
            record.error = str(exc)
            raise
        record.result = _result_of(method, element)
        return element

    @staticmethod
    def _parse_reply(method: str, response: httpx.Response) -> etree._Element:
        body = response.content
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
        try:
            root = etree.fromstring(body, parser) if body.strip() else None
        except etree.XMLSyntaxError:
            root = None
        if (
            root is None
            or _local(root.tag) != "Envelope"
            or etree.QName(root).namespace
            not in (
                SOAP11_NAMESPACE,
                SOAP12_NAMESPACE,
            )
        ):
            snippet = body[:200].decode("utf-8", "replace")
            status = f"HTTP {response.status_code}: " if response.status_code >= 400 else ""
            raise SoapCallError(f"{method}() failed: {status}the reply is not a SOAP envelope: {snippet!r}")
        soap_body = next((c for c in root if _local(c.tag) == "Body"), None)
        if soap_body is None:
            raise SoapCallError(f"{method}() failed: the SOAP envelope has no Body")
        payload = next((c for c in soap_body if isinstance(c.tag, str)), None)
        if payload is not None and _local(payload.tag) == "Fault":
            code = next((c.text or "" for c in payload.iter() if _local(c.tag) in ("faultcode", "Value")), "")
            text = next(
                (c.text or "" for c in payload.iter() if _local(c.tag) in ("faultstring", "Text")), ""
            )
            raise SoapCallError(f"{method}() failed: SOAP fault {code.strip()}: {text.strip()}")
        if response.status_code >= 400:
            raise SoapCallError(f"{method}() failed: HTTP {response.status_code}")
        if payload is None or _local(payload.tag) != f"{method}Response":
            found = _local(payload.tag) if payload is not None else "nothing"
            raise SoapCallError(
                f"{method}() failed: expected <{method}Response> in the SOAP body, got <{found}>"
            )
        return payload

    # -- the update --------------------------------------------------------------------------
    def run(self) -> SessionReport:
        report = self.report
        self.log(
            "RegistryManager.setUpdateLock()",
            "********************* Update session locked *********************",
        )
        self.log(
            "SOAPWebService.instantiateWebService()", "Initiated connection to the following application."
        )
        self.log("SOAPWebService.instantiateWebService()", f"AppName: {self.app_name}")
        self.log("SOAPWebService.instantiateWebService()", f"AppURL: {self.url}")
        try:
            if self._versions() and self._authenticate() and self._open_company():
                self._exchange()
        except SoapCallError as exc:
            report.outcome = SERVER_ERROR
            self.error("SOAPWebService.updateWS()", str(exc))
        finally:
            self.company.end_session()
            self.log(
                "RegistryManager.setUpdateLock()",
                "********************* Update session unlocked *********************",
            )
        return report

    def _text_result(self, method: str, arguments: Sequence[tuple[str, str]] = ()) -> str:
        element = self.call(method, arguments)
        result = _result_of(method, element)
        return result if isinstance(result, str) else ""

    def _versions(self) -> bool:
        report = self.report
        self.log("SOAPWebService.do_serverVersion()", "*** Calling serverVersion().")
        report.server_version = self._text_result("serverVersion")
        self.log(
            "SOAPWebService.do_serverVersion()",
            f'Received from serverVersion() following parameter:<serverVersionRet="{report.server_version}">',
        )
        self.log(
            "SOAPWebService.do_clientVersion()",
            f'*** Calling clientVersion() with following parameter:<productVersion="{self.client_version}">',
        )
        answer = self._text_result("clientVersion", [("strVersion", self.client_version)])
        report.client_version_result = answer
        self.log(
            "SOAPWebService.do_clientVersion()",
            f'Received from clientVersion() following parameter:<clientVersionRet="{answer}">',
        )
        kind, _, message = answer.partition(":")
        if answer and kind.upper() == "E":
            report.outcome = VERSION_REJECTED
            self.error(
                "SOAPWebService.do_clientVersion()", f"The web service rejected this Web Connector: {message}"
            )
            return False
        if answer and kind.upper() == "W":
            report.warnings.append(message)
            self.log(
                "SOAPWebService.do_clientVersion()",
                f"Warning from the web service (user chose to continue): {message}",
            )
            return True
        if answer and kind.upper() == "O":
            if _version_tuple(self.client_version) < _version_tuple(message):
                report.outcome = VERSION_REJECTED
                self.error(
                    "SOAPWebService.do_clientVersion()",
                    f"The web service requires QBWebConnector version {message} or later "
                    f"(this is {self.client_version}).",
                )
                return False
            return True
        self.log(
            "SOAPWebService.do_clientVersion()",
            "This application agrees with the current version of QBWebConnector. Allowing update operation.",
        )
        return True

    def _authenticate(self) -> bool:
        report = self.report
        self.log(
            "SOAPWebService.do_authenticate()",
            f"Authenticating to application '{self.app_name}', username = '{self.username}'",
        )
        self.log(
            "SOAPWebService.do_authenticate()",
            f"*** Calling authenticate() with following parameters:"
            f'<userName="{self.username}"><password=<MaskedForSecurity>',
        )
        element = self.call("authenticate", [("strUserName", self.username), ("strPassword", self.password)])
        result = _result_of("authenticate", element)
        values = result if isinstance(result, list) else []
        ticket = values[0] if values else ""
        status = values[1] if len(values) > 1 else ""
        report.ticket, report.auth_status = ticket, status
        self.log(
            "SOAPWebService.do_authenticate()",
            "Received from authenticate() following parameters:"
            + "".join(f'<authRet[{i}]="{v}">' for i, v in enumerate(values)),
        )
        lowered = status.strip().lower()
        if lowered == "nvu":
            report.outcome = INVALID_USER
            self.error(
                "SOAPWebService.do_authenticate()",
                "QBWC1012: Authentication failed due to following error message. Invalid user/password.",
            )
            return False
        if lowered == "none":
            report.outcome = NO_WORK
            self.log("SOAPWebService.do_authenticate()", "No data exchange required")
            return False
        if lowered == "busy":
            report.outcome = BUSY
            self.error("SOAPWebService.do_authenticate()", "The web service is busy. Try again later.")
            return False
        if not ticket:
            report.outcome = SERVER_ERROR
            self.error("SOAPWebService.do_authenticate()", "authenticate() returned no ticket.")
            return False
        return True

    def _open_company(self) -> bool:
        report = self.report
        path = report.auth_status or ""
        for _ in range(MAX_CONNECTION_ATTEMPTS):
            if self.company.faults.not_running:
                hresult, message = NOT_RUNNING_HRESULT, NOT_RUNNING_MESSAGE
            elif path and path.strip().casefold() != self.company.company_file.casefold():
                hresult, message = OTHER_COMPANY_OPEN_HRESULT, HRESULT_MESSAGES[OTHER_COMPANY_OPEN_HRESULT]
            else:
                report.company_file = self.company.company_file
                self.company.begin_session()
                self.log(
                    "SOAPWebService.OpenConnection()",
                    f"Connection opened to company file: {self.company.company_file}",
                )
                return True
            self.log(
                "SOAPWebService.do_connectionError()",
                f'*** Calling connectionError() with following parameters:<hresult="{hresult}">'
                f'<message="{message}">',
            )
            answer = self._text_result(
                "connectionError",
                [("ticket", report.ticket or ""), ("hresult", hresult), ("message", message)],
            )
            self.log(
                "SOAPWebService.do_connectionError()",
                f'Received from connectionError() following parameter:<connectionErrorRet="{answer}">',
            )
            if answer.strip().lower() == "done":
                report.outcome = CONNECTION_ERROR
                self.error("SOAPWebService.do_connectionError()", f"{hresult}: {message}")
                return False
            path = answer
        report.outcome = CONNECTION_ERROR
        self.error(
            "SOAPWebService.do_connectionError()",
            f"Could not open a company after {MAX_CONNECTION_ATTEMPTS} attempts.",
        )
        return False

    def _exchange(self) -> None:
        report = self.report
        ticket = report.ticket or ""
        first = True
        sets_done = 0
        requests_asked = 0
        while True:
            crash_after = self.company.faults.crash_after_requests
            if crash_after is not None and sets_done >= crash_after:
                self._crash()
                return
            if requests_asked >= self.max_round_trips:
                self.error(
                    "SOAPWebService.do_sendRequestXML()",
                    f"Safety bound reached: {self.max_round_trips} sendRequestXML calls in one session.",
                )
                report.outcome = ABORTED
                self._close()
                return
            requests_asked += 1
            hcp = self.company.hcp_response() if first else ""
            first = False
            self.log(
                "SOAPWebService.do_sendRequestXML()",
                f"*** Calling sendRequestXML() with following parameters:"
                f'<wcTicket="{ticket}"><HCPResponseXML={"(first call)" if hcp else ""}>'
                f'<cfn="{self.company.company_file}"><qbNationality="{self.company.country}">'
                f'<qbXMLMajorVers="{self.qbxml_version[0]}"><qbXMLMinorVers="{self.qbxml_version[1]}">',
            )
            request = self._text_result(
                "sendRequestXML",
                [
                    ("ticket", ticket),
                    ("strHCPResponse", hcp),
                    ("strCompanyFileName", self.company.company_file),
                    ("qbXMLCountry", self.company.country),
                    ("qbXMLMajorVers", self.qbxml_version[0]),
                    ("qbXMLMinorVers", self.qbxml_version[1]),
                ],
            )
            if not request.strip():
                self.log(
                    "SOAPWebService.do_sendRequestXML()", "Received empty request; calling getLastError()."
                )
                last = self._get_last_error(ticket)
                if last == "NoOp":
                    self.sleep(self.noop_delay)
                    continue
                report.outcome = COMPLETED
                self._close()
                return
            report.round_trips += 1
            self.log("SOAPWebService.do_sendRequestXML()", "Request xml received.")
            try:
                response = self.company.process(request)
                hresult = message = ""
            except QuickBooksFault as fault:
                response, hresult, message = "", fault.hresult, fault.message
                self.log(
                    "SOAPWebService.ProcessRequest()", f"QuickBooks returned an error: {hresult}: {message}"
                )
            except ResponseLost:
                sets_done += 1
                self.report.calls.append(
                    CallRecord("receiveResponseXML", {"ticket": ticket}, error="timed out", sent=False)
                )
                report.outcome = RESPONSE_LOST
                self.error(
                    "SOAPWebService.do_receiveResponseXML()",
                    "QBWC1042: ReceiveResponseXML failed. Error message: The operation has timed out "
                    "(the response processed by QuickBooks never reached the web service).",
                )
                return
            except SimulatorLimitation as exc:
                report.outcome = SIMULATOR_LIMITATION
                self.error("SOAPWebService.ProcessRequest()", f"Simulator limitation: {exc}")
                return
            sets_done += 1
            percent = self._receive(ticket, response, hresult, message)
            if percent is None:
                return
            crash_after = self.company.faults.crash_after_requests
            if crash_after is not None and sets_done >= crash_after:
                self._crash()
                return
            if percent < 0:
                last = self._get_last_error(ticket)
                self.error(
                    "SOAPWebService.do_receiveResponseXML()",
                    f"receiveResponseXML() returned {percent}. getLastError(): {last}",
                )
                report.outcome = COMPLETED
                self._close()
                return
            if percent >= 100:
                report.outcome = COMPLETED
                self._close()
                return

    def _receive(self, ticket: str, response: str, hresult: str, message: str) -> int | None:
        report = self.report
        self.log(
            "SOAPWebService.do_receiveResponseXML()",
            f"*** Calling receiveResponseXML() with following "
            f'parameters:<wcTicket="{ticket}"><response=({len(response)} chars)><hresult="{hresult}">'
            f'<message="{message}">',
        )
        answer = self._text_result(
            "receiveResponseXML",
            [("ticket", ticket), ("response", response), ("hresult", hresult), ("message", message)],
        )
        try:
            percent = int(answer.strip())
        except ValueError:
            report.outcome = SERVER_ERROR
            self.error(
                "SOAPWebService.do_receiveResponseXML()",
                f"receiveResponseXML() returned {answer!r}, not an integer percentage.",
            )
            return None
        report.last_percent = percent
        report.calls[-1].result = percent
        self.log(
            "SOAPWebService.do_receiveResponseXML()",
            f'Received from receiveResponseXML() following parameter:<percentDone="{percent}">',
        )
        return percent

    def _get_last_error(self, ticket: str) -> str:
        self.log("SOAPWebService.do_getLastError()", "*** Calling getLastError().")
        text = self._text_result("getLastError", [("ticket", ticket)])
        self.report.last_errors.append(text)
        self.log(
            "SOAPWebService.do_getLastError()",
            f'Received from getLastError() following parameter:<getLastErrorRet="{text}">',
        )
        return text

    def _close(self) -> None:
        self.log("SOAPWebService.do_closeConnection()", "*** Calling closeConnection().")
        text = self._text_result("closeConnection", [("ticket", self.report.ticket or "")])
        self.report.close_message = text
        self.log(
            "SOAPWebService.do_closeConnection()",
            f'Received from closeConnection() following parameter:<closeConnectionRet="{text}">',
        )

    def _crash(self) -> None:
        self.company.faults.crash_after_requests = None
        self.company.save()
        self.report.outcome = CRASHED
        self.error(
            "SOAPWebService.updateWS()",
            "The Web Connector stopped unexpectedly in the middle of the session.",
        )


def _result_of(method: str, element: etree._Element) -> str | list[str] | None:
    result = next((c for c in element if _local(c.tag) == f"{method}Result"), None)
    if result is None:
        return None
    if method == "authenticate":
        return [c.text or "" for c in result if _local(c.tag) == "string"]
    return result.text or ""


def run_session(
    url: str,
    username: str,
    password: str,
    company: CompanySimulator,
    *,
    client_version: str = DEFAULT_CLIENT_VERSION,
    http_client: httpx.Client | None = None,
    timeout: float = 30.0,
    app_name: str = DEFAULT_APP_NAME,
    qbxml_version: tuple[str, str] = ("13", "0"),
    max_round_trips: int = 500,
    noop_delay: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SessionReport:
    """Run one Web Connector update session against the web service at `url` (see the module doc)."""
    owned = http_client is None
    client = http_client if http_client is not None else httpx.Client(timeout=timeout)
    try:
        session = _Session(
            url,
            username,
            password,
            company,
            client=client,
            client_version=client_version,
            app_name=app_name,
            qbxml_version=qbxml_version,
            max_round_trips=max_round_trips,
            noop_delay=noop_delay,
            sleep=sleep,
        )
        return session.run()
    finally:
        if owned:
            client.close()
