"""Finding out what QuickBooks did with orders whose answer never arrived, before anything is posted again.

Two ways, in this order:

1. **Error recovery** (`RecoverMessageSet`): a message set still unresolved when a session asks for work is
   asked about (`oldMessageSetID` = `newMessageSetID` = its id, no requests; Intuit's sample
   ErrRecovery2.xml). QuickBooks answers with each request's status and, for adds, an `ErrorRecovery`
   element with the TxnID/ListID it made (qbxml130.xsd; a full `*Ret` is accepted too): the set is settled
   from that (`settle_orders.apply_message_set`).
2. **Lookup by RefNumber, confirmed by ExternalGUID** (`lookup_requests` / `found_documents`): when
   QuickBooks keeps no status for the set (9002), and before re-posting any order marked `verify` (an
   answer left its fate open, or the merchant retried it), each document is queried by its RefNumber and
   accepted as ours only with the same ExternalGUID. Only documents QuickBooks does not have are posted.
   The payments of an invoice (docs/accounting/paid-invoices.md) share the invoice's RefNumber: the query
   answers all of them and the ExternalGUID (derived from the payment's key) picks the one looked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from chalicelib.dal.connections import SET_REQUEST_FIELD
from chalicelib.qbxml.message_set import render_error_recovery_query, render_message_set
from chalicelib.qbxml.posted import QUERY_BY_REF
from chalicelib.qbxml.responses import MessageSetResponse, QbResponse
from chalicelib.sync.jobs import RECOVER_MESSAGE_SET, Applied, ForeignAnswer, JobContext
from chalicelib.sync.settle_orders import apply_message_set, check_belongs

NO_STORED_STATUS = 9002  # "No stored response was found." (Intuit's status-code table)
LOOKUP_FIELDS = ("TxnID", "RefNumber", "ExternalGUID")


def lookup_requests(entries: Sequence[dict[str, Any]]) -> list[etree._Element]:
    """A query by RefNumber for each entry's document (entries without a RefNumber cannot be looked up)."""
    return [
        QUERY_BY_REF[e["txn_type"]](e["request_id"], e["ref_number"], include=LOOKUP_FIELDS)
        for e in entries
        if e["ref_number"]
    ]


@dataclass(frozen=True)
class LookupResult:
    found: MessageSetResponse  # the documents QuickBooks has, shaped as their adds' answers
    absent: list[dict[str, Any]]  # QuickBooks answered, and has no such document
    unknown: list[dict[str, Any]]  # no usable answer (the query failed, or could not be asked)


def found_documents(entries: Sequence[dict[str, Any]], response: MessageSetResponse) -> LookupResult:
    """Sort entries by what QuickBooks' answer to `lookup_requests(entries)` says of them."""
    by_id = {r.request_id: r for r in response.responses}
    found: list[QbResponse] = []
    absent: list[dict[str, Any]] = []
    unknown: list[dict[str, Any]] = []
    for entry in entries:
        rs = by_id.get(entry["request_id"])
        if rs is None or not rs.ok:
            unknown.append(entry)
            continue
        mine = [
            r for r in rs.rets if (r.findtext("ExternalGUID") or "").upper() == str(entry["guid"]).upper()
        ]
        if mine:
            found.append(_as_added(entry, mine[0]))
        else:
            absent.append(entry)
    return LookupResult(found=MessageSetResponse(responses=tuple(found)), absent=absent, unknown=unknown)


def _as_added(entry: dict[str, Any], ret: etree._Element) -> QbResponse:
    """A found document, shaped as the answer its add would have had."""
    return QbResponse(
        kind=f"{entry['txn_type']}Add",
        request_id=entry["request_id"],
        status_code=0,
        status_severity="Info",
        status_message="Found by RefNumber and ExternalGUID",
        iterator_id=None,
        iterator_remaining_count=None,
        rets=(ret,),
    )


class RecoverMessageSet:
    """Learns what QuickBooks did with a message set whose answer never arrived, before anything else."""

    kind = RECOVER_MESSAGE_SET
    title = "recover a message set whose answer was lost"
    batch_size = 0  # never taken from the queue: started by the session when the connection has one
    rebuilds_request = False  # queries of a set recorded before: the request sent is kept for a resend

    @staticmethod
    def job_for(record: dict[str, Any]) -> dict[str, Any]:
        # the request that sent the set is not needed to learn its fate: the session's ticket does not carry it
        kept = {name: value for name, value in record.items() if name != SET_REQUEST_FIELD}
        return {
            "kind": RECOVER_MESSAGE_SET,
            "job_id": record["id"],
            "receipts": [],
            "state": {"record": kept, "step": "lookup" if record.get("lookup_only") else "status"},
        }

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        raise NotImplementedError("recovery jobs are started by the session, not from the queue")

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | None:
        record = state["record"]
        if state["step"] == "status":
            return render_error_recovery_query(record["id"], version=ctx.qbxml_version)
        if state["step"] == "lookup":
            queries = lookup_requests(record["orders"])
            if not queries:  # nothing can be looked up: every order waits, to be verified again
                apply_message_set(record, MessageSetResponse(responses=()), ctx, requeue_pending=True)
                state["step"] = "done"
                return None
            return render_message_set(queries, version=ctx.qbxml_version, on_error="continueOnError")
        return None

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        record = state["record"]
        if state["step"] == "status":
            if response.new_message_set_id != record["id"]:
                # A status answer echoes the id it was asked about; anything else is not the answer to it.
                raise ForeignAnswer(f"the status answer is not for message set {record['id']!r}")
            status = response.message_set_status_code
            if response.responses and (status is None or status == 0):
                check_belongs(record, response, whole=False)
                applied = apply_message_set(record, response, ctx, requeue_pending=True).applied
                applied.state = {**state, "step": "done"}
                applied.counts["message_sets_recovered"] = 1
                return applied
            return Applied(state={**state, "step": "lookup"}, done=False)
        # lookup: a document QuickBooks has (same ExternalGUID) is recorded; one QuickBooks answered it does not
        # have goes back to be posted; one whose query failed goes back to be verified again.
        check_belongs(
            {"id": record["id"], "request_ids": [e["request_id"] for e in record["orders"]]},
            response,
            whole=False,
        )
        result = found_documents(record["orders"], response)
        applied = apply_message_set(
            record,
            result.found,
            ctx,
            requeue_pending=True,
            absent=frozenset(e["request_id"] for e in result.absent),
        ).applied
        applied.state = {**state, "step": "done"}
        applied.counts["message_sets_recovered"] = 1
        return applied

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        return (1, 0) if state["step"] == "done" else (0, 1)
