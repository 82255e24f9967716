"""The request a session sent, kept until its answer comes: a Web Connector that asks again without answering (a
retry after a timeout) gets the same message set. It is only queries or carries its own error-recovery id, so
sending it again is safe; sending a different one in its place is not.

Kept where it costs least, since the ticket is written at least twice a round trip at a write unit per KB:
- nothing but a CRC of it when its job renders it again from its state (`JobRunner.rebuilds_request`: queries
  only); what is rendered again is sent only if it matches;
- where its job kept it already (`KeptRequest`: a post-orders set's request inside the set's record);
- else compressed in the ticket up to jobs.INLINE_REQUEST_BYTES, and in the payloads table beyond.
`Session.pending` says that a request waits and where it is."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping

from chalicelib.dal import payloads
from chalicelib.dal.tickets import Session
from chalicelib.observability import logger
from chalicelib.sync.jobs import JobContext, JobRunner, KeptRequest, inline_request, request_key

# The pending request's key naming the message set it sends, until its answer is applied (`KeptRequest.message_set`).
UNSETTLED_SET = "set"


def unsettled_set(session: Session) -> str | None:
    """The message set the session's pending request sends, if it sends one (its fate unknown until its answer)."""
    found = (session.pending or {}).get(UNSETTLED_SET)
    return str(found) if found else None


def keep(session: Session, request: str | KeptRequest, *, rebuilt: bool = False) -> str:
    """Keep the request the session sends now (`rebuilt`: its job renders it again); returns its text."""
    session.pending = {}
    if rebuilt and isinstance(request, str):
        session.pending["rebuilt"] = zlib.crc32(request.encode())  # to check the one rendered again
        session.pending_request = None
        return request
    if isinstance(request, KeptRequest):
        session.pending["request_ref"] = request.key
        if request.field is not None:
            session.pending["request_field"] = request.field
        if request.message_set is not None:
            session.pending[UNSETTLED_SET] = request.message_set
        session.pending_request = None
        return request.text
    packed = inline_request(request)
    if packed is not None:
        session.pending_request = packed
    else:
        key = request_key(session.ticket, session.round_trips)
        payloads.put(key, request.encode(), expires_at=session.expires_at)
        session.pending["request_ref"] = key
        session.pending_request = None
    return request


def sent_again(session: Session, runners: Mapping[str, JobRunner], ctx: JobContext) -> str | None:
    """The request the session sent last, to send again; None when it is no longer kept (expired) or rendered
    again differs (a setting changed between the calls): the caller hands the job back."""
    pending = session.pending or {}
    if "rebuilt" in pending and session.job is not None:
        # rendered again from the job's state, as unchanged as the request it sent (no answer applied since)
        again = runners[session.job["kind"]].next_request(session.job["state"], ctx)
        if isinstance(again, str) and zlib.crc32(again.encode()) == pending["rebuilt"]:
            return again
        logger.warning(
            "a request rendered again differs from the one sent; its job goes back to the queue",
            extra={"connection_id": session.connection_id, "kind": session.job["kind"]},
        )
        return None
    if session.pending_request is not None:
        return zlib.decompress(session.pending_request).decode()
    # A ticket written before requests were kept compressed has the request as text or base64.
    if "request" in pending:
        return str(pending["request"])
    if "request_z" in pending:
        return zlib.decompress(base64.b64decode(str(pending["request_z"]))).decode()
    try:
        kept = payloads.get(str(pending.get("request_ref")))
    except payloads.PayloadMissing:
        return None
    if "request_field" in pending:  # a message set's record, carrying the request that sends it
        request = json.loads(kept).get(str(pending["request_field"]))
        return str(request) if request is not None else None
    return kept.decode()
