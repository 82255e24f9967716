"""A driver for chaos tests of the local stack (not deployed code).

Two pieces, both written apart from the service's engine so that they can judge it:

* `StackProcess` runs `ledgerbridge dev` (what `make run` runs) as a subprocess in a process group of its
  own, so that `kill_9()` can end the whole stack at once (the CLI, the embedded moto server and
  `chalice local`) the way a power cut or the OOM killer does, and `start()` can bring it back on the
  same state directory and the same ports.
* `WebConnectorClient` speaks the Web Connector's SOAP 1.1 calls one at a time (the envelope of
  `ledgerbridge.simulators.webconnector.build_envelope`, the SOAPAction and content type QBWC 2.3 sends),
  so that a test can do what the Windows program never does on purpose but a network or a crash can make
  happen: answer a message set with an earlier answer, with the same answer twice, with another
  connection's answer, or stop calling in the middle of a session.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from lxml import etree

from ledgerbridge.simulators.webconnector import QBWC_NAMESPACE, SoapCallError, build_envelope

__all__ = ["AuthResult", "StackProcess", "StackStartError", "WebConnectorClient", "free_port"]

READY_TEXT = "Ledgerbridge is running"
START_TIMEOUT_SECONDS = 120.0


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StackStartError(RuntimeError):
    """`ledgerbridge dev` exited or did not answer /health in time."""


@dataclass
class StackProcess:
    """`ledgerbridge dev` on a state directory, killable with SIGKILL as a whole process group."""

    state_dir: Path
    api_key: str
    port: int = field(default_factory=free_port)
    moto_port: int = field(default_factory=free_port)
    #: LEDGERBRIDGE_* settings for the stack (the lease, the retry delay, ...).
    settings: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def qbwc_url(self) -> str:
        return self.url + "/qbwc"

    @property
    def log(self) -> Path:
        return self.state_dir.parent / f"{self.state_dir.name}.log"

    def client(self, timeout: float = 30.0) -> httpx.Client:
        """A REST client with the stack's API key."""
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.api_key}"}, timeout=timeout
        )

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEDGERBRIDGE_"))}
        for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            env.pop(proxy, None)
        env.update({"LEDGERBRIDGE_API_KEY": self.api_key, "PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1"})
        env.update(self.settings)
        return env

    def start(self) -> None:
        """Start the stack (again) on the same state directory and ports; returns once /health answers."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("the stack is already running")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log.stat().st_size if self.log.exists() else 0
        cmd = [
            str(Path(sys.executable).with_name("ledgerbridge")),
            "dev",
            "--port",
            str(self.port),
            "--moto-port",
            str(self.moto_port),
            "--state-dir",
            str(self.state_dir),
        ]
        with self.log.open("ab") as out:
            out.write(f"\n===== chaos: start #{self.starts + 1} =====\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                cmd, env=self._environment(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackStartError(f"ledgerbridge dev exited early:\n{self._log_since(offset)}")
            with contextlib.suppress(httpx.HTTPError):
                if (
                    READY_TEXT in self._log_since(offset)
                    and httpx.get(self.url + "/health", timeout=5.0).status_code == 200
                ):
                    return
            time.sleep(0.2)
        self.kill_9()
        raise StackStartError(f"the local stack did not start:\n{self._log_since(offset)}")

    def _log_since(self, offset: int) -> str:
        with self.log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", "replace")

    def kill_9(self) -> None:
        """SIGKILL to the stack's whole process group: nothing gets to save or flush anything."""
        process = self.process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        self.kills += 1
        # Children that were reparented (none expected) would keep the ports; wait until they are free.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _ports_free(self.port, self.moto_port):
            time.sleep(0.1)

    def stop(self) -> None:
        """Ctrl-C, as a merchant stops `make run`; SIGKILL if it does not stop within 30 s."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_9()


def _ports_free(*ports: int) -> bool:
    for port in ports:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return False
    return True


@dataclass(frozen=True)
class AuthResult:
    ticket: str
    status: str  # "" (work to do), "none", "busy", "nvu", or a company file path


class WebConnectorClient:
    """The Web Connector's web-method calls, one at a time, over SOAP 1.1 (see the module doc).

    Every failure of a call (connection refused, HTTP error, SOAP fault, a reply that is not the method's
    response) raises `SoapCallError`, as it makes QBWC abort the update.
    """

    def __init__(self, url: str, http: httpx.Client | None = None, timeout: float = 60.0) -> None:
        self.url = url
        self.http = http if http is not None else httpx.Client(timeout=timeout)
        self.calls = 0

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, arguments: list[tuple[str, str]]) -> etree._Element:
        """POST one web method; the `<{method}Result>` element (or the response element when it has none)."""
        self.calls += 1
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{QBWC_NAMESPACE}{method}"',
        }
        try:
            reply = self.http.post(
                self.url, content=build_envelope(method, arguments).encode("utf-8"), headers=headers
            )
        except httpx.HTTPError as exc:
            raise SoapCallError(f"{method}() failed: {type(exc).__name__}: {exc}") from exc
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
        try:
            root = etree.fromstring(reply.content, parser)
        except etree.XMLSyntaxError as exc:
            raise SoapCallError(
                f"{method}() failed: HTTP {reply.status_code}, not XML: {reply.content[:200]!r}"
            ) from exc
        fault = next((e for e in root.iter() if isinstance(e.tag, str) and _local(e.tag) == "Fault"), None)
        if fault is not None:
            text = " ".join(str(t).strip() for t in fault.itertext() if str(t).strip())
            raise SoapCallError(f"{method}() failed: SOAP fault: {text[:500]}")
        if reply.status_code >= 400:
            raise SoapCallError(f"{method}() failed: HTTP {reply.status_code}")
        response = next(
            (e for e in root.iter() if isinstance(e.tag, str) and _local(e.tag) == f"{method}Response"), None
        )
        if response is None:
            raise SoapCallError(f"{method}() failed: no <{method}Response> in {reply.content[:200]!r}")
        result = next((e for e in response if _local(e.tag) == f"{method}Result"), None)
        return result if result is not None else response

    def _text(self, method: str, arguments: list[tuple[str, str]]) -> str:
        return self.call(method, arguments).text or ""

    def server_version(self) -> str:
        return self._text("serverVersion", [])

    def client_version(self, version: str = "2.3.0.215") -> str:
        return self._text("clientVersion", [("strVersion", version)])

    def authenticate(self, username: str, password: str) -> AuthResult:
        result = self.call("authenticate", [("strUserName", username), ("strPassword", password)])
        values = [e.text or "" for e in result if _local(e.tag) == "string"]
        return AuthResult(values[0] if values else "", values[1] if len(values) > 1 else "")

    def send_request_xml(
        self,
        ticket: str,
        hcp_response: str,
        company_file: str,
        country: str = "US",
        version: tuple[str, str] = ("13", "0"),
    ) -> str:
        return self._text(
            "sendRequestXML",
            [
                ("ticket", ticket),
                ("strHCPResponse", hcp_response),
                ("strCompanyFileName", company_file),
                ("qbXMLCountry", country),
                ("qbXMLMajorVers", version[0]),
                ("qbXMLMinorVers", version[1]),
            ],
        )

    def receive_response_xml(self, ticket: str, response: str, hresult: str = "", message: str = "") -> int:
        text = self._text(
            "receiveResponseXML",
            [("ticket", ticket), ("response", response), ("hresult", hresult), ("message", message)],
        )
        try:
            return int(text.strip())
        except ValueError as exc:
            raise SoapCallError(f"receiveResponseXML() returned {text!r}, not a percentage") from exc

    def get_last_error(self, ticket: str) -> str:
        return self._text("getLastError", [("ticket", ticket)])

    def close_connection(self, ticket: str) -> str:
        return self._text("closeConnection", [("ticket", ticket)])


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""
