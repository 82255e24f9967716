"""QuickBooks work that travels on a connection's SQS queue and runs inside Web Connector sessions.

A job is a small JSON body on the queue; while a session runs it, its progress lives on the session
(ticket) item. Each job kind has a runner: it renders the next qbXML message set from the job's state and
applies QuickBooks' answer, matching every response to its request by `requestID`.
"""

from __future__ import annotations

import base64
import json
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.qbxml.responses import MessageSetResponse

REFRESH_COMPANY_LISTS = "refresh_company_lists"
READ_INVENTORY = "read_inventory"
READ_SALES = "read_sales_for_shipstation"
WRITE_TRACKING = "write_tracking"
RECOVER_MESSAGE_SET = "recover_message_set"  # started by the session for a set whose answer was lost
# A daily-summary channel's closed days (sync/summary_transactions.py).
POST_SUMMARIES = "post_summary_transactions"

# A request waiting for its answer is kept in the ticket compressed up to this many bytes, else in the payloads table:
# the ticket is written at least twice a round trip, at a write unit per KB each time, the payload once.
INLINE_REQUEST_BYTES = 2_048


def request_key(ticket: str, round_trip: int) -> str:
    """The payloads key of the request a session's `round_trip` sends, when it is kept there."""
    return f"request#{ticket}#{round_trip}"


def inline_request(request: str) -> bytes | None:
    """The request compressed, when that is small enough to be kept in the ticket; None: it goes to the payloads
    table (the one rule for both the session and a job that keeps its request itself)."""
    packed = zlib.compress(request.encode(), 6)
    return packed if len(packed) <= INLINE_REQUEST_BYTES else None


@dataclass(frozen=True)
class KeptRequest:
    """A request its job has already kept (under `key` in the payloads table, written in the same call as what the
    job records of it), so the session does not write it again. With `field`, the payload is a JSON object and the
    request is its `field` (a message set's record carries the request that sends it). `message_set`: the id of the
    set the request sends, whose fate is unknown until its answer is applied: the session's ticket names it while
    the request waits (the engine names it on the connection if the session lets go of it unsettled)."""

    text: str
    key: str
    field: str | None = None
    message_set: str | None = None


def new_job(kind: str, connection_id: str, at: datetime, **params: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "job_id": "job_" + secrets.token_hex(6),
        "connection_id": connection_id,
        "queued_at": at.isoformat(),
        "params": params,
    }


def channel_id_of(messages: list[dict[str, Any]]) -> str:
    """The channel a per-channel job is for (its queue message's params)."""
    return str(messages[0].get("params", {}).get("channel_id", ""))


class ForeignAnswer(Exception):
    """QuickBooks' answer does not belong to the message set in flight (a stale or replayed answer, another
    set's or another connection's): it settles nothing, and what the set did is found out by error recovery."""


@dataclass(frozen=True)
class JobContext:
    connection_id: str
    qbxml_version: str
    now: datetime
    item_page_size: int
    ticket: str = ""
    inventory_page_size: int = 500
    sales_page_size: int = 50
    country: str = "US"
    max_attempts: int = 5
    retry_delay_seconds: int = (
        60  # the back-off before work QuickBooks refused for a passing reason is tried again
    )
    message_set_bytes: int = 1_000_000
    orders_per_message_set: int = 100
    # When the company's lists were last read whole (a key for what a warm container may keep of them).
    lists_refreshed_at: str | None = None
    # The company file's information as the connection holds it (country, multicurrency...), read with the
    # connection at the start of the call; None where no connection was read (it is read when needed).
    company: dict[str, Any] | None = None
    # The connection's channels_version as read with it at the start of the call: the key under which a warm
    # container keeps the connection's channels and the tenant's rules (sync/kept_settings.py); None: read them.
    channels_version: int | None = None


@dataclass
class Applied:
    """What applying one response did: the job's next state, whether it is finished, and what to report."""

    state: dict[str, Any]
    done: bool
    counts: dict[str, int] = field(default_factory=dict)  # what this answer did (the session adds them up)
    errors: list[str] = field(default_factory=list)
    # Queue messages this answer settled: finished ones are deleted, released ones become visible again.
    finished: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    # Released after a back-off (a transient QuickBooks error: a locked record frees up in a while).
    deferred: list[str] = field(default_factory=list)


class JobRunner(Protocol):
    kind: str
    title: str
    # How many queue messages one job gathers (a batch of orders is many messages; a list refresh is one).
    batch_size: int
    # True when the job only asks (queries) and `next_request` renders the same request from the same state: a
    # resend renders it again, so the session keeps no copy of it (the ticket is written at a unit per KB).
    rebuilds_request: bool

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        """The initial state of a job made of the queue messages' bodies (each with its `receipt`)."""
        ...

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | KeptRequest | None:
        """The next message set to send (a KeptRequest when the job has kept it for a resend itself), or None
        when the job has nothing left to ask."""
        ...

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied: ...

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        """(units done, units still to do) — for the percentage the Web Connector shows."""
        ...


def packed_json(data: dict[str, Any]) -> str:
    """A JSON object compressed into ASCII, for what a job keeps in its state or its message set's record."""
    return base64.b64encode(zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 6)).decode(
        "ascii"
    )


def unpacked_json(packed: str) -> dict[str, Any]:
    """The object `packed_json` packed."""
    data: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(packed)))
    return data
