"""Settling the orders of a message set from QuickBooks' answer (the post-orders job and its recovery).

Every transition is conditional on the order being in flight in that very set, so applying an answer twice
changes nothing. An answer settles an order only when it says what QuickBooks did with the order's request:
a TxnID (from the `*Ret`, or from the `ErrorRecovery` ids QuickBooks answers an error-recovery status query
with) makes it synced; an error status makes it pending again (transient) or failed. Whatever the answer
leaves open (no answer for the request, an OK status without a TxnID) sends the order back to pending
*to be verified*: it is looked up in QuickBooks by RefNumber and ExternalGUID before anything is posted again.

An answer belongs to a set only when it names the set's own request ids (each carries the set's id) and, where
QuickBooks echoes it, the set's `newMessageSetID`; anything else is a `ForeignAnswer` and settles nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from chalicelib.aws import WorkQueue
from chalicelib.dal import connections, mappings, orders
from chalicelib.dal.orders import StoredOrder
from chalicelib.qbxml.responses import MessageSetResponse, QbResponse
from chalicelib.qbxml.status import explain_status
from chalicelib.sync.jobs import Applied, ForeignAnswer, JobContext
from chalicelib.sync.order_jobs import post_job, post_jobs
from chalicelib.sync.orders import queue_waiting_refunds

INVALID_REFERENCE = 3140


def order_error(code: str | int, meaning: str, fix: str, retriable: bool) -> dict[str, Any]:
    return {"code": str(code), "message": meaning, "fix": fix, "retriable": retriable}


def status_error(rs: QbResponse) -> dict[str, Any]:
    why = explain_status(rs.status_code, rs.status_message)
    return order_error(rs.status_code, why.meaning, why.fix, why.retriable)


def sent_request_ids(record: dict[str, Any]) -> set[str]:
    """Every requestID the recorded set carried (older records: the adds' and the documents')."""
    if "request_ids" in record:
        return set(record["request_ids"])
    return {rid for rids in record["adds"].values() for rid in rids} | {
        e["request_id"] for e in record["orders"]
    }


def check_belongs(record: dict[str, Any], response: MessageSetResponse, *, whole: bool) -> None:
    """Raise ForeignAnswer unless `response` answers the recorded set: its newMessageSetID when QuickBooks
    echoes one, and only the set's request ids (all of them when `whole`: a set's own answer answers every
    request, even those stopOnError skipped)."""
    echoed = response.new_message_set_id
    if echoed is not None and echoed != record["id"]:
        raise ForeignAnswer(f"the answer is for message set {echoed[:30]!r}, not {record['id']!r}")
    sent = sent_request_ids(record)
    answered = {r.request_id or "" for r in response.responses}
    strangers = answered - sent
    if strangers:
        raise ForeignAnswer(f"the answer has requests this set did not send ({sorted(strangers)[0][:60]!r})")
    if whole and answered != sent:
        raise ForeignAnswer(f"the answer leaves {len(sent - answered)} of the set's {len(sent)} requests out")


@dataclass(frozen=True)
class _Settled:
    txn_id: str
    ref_number: str | None
    total: str | None


def _settled(rs: QbResponse, entry: dict[str, Any]) -> _Settled | None:
    """What QuickBooks saved for the entry's request, when the answer says so for certain."""
    if not rs.ok:
        return None
    txn_id = rs.txn_id
    if not txn_id:
        return None
    guid = rs.rets[0].findtext("ExternalGUID") if rs.rets else None
    guid = guid or (rs.recovery.external_guid if rs.recovery else None)
    if guid and guid.strip().upper() != str(entry["guid"]).upper():
        return None  # not the document we sent: leave it to the lookup
    ret = rs.rets[0] if rs.rets else None
    total = None
    if ret is not None:
        total = ret.findtext("TotalAmount")
        if total is None and ret.findtext("Subtotal") is not None:
            total = str(
                Decimal(ret.findtext("Subtotal") or "0") + Decimal(ret.findtext("SalesTaxTotal") or "0")
            )
    ref = (ret.findtext("RefNumber") if ret is not None else None) or entry.get("ref_number") or None
    return _Settled(txn_id=txn_id, ref_number=ref, total=total)


@dataclass
class _Outcome:
    """What settling one order of the set will do, once its conditional write is known to have held."""

    entry: dict[str, Any]
    change: orders.Change
    then: str  # "done" | "again" (to be posted or verified again now) | "later" (after a back-off) | "dead"
    count: str
    error: str | None = None
    txn_id: str | None = None  # the document QuickBooks saved for it
    # When `change` makes it synced: the same, keeping it in the open index, written when `change` fails because a
    # newer version of the order came while it was in flight (its refunds are looked at next). Built only then:
    # building a change's update actions is most of a settle's own CPU.
    reopen: Callable[[], orders.Change] | None = None


@dataclass
class SetSettled:
    """What settling a message set did: the figures to report, and the orders to post (or verify) again now."""

    applied: Applied
    again: list[tuple[str, str]] = field(default_factory=list)


def _in_flight(entry: dict[str, Any], stored: StoredOrder | None) -> orders.InFlight | None:
    """The order as the set's record knows it (records written before it kept this: read back instead)."""
    if "documents" in entry:
        return orders.InFlight(
            entry["channel_id"],
            entry["order_id"],
            entry["connection_id"],
            entry["documents"],
            entry["has_txn_id"],
        )
    return orders.InFlight.of(stored) if stored is not None else None


def apply_message_set(
    record: dict[str, Any],
    response: MessageSetResponse,
    ctx: JobContext,
    *,
    requeue_pending: bool,
    absent: frozenset[str] = frozenset(),
) -> SetSettled:
    """Settle every order of a recorded message set from QuickBooks' answer, then clear the record.

    Orders that go back to pending to be posted (or verified) again now, or that have a next document to post, are
    returned in `again`; with `requeue_pending` (recovery: the set's job belongs to a dead session) they are queued
    instead. Orders refused for a passing reason are queued after the back-off, and those that kept failing go to
    the dead-letter queue. An order the answer says nothing about is looked up before it is posted again, unless its
    request id is in `absent` (a lookup QuickBooks answered found no such document). The orders' changes are
    written together (`orders.write_changes`), each conditional on the order being in flight in this set: an order
    no longer there is left alone."""
    by_id = {r.request_id: r for r in response.responses}
    remember_adds(record["adds"], by_id, ctx.connection_id)
    # An add that failed transiently makes the sales naming it fail with 3140 (invalid reference): those
    # are as transient as the add itself.
    add_failed_transiently = any(
        (rs := by_id.get(rid)) is not None
        and not rs.ok
        and explain_status(rs.status_code, rs.status_message).retriable
        for rids in record["adds"].values()
        for rid in rids
    )
    legacy = [e for e in record["orders"] if "documents" not in e]
    stored_of = {
        (o.channel_id, o.order_id): o
        for o in orders.get_many((e["channel_id"], e["order_id"]) for e in legacy)
    }
    applied = Applied(state={}, done=True)
    plans: list[_Outcome] = []
    for entry in record["orders"]:
        stored = stored_of.get((entry["channel_id"], entry["order_id"]))
        order = _in_flight(entry, stored)
        if order is None:
            continue
        plans.append(_plan(entry, order, stored, by_id.get(entry["request_id"]), record["id"], ctx, absent,
                           add_failed_transiently, requeue_pending))  # fmt: skip
    written = orders.write_changes([p.change for p in plans])
    kept_open = _keep_open_where_changed(plans, written)
    again: list[tuple[str, str]] = []
    later: list[tuple[str, str]] = []
    dead: list[tuple[str, str]] = []
    not_for_shipstation: dict[str, str | None] = {}
    for plan, held in zip(plans, written, strict=True):
        entry = plan.entry
        if not held:  # no longer in flight in this set: settled already (an answer applied twice)
            continue
        if plan.txn_id and entry.get("not_for_shipstation"):
            not_for_shipstation[plan.txn_id] = None
        _count(applied, plan.count)
        if plan.error:
            applied.errors.append(f"Order {entry.get('number') or entry['order_id']}: {plan.error}")
        key = (entry["channel_id"], entry["order_id"])
        {"again": again, "later": later, "dead": dead}.get(plan.then, []).append(key)
    queue = WorkQueue(ctx.connection_id) if (later or dead or requeue_pending) else None
    if dead and queue is not None:
        for channel_id, order_id in dead:
            queue.dead_letter(post_job(channel_id, order_id))
    if not_for_shipstation:  # an order rule keeps these sales out of ShipStation (the outbound job reads it)
        mappings.remember(ctx.connection_id, mappings.NOT_FOR_SHIPSTATION, not_for_shipstation)
    if kept_open:  # a refund that came while these were on their way is posted now
        again += queue_waiting_refunds(kept_open)
    if later and queue is not None:
        queue.send_many(post_jobs(later), delay_seconds=ctx.retry_delay_seconds)
    if requeue_pending and again and queue is not None:
        queue.send_many(post_jobs(again))
        again = []
    connections.clear_unresolved_set(ctx.connection_id, record["id"])
    return SetSettled(applied, again)


def _keep_open_where_changed(plans: list[_Outcome], written: list[bool]) -> list[tuple[str, str]]:
    """Orders the set made synced whose write failed because a newer version came while they were in flight:
    written again, synced but kept in the open index (`written` updated). Returns their keys."""
    retry = [
        n for n, (p, held) in enumerate(zip(plans, written, strict=True)) if not held and p.reopen is not None
    ]
    if not retry:
        return []
    reopened = orders.write_changes([r() for n in retry if (r := plans[n].reopen) is not None])
    kept: list[tuple[str, str]] = []
    for n, held in zip(retry, reopened, strict=True):
        if held:
            written[n] = True
            kept.append((plans[n].entry["channel_id"], plans[n].entry["order_id"]))
    return kept


def _plan(
    entry: dict[str, Any],
    order: orders.InFlight,
    stored: StoredOrder | None,
    rs: QbResponse | None,
    set_id: str,
    ctx: JobContext,
    absent: frozenset[str],
    add_failed_transiently: bool,
    requeue_pending: bool,
) -> _Outcome:
    """What becomes of one order of the set. What goes back to pending "again" stays with this job (its open-orders
    index entry left as it is), unless `requeue_pending` queues it in a new message."""
    settled = _settled(rs, entry) if rs is not None else None
    if settled is not None:
        complete = bool(entry.get("complete", True))
        expected = (
            entry.get("total") if "total" in entry else (stored.document.get("total") if stored else None)
        )
        warning = _total_difference(expected, entry, settled.total)
        change_of = partial(
            orders.document_change,
            order,
            set_id,
            label=entry.get("label", entry["txn_type"]),
            txn_id=settled.txn_id,
            txn_type=entry["txn_type"],
            ref_number=settled.ref_number,
            complete=complete,
            warning=warning,
            # What the invoice holds, which its payments never exceed (docs/accounting/paid-invoices.md).
            invoice_total=_invoice_total(rs, entry) if rs is not None else None,
            new_message=requeue_pending,
        )
        return _Outcome(
            entry,
            change_of(keep_open=False),
            "done" if complete else "again",  # not complete: its next document is posted next
            "orders_synced" if complete else "documents_posted",
            error=warning["message"] if warning else None,
            txn_id=settled.txn_id,
            reopen=partial(change_of, keep_open=True) if complete else None,
        )
    if rs is None or rs.ok:
        # QuickBooks' answer does not say what became of it (no answer, or OK without the TxnID): it may be in
        # QuickBooks; look it up before posting it again (unless a lookup just said it is not).
        verify = rs is not None or entry["request_id"] not in absent
        change = orders.pending_change(order, set_id, None, verify=verify, new_message=requeue_pending)
        return _Outcome(entry, change, "again", "orders_to_verify" if verify else "orders_retried")
    error = status_error(rs)
    if add_failed_transiently and rs.status_code == INVALID_REFERENCE:
        error = {**error, "retriable": True}
    attempts = int(entry["attempts"]) if "attempts" in entry else (stored.attempts if stored else 0)
    if error["retriable"] and attempts < ctx.max_attempts:
        # A transient error (a locked record...): again after a back-off.
        change = orders.pending_change(order, set_id, error, verify=False)
        return _Outcome(entry, change, "later", "orders_retried")
    then = "done"
    if error["retriable"]:  # kept failing: it goes to the dead-letter queue, shown as failed
        error = {
            **error,
            "retriable": False,
            "message": f"{error['message']} (gave up after {attempts} attempts)",
            "fix": "QuickBooks kept refusing it for the same passing reason (a record in use or "
            "locked). When nobody is editing it in QuickBooks, retry the order.",
        }
        then = "dead"
    change = orders.failed_change(order.channel_id, order.order_id, set_id, error)
    return _Outcome(entry, change, then, "orders_failed", error=error["message"])


def _invoice_total(rs: QbResponse, entry: dict[str, Any]) -> str | None:
    """The total QuickBooks recorded for the order's invoice, from its add's answer (InvoiceRet has no
    TotalAmount: Subtotal + SalesTaxTotal, qbxmlops130.xsd), kept so its payments never exceed it. Only when the
    answer gives both (unsure otherwise: the payments then stop at the posted total)."""
    if entry.get("label") != "Invoice" or not rs.rets:
        return None
    subtotal, tax = rs.rets[0].findtext("Subtotal"), rs.rets[0].findtext("SalesTaxTotal")
    if subtotal is None or tax is None:
        return None
    try:
        return format(Decimal(subtotal) + Decimal(tax), "f")
    except InvalidOperation:
        return None


def remember_adds(
    adds: Mapping[str, Mapping[str, str]], by_id: Mapping[str | None, QbResponse], connection_id: str
) -> None:
    """Names (and ListIDs) of the customers and items a set's adds ({kind: {request id: name}}) made, or found in
    use (3100), remembered for the connection's next sets."""
    learned: dict[str, dict[str, str | None]] = {"customer": {}, "item": {}}
    for kind, rids in adds.items():
        for rid, name in rids.items():
            rs = by_id.get(rid)
            if rs is not None and (rs.ok or rs.status_code == 3100):
                learned[kind][name] = rs.list_id
    if any(learned.values()):
        mappings.remember_many(connection_id, {kind: names for kind, names in learned.items() if names})


def _total_difference(expected: Any, entry: dict[str, Any], total: str | None) -> dict[str, Any] | None:
    """When QuickBooks' total for the sale differs from what the store charged (QuickBooks computes US sales
    tax itself from the sales tax item's rate), say so on the order: the sale is recorded, but the merchant
    should check the tax settings."""
    if (
        entry["txn_type"] not in ("SalesReceipt", "Invoice", "SalesOrder")
        or entry.get("label") != entry["txn_type"]
    ):
        return None
    if total is None or expected is None:
        return None
    try:
        difference = Decimal(total) - Decimal(str(expected))
    except InvalidOperation:
        return None
    if difference == 0:
        return None
    return order_error(
        "total_difference",
        f"QuickBooks recorded a total of {Decimal(total):.2f}; the store charged {Decimal(str(expected)):.2f} "
        f"(difference {difference:+.2f}).",
        "Usually sales tax: check the channel's sales tax item and tax codes against the store's tax.",
        False,
    )


def _count(applied: Applied, name: str) -> None:
    applied.counts[name] = applied.counts.get(name, 0) + 1


def requeue(order_refs: Iterable[tuple[str, str]], connection_id: str) -> None:
    WorkQueue(connection_id).send_many(post_jobs(order_refs))
