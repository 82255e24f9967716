"""Write-ahead journal of the embedded local stack: no acknowledged write is lost to `kill -9` or power loss.

Moto keeps AWS state in memory. `DurableApp` wraps moto's WSGI app: a request that changes state is applied
by moto, appended to the journal and fsync-ed before moto's answer goes back, so whatever the app was told
succeeded is on disk. At start the stack loads the last checkpoint (`state.json`) and replays the journal
files written after it, through moto's own request handlers; a checkpoint rotates the journal (see below).

What is journaled, and why it replays to the same state:

- **Only requests that succeeded (2xx), in the order they were applied.** Journaled requests are applied one
  at a time under one lock, and appended under that lock, so journal order is apply order. A DynamoDB
  conditional write that failed changed nothing and is left out; one that succeeded meets the same item on
  replay (every earlier write is replayed before it) and succeeds again. A TransactWriteItems likewise.
- **DynamoDB**: every call but reads (Get*, BatchGet*, TransactGetItems, Query, Scan, Describe*, List*).
- **Secrets Manager**: every call but reads. Secrets are addressed by name (their ARNs' random suffix may
  differ after replay; the app never stores an ARN).
- **Scheduler** (REST): every POST/PUT/PATCH/DELETE.
- **SQS**: CreateQueue, SendMessage(Batch), SetQueueAttributes, DeleteQueue, PurgeQueue (replayed, they
  recreate the queues and the messages; a message gets a new id). *Not* ReceiveMessage, DeleteMessage(Batch)
  or ChangeMessageVisibility(Batch): receipt handles are random and die with the process, so they could not
  replay. The order records in DynamoDB are the truth and the queue is a signal: after a crash a message
  deleted since the last checkpoint comes back and is handled again, which the engine tolerates (it checks
  the order's status; a job for an order already synced does nothing). Losing a sent message would not be
  tolerable, and cannot happen.
- Any other service: every call that is not a GET/HEAD nor a Get/List/Describe action (stricter than
  needed).

A read waits until every write applied before it is durable, so the app never acts on (and acknowledges
something because of) a write a crash could still take back.

Group commit: appends go to a buffer; the first request to wait becomes the leader, writes the whole buffer
with one fsync and wakes everyone it covered, so concurrent requests share fsyncs. If a write or fsync
fails, the journal is broken: that request and every later one get a 503 (fail-stop, since moto already
applied what could not be made durable; restart the stack to recover from the last durable state).

Files: `journal.<generation>`, a header then records `<u32 length><nonce><AES-GCM ciphertext>`, sealed with
the state key (`ledgerbridge.sealed`) and the generation as associated data, created 0600. A checkpoint, with
the apply lock held, makes the buffer durable, dumps the state in memory and opens journal `g+1`; then
(without the lock) writes `state.json` saying "replay from g+1" and deletes older journals. A crash in
between leaves the old checkpoint and both journals, which replay to the same state. Replay stops at the
first torn or unreadable record: a torn record was never acknowledged (its fsync had not returned).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidTag

from ledgerbridge.sealed import PRIVATE, Sealer, fsync_dir, write_all

JOURNAL_PREFIX = "journal."
MAGIC = b"LBJOURNAL1\n"
_LENGTH = struct.Struct(">I")
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")

READ_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "Receive")
DYNAMODB_READS = frozenset({"TransactGetItems"})
SQS_NOT_REPLAYABLE = frozenset(
    {
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
    }
)
TARGET_SERVICES = {"DynamoDB_20120810": "dynamodb", "AmazonSQS": "sqs", "secretsmanager": "secretsmanager"}

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class RecordedRequest(TypedDict):
    """One journaled AWS call, as moto received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str  # base64


class JournalBroken(RuntimeError):
    """A write or fsync of the journal failed: nothing more may be acknowledged."""


@dataclass(frozen=True)
class AwsCall:
    service: str
    action: str
    method: str


def describe(environ: Environ, body: bytes) -> AwsCall:
    """The service and action of a request (JSON protocols name it in X-Amz-Target, the query protocol in
    `Action`, REST services by method and path)."""
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if "." in target:
        prefix, action = target.split(".", 1)
        return AwsCall(TARGET_SERVICES.get(prefix, prefix.lower()), action, method)
    match = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    service = match.group(1) if match else ""
    params = parse_qs(str(environ.get("QUERY_STRING", "")))
    if "form-urlencoded" in str(environ.get("CONTENT_TYPE", "")):
        params.update(parse_qs(body.decode("utf-8", "replace")))
    action = params.get("Action", [""])[0]
    return AwsCall(service, action, method)


def must_journal(call: AwsCall, path: str) -> bool:
    """Whether a successful `call` changed state that must survive a crash (see the module docstring)."""
    if path.startswith("/moto-api"):
        return False
    if call.service == "sqs":
        return call.action not in SQS_NOT_REPLAYABLE and not call.action.startswith(READ_PREFIXES)
    if call.action:
        return not (call.action.startswith(READ_PREFIXES) or call.action in DYNAMODB_READS)
    return call.method not in ("GET", "HEAD", "OPTIONS")


def record_of(environ: Environ, body: bytes) -> RecordedRequest:
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = str(environ["CONTENT_TYPE"])
    return {
        "method": str(environ.get("REQUEST_METHOD", "GET")),
        "path": str(environ.get("PATH_INFO", "/")),
        "query": str(environ.get("QUERY_STRING", "")),
        "headers": headers,
        "body": base64.b64encode(body).decode("ascii"),
    }


def environ_of(record: RecordedRequest) -> Environ:
    from werkzeug.test import EnvironBuilder

    headers = dict(record["headers"])
    content_type = headers.pop("Content-Type", None)
    builder = EnvironBuilder(
        method=record["method"],
        path=record["path"],
        query_string=record["query"] or None,
        headers=list(headers.items()),
        data=base64.b64decode(record["body"]),
        content_type=content_type,
        base_url="http://" + headers.get("Host", "127.0.0.1"),
    )
    try:
        return dict(builder.get_environ())
    finally:
        builder.close()


def json_request(service: str, target: str, payload: dict[str, Any]) -> RecordedRequest:
    """A JSON-protocol call (DynamoDB's wire format), as a client would send it to the local stack."""
    scope = f"testing/20260101/us-east-1/{service}/aws4_request"
    return {
        "method": "POST",
        "path": "/",
        "query": "",
        "headers": {
            "Host": "127.0.0.1",
            "X-Amz-Target": target,
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0",
        },
        "body": base64.b64encode(json.dumps(payload).encode()).decode("ascii"),
    }


@dataclass
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status[:1] == "2"


def call_app(app: WsgiApp, environ: Environ) -> Answer:
    """Run a WSGI app to completion and keep its whole answer."""
    seen: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], Any]:
        seen["status"], seen["headers"] = status, headers
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return Answer(
        str(seen.get("status", "500 INTERNAL SERVER ERROR")), list(seen.get("headers", [])), b"".join(chunks)
    )


def read_body(environ: Environ) -> bytes:
    stream = environ["wsgi.input"]
    length = str(environ.get("CONTENT_LENGTH") or "")
    if length.isdigit():
        return bytes(stream.read(int(length))) if int(length) else b""
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def journal_path(state_dir: Path, generation: int) -> Path:
    return state_dir / f"{JOURNAL_PREFIX}{generation:010d}"


def journal_generations(state_dir: Path) -> list[int]:
    found = []
    for path in state_dir.glob(JOURNAL_PREFIX + "*"):
        suffix = path.name[len(JOURNAL_PREFIX) :]
        if suffix.isdigit():
            found.append(int(suffix))
    return sorted(found)


def _purpose(generation: int) -> bytes:
    return b"ledgerbridge-journal/" + str(generation).encode()


class Journal:
    """The open journal file, with group commit (see the module docstring)."""

    def __init__(self, state_dir: Path, sealer: Sealer, generation: int) -> None:
        self.state_dir = state_dir
        self._sealer = sealer
        self._cond = threading.Condition(threading.Lock())
        self._pending: list[bytes] = []
        self._appended = 0
        self._durable = 0
        self._flushing = False
        self._broken: BaseException | None = None
        self.fsyncs = 0
        self.generation = generation
        self._fd = self._create(generation)

    def _create(self, generation: int) -> int:
        fd = os.open(journal_path(self.state_dir, generation), os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
        write_all(fd, MAGIC)
        os.fsync(fd)
        fsync_dir(self.state_dir)
        return fd

    @property
    def appended(self) -> int:
        """The sequence number of the last record appended (durable or not)."""
        return self._appended

    def append(self, record: RecordedRequest) -> int:
        data = json.dumps(record, separators=(",", ":")).encode()
        with self._cond:
            if self._broken is not None:
                raise JournalBroken("the journal could not be written") from self._broken
            self._pending.append(data)
            self._appended += 1
            return self._appended

    def wait_durable(self, seq: int) -> None:
        """Return once record `seq` (and every one before it) is on disk; share the fsync with others."""
        with self._cond:
            while self._durable < seq:
                if self._broken is not None:
                    raise JournalBroken("the journal could not be written") from self._broken
                if self._flushing:
                    self._cond.wait()
                    continue
                batch, self._pending = self._pending, []
                upto, fd, generation = self._appended, self._fd, self.generation
                self._flushing = True
                self._cond.release()
                failure: BaseException | None = None
                try:
                    self._write(fd, generation, batch)
                except BaseException as exc:  # disk full, I/O error: stop acknowledging
                    failure = exc
                finally:
                    self._cond.acquire()
                    self._flushing = False
                    self._cond.notify_all()
                if failure is not None:
                    self._broken = failure
                    raise JournalBroken("the journal could not be written") from failure
                self._durable = upto

    def _write(self, fd: int, generation: int, batch: list[bytes]) -> None:
        purpose = _purpose(generation)
        frames = []
        for data in batch:
            sealed = self._sealer.seal(data, purpose)
            frames.append(_LENGTH.pack(len(sealed)) + sealed)
        write_all(fd, b"".join(frames))
        os.fsync(fd)
        self.fsyncs += 1

    def rotate(self) -> int:
        """Make everything appended durable and continue in a new file; the caller holds the apply lock so
        nothing is appended meanwhile. Returns the new generation."""
        self.wait_durable(self._appended)
        with self._cond:
            new = self.generation + 1
            fd = self._create(new)
            old, self._fd, self.generation = self._fd, fd, new
        os.close(old)
        return new

    def close(self) -> None:
        with self._cond:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def read_journal(state_dir: Path, sealer: Sealer, generation: int) -> Iterator[RecordedRequest]:
    """The records of one journal file, in order, up to the first torn or unreadable one."""
    data = journal_path(state_dir, generation).read_bytes()
    if not data.startswith(MAGIC):
        return
    offset, purpose = len(MAGIC), _purpose(generation)
    while offset + _LENGTH.size <= len(data):
        (length,) = _LENGTH.unpack_from(data, offset)
        start = offset + _LENGTH.size
        if start + length > len(data):
            return  # torn: its write never completed, so it was never acknowledged
        try:
            plain = sealer.open(data[start : start + length], purpose)
        except InvalidTag:
            return
        yield json.loads(plain)
        offset = start + length


class DurableApp:
    """WSGI middleware around moto's app: mutating calls are durable before they are answered."""

    def __init__(self, inner: WsgiApp) -> None:
        self.inner = inner
        self.apply_lock = threading.Lock()
        self.journal: Journal | None = None  # None: pass through (recovery, or journaling turned off)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        journal = self.journal
        if journal is None:
            return self.inner(environ, start_response)
        body = read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        path = str(environ.get("PATH_INFO", ""))
        try:
            if must_journal(describe(environ, body), path):
                with self.apply_lock:
                    answer = call_app(self.inner, environ)
                    seq = journal.append(record_of(environ, body)) if answer.ok else journal.appended
            else:
                answer = call_app(self.inner, environ)
                with self.apply_lock:  # a write being applied now is appended before we look
                    seq = journal.appended
            journal.wait_durable(seq)
        except JournalBroken:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"the local stack's journal could not be written; restart it"]
        start_response(answer.status, answer.headers)
        return [answer.body]

    def replay(self, records: Iterable[RecordedRequest]) -> tuple[int, int]:
        """Apply journaled requests again, in order, straight through moto; (applied, refused). A request
        refused on replay is one the start-up had already done (a table or queue created by provisioning)."""
        applied = refused = 0
        for record in records:
            if call_app(self.inner, environ_of(record)).ok:
                applied += 1
            else:
                refused += 1
        return applied, refused
