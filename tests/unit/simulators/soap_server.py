"""A tiny scripted QBWC web service for the Web Connector simulator tests (stdlib http.server, 127.0.0.1:0).

`ScriptedService` answers each web method from a script: fixed values, callables, or a queue of
qbXML requests, and records every HTTP request it received (headers, raw body, parsed method and
arguments) so the tests can assert exactly what the simulator sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

NS = "http://developer.intuit.com/"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    method: str
    params: dict[str, str]
    param_order: list[str]


@dataclass
class Reply:
    """A raw HTTP reply (for faults, HTTP errors and garbage)."""

    body: str
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"


def dotnet_envelope(method: str, result: Any) -> str:
    """A reply shaped like an ASP.NET web service's (default namespace on the method element)."""
    if isinstance(result, list):
        inner = "".join(f"<string>{escape(v)}</string>" if v else "<string />" for v in result)
    else:
        inner = escape(str(result))
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f'<soap:Body><{method}Response xmlns="{NS}"><{method}Result>{inner}</{method}Result>'
        f"</{method}Response></soap:Body></soap:Envelope>"
    )


def soap_fault(text: str) -> Reply:
    return Reply(
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>{escape(text)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>",
        status=500,
    )


@dataclass
class ScriptedService:
    """Answers the eight QBWC methods; override any of them with a value or a callable(params) -> value."""

    auth: list[str] = field(default_factory=lambda: ["ticket-123", ""])
    server_version: str = "Ledgerbridge test 1.0"
    client_version: str = ""
    requests: list[str] = field(default_factory=list)  # qbXML documents handed out by sendRequestXML
    percents: list[int] | None = None  # receiveResponseXML answers; default: progress, 100 at the end
    last_error: str | Callable[[], str] = "No more work"
    connection_error: str | Callable[[dict[str, str]], str] = "done"
    close_message: str = "OK"
    overrides: dict[str, Callable[[dict[str, str]], Any]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    responses: list[dict[str, str]] = field(default_factory=list)  # receiveResponseXML arguments

    def methods(self) -> list[str]:
        return [r.method for r in self.received]

    def handle(self, method: str, params: dict[str, str]) -> Any:
        if method in self.overrides:
            return self.overrides[method](params)
        if method == "serverVersion":
            return self.server_version
        if method == "clientVersion":
            return self.client_version
        if method == "authenticate":
            return self.auth
        if method == "sendRequestXML":
            return self.requests.pop(0) if self.requests else ""
        if method == "receiveResponseXML":
            self.responses.append(params)
            if self.percents is not None:
                return self.percents.pop(0)
            return 100 if not self.requests else int(100 * len(self.responses) / (len(self.responses) + 1))
        if method == "getLastError":
            return self.last_error() if callable(self.last_error) else self.last_error
        if method == "connectionError":
            return self.connection_error(params) if callable(self.connection_error) else self.connection_error
        if method == "closeConnection":
            return self.close_message
        raise AssertionError(f"unexpected method {method}")


class ServiceServer:
    """Runs a `ScriptedService` on http://127.0.0.1:<free port>/qbwc in a background thread."""

    def __init__(self, service: ScriptedService) -> None:
        self.service = service
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8")
                root = etree.fromstring(body.encode("utf-8"))
                soap_body = root[0]
                call = soap_body[0]
                method = etree.QName(call).localname
                params = {etree.QName(c).localname: c.text or "" for c in call}
                outer.service.received.append(
                    Received(
                        self.path,
                        {k: v for k, v in self.headers.items()},
                        body,
                        method,
                        params,
                        [etree.QName(c).localname for c in call],
                    )
                )
                answer = outer.service.handle(method, params)
                reply = answer if isinstance(answer, Reply) else Reply(dotnet_envelope(method, answer))
                data = reply.body.encode("utf-8")
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/qbwc"

    def __enter__(self) -> ServiceServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
