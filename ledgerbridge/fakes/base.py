"""What every fake store shares: a threaded HTTP server on loopback, an order book, injected faults and a
log of the requests it answered."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


@dataclass
class Fault:
    status: int
    headers: dict[str, str]
    body: Any
    times: int


class FakeStore:
    """Subclasses implement `handle(request)`; orders live in `self.orders` as the vendor's own documents,
    keyed by id, in insertion order. `clock` is the store's notion of now (tests may move it)."""

    vendor = "store"

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self._faults: deque[Fault] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    # -- test controls -------------------------------------------------------------------------------
    def tick(self, seconds: float = 1.0) -> datetime:
        """Advance the store's clock (every change gets a later updated_at)."""
        with self.lock:
            self.now += timedelta(seconds=seconds)
            return self.now

    def fail_next(
        self, status: int, *, times: int = 1, headers: Mapping[str, str] | None = None, body: Any = None
    ) -> None:
        """Answer the next `times` API requests with `status` (e.g. 429 with Retry-After, 500, 401)."""
        with self.lock:
            self._faults.append(Fault(status, dict(headers or {}), body, times))

    def requests_to(self, path_part: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if path_part in r.path]

    # -- server --------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> FakeStore:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # kept-alive requests would otherwise wait ~40 ms each

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                response = fake.dispatch(request)
                payload = response.encoded()
                self.send_response(response.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for one poll: tests start many fakes
            name=f"fake-{self.vendor}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeStore:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def dispatch(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request)
            if self._faults:
                fault = self._faults[0]
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.popleft()
                return Response(fault.status, fault.body, fault.headers)
        try:
            return self.handle(request)
        except Exception as exc:  # a fake's own bug must show up in the test, not hang it
            return Response(599, {"fake_error": f"{type(exc).__name__}: {exc}"})

    def handle(self, request: Request) -> Response:
        raise NotImplementedError
