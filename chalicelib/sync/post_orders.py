"""Posting orders to QuickBooks: a batch of orders per message set, exactly once.

One message set carries, in order, the customer and item adds the batch needs (names QuickBooks is not known
to have) and then the sales; with `continueOnError` a 3100 on an add means the record exists, and the sale
that names it still goes through. Before the set is returned to the Web Connector every order moves
pending -> in_flight (conditional write) and the set is recorded on the connection as *unresolved*; its
answer settles each order (matched by `requestID`) and clears the record.

A set still unresolved when a session asks for work (its answer was lost: a crash, a timeout, an HRESULT)
is recovered before anything else is sent (`RecoverMessageSet`): QuickBooks is asked for its stored answer
(`oldMessageSetID`); when it has none, each sale is looked up by RefNumber and confirmed by ExternalGUID.
Only sales QuickBooks does not have go back to pending. A sale is never posted twice nor silently dropped.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from chalicelib.aws import WorkQueue
from chalicelib.dal import channels, company_lists, connections, mappings, orders
from chalicelib.dal.orders import StoredOrder
from chalicelib.orders import to_quickbooks as qb
from chalicelib.orders.model import Order, OrderInvalid, parse_order
from chalicelib.orders.settings import ChannelSettings
from chalicelib.qbxml import transactions as tx
from chalicelib.qbxml.message_set import render_error_recovery_query, render_message_set
from chalicelib.qbxml.responses import MessageSetResponse, QbResponse
from chalicelib.qbxml.status import explain_status
from chalicelib.sync.channels import settings_of
from chalicelib.sync.jobs import Applied, JobContext
from chalicelib.sync.orders import POST_ORDER, post_job

RECOVER_MESSAGE_SET = "recover_message_set"
MIN_QBXML_FOR_ORDERS = (9, 0)  # ExternalGUID on sales
INVALID_REFERENCE = 3140
TXN_KIND = {
    "sales_receipt": "SalesReceipt",
    "invoice": "Invoice",
    "sales_order": "SalesOrder",
    "sales_order_invoice_payment": "SalesOrder",
}
LOOKUP = {
    "SalesReceipt": tx.sales_receipt_query_by_ref,
    "Invoice": tx.invoice_query_by_ref,
    "SalesOrder": tx.sales_order_query_by_ref,
    "ReceivePayment": tx.receive_payment_query_by_ref,
    "CreditMemo": tx.credit_memo_query_by_ref,
}
LOOKUP_FIELDS = ("TxnID", "RefNumber", "ExternalGUID")


def _error(code: str | int, meaning: str, fix: str, retriable: bool) -> dict[str, Any]:
    return {"code": str(code), "message": meaning, "fix": fix, "retriable": retriable}


def _status_error(rs: QbResponse) -> dict[str, Any]:
    why = explain_status(rs.status_code, rs.status_message)
    return _error(rs.status_code, why.meaning, why.fix, why.retriable)


def _version(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major or 0), int(minor or 0)


@dataclass
class _Prepared:
    stored: StoredOrder
    order: Order
    settings: ChannelSettings
    receipt: str
    customer: str
    item_keys: list[str]


@dataclass
class _Batch:
    adds: list[etree._Element] = field(default_factory=list)
    add_names: dict[str, dict[str, str]] = field(default_factory=lambda: {"customer": {}, "item": {}})
    sales: list[tuple[_Prepared, list[etree._Element], dict[str, Any]]] = field(default_factory=list)


def documents_needed(order: Order, settings: ChannelSettings) -> list[tuple[str, str]]:
    """The QuickBooks documents an order needs, in posting order: (label, transaction kind)."""
    if settings.transaction_type == "sales_order_invoice_payment":
        needed = [("SalesOrder", "SalesOrder"), ("Invoice", "Invoice")]
        if min(order.paid_amount, order.total) > 0:
            needed.append(("ReceivePayment", "ReceivePayment"))
    else:
        kind = TXN_KIND[settings.transaction_type]
        needed = [(kind, kind)]
    for refund in sorted(order.refunds, key=lambda r: (r.created_at, r.refund_id)):
        needed.append((f"CreditMemo:{refund.refund_id}", "CreditMemo"))
    return needed


def _added_name(element: etree._Element) -> str:
    """The FullName an Item*Add/CustomerAdd request creates."""
    add = element[0]
    name = add.findtext("Name") or ""
    parent = add.findtext("ParentRef/FullName")
    return f"{parent}:{name}" if parent else name


class PostOrders:
    kind = POST_ORDER
    title = "post orders"
    batch_size = 100

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        refs: dict[tuple[str, str], list[str]] = {}
        for m in messages:
            refs.setdefault((str(m.get("channel_id")), str(m.get("order_id"))), []).append(m["receipt"])
        return {
            "step": "prepare",
            "refs": [{"channel_id": c, "order_id": o, "receipts": r} for (c, o), r in refs.items()],
        }

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | None:
        if state["step"] != "prepare":
            return None
        state["step"] = "done"
        settled: dict[str, list[str]] = {"finished": [], "released": []}
        state["settled"] = settled
        prepared = self._prepare(state["refs"], ctx, settled)
        if not prepared:
            return None
        set_id = "lb" + secrets.token_hex(10)  # 22 characters; qbXML allows 23
        claimed = []
        for p in prepared:
            if orders.claim(p.stored, set_id):
                claimed.append(p)
            else:
                settled["finished"].append(p.receipt)  # changed or taken meanwhile; its own message follows
        if not claimed:
            return None
        batch = self._build(claimed, ctx, settled, set_id)
        record = {
            "id": set_id,
            "adds": batch.add_names,
            "orders": [entry for _, _, entry in batch.sales],
        }
        if not batch.sales or not connections.record_unresolved_set(ctx.connection_id, ctx.ticket, record):
            for p, _, _ in batch.sales:
                orders.back_to_pending(p.stored, set_id, None)
                settled["released"].append(p.receipt)
            return None
        state["step"] = "sent"
        state["message_set"] = record
        requests = batch.adds + [el for _, els, _ in batch.sales for el in els]
        return render_message_set(
            requests, version=ctx.qbxml_version, on_error="continueOnError", new_message_set_id=set_id
        )

    def _prepare(
        self, refs: list[dict[str, Any]], ctx: JobContext, settled: dict[str, list[str]]
    ) -> list[_Prepared]:
        stored = {
            (o.channel_id, o.order_id): o
            for o in orders.get_many((r["channel_id"], r["order_id"]) for r in refs)
        }
        channel_settings: dict[str, ChannelSettings | None] = {}
        prepared: list[_Prepared] = []
        too_old = _version(ctx.qbxml_version) < MIN_QBXML_FOR_ORDERS
        for ref in refs:
            first, *duplicates = ref["receipts"]
            settled["finished"].extend(duplicates)
            current = stored.get((ref["channel_id"], ref["order_id"]))
            if current is None or current.status != orders.PENDING:
                settled["finished"].append(first)
                continue
            if too_old:
                self._fail_now(
                    current,
                    first,
                    settled,
                    _error(
                        "qbxml_version",
                        f"This QuickBooks supports qbXML {ctx.qbxml_version}; posting orders needs 9.0 or later "
                        "(QuickBooks 2010 or newer).",
                        "Update QuickBooks Desktop, then retry the order.",
                        False,
                    ),
                )
                continue
            if current.channel_id not in channel_settings:
                channel = channels.get(current.channel_id)
                channel_settings[current.channel_id] = settings_of(channel) if channel else None
            settings = channel_settings[current.channel_id]
            if settings is None:
                self._fail_now(
                    current,
                    first,
                    settled,
                    _error("channel", "The channel of this order was deleted.", "", False),
                )
                continue
            try:
                order = parse_order(current.document)
                qb.check_totals(order)
                prepared.append(
                    _Prepared(
                        stored=current,
                        order=order,
                        settings=settings,
                        receipt=first,
                        customer=qb.customer_name(order, settings),
                        item_keys=[qb.item_name(line, settings) for line in order.lines],
                    )
                )
            except (OrderInvalid, qb.OrderNotPostable) as exc:
                self._fail_now(
                    current,
                    first,
                    settled,
                    _error(
                        "order",
                        str(exc),
                        "Correct the order in the store and send it again, then retry.",
                        False,
                    ),
                )
        return prepared

    @staticmethod
    def _fail_now(
        order: StoredOrder, receipt: str, settled: dict[str, list[str]], error: dict[str, Any]
    ) -> None:
        orders.mark_failed(order, None, error)
        settled["finished"].append(receipt)

    def _build(
        self, batch: list[_Prepared], ctx: JobContext, settled: dict[str, list[str]], set_id: str
    ) -> _Batch:
        out = _Batch()
        known_customers = mappings.known(ctx.connection_id, "customer", {p.customer for p in batch})
        item_index = _ItemIndex(ctx.connection_id)
        item_index.prefetch(batch)
        added_customers: set[str] = set()
        added_items: set[str] = set()
        used = 0  # bytes of the message set so far
        for n, p in enumerate(batch):
            prefix = f"o{n}"
            remaining = [d for d in documents_needed(p.order, p.settings) if d[0] not in p.stored.documents]
            if not remaining:  # everything is in QuickBooks already (e.g. a refund of nothing)
                orders.record_complete(p.stored, set_id)
                settled["finished"].append(p.receipt)
                continue
            label, kind = remaining[0]
            try:
                adds: list[etree._Element] = []
                item_adds: list[etree._Element] = []
                first = not p.stored.documents
                if first and p.customer not in known_customers and p.customer not in added_customers:
                    rid = f"{prefix}-customer"
                    adds.append(qb.customer_add_request(p.order, p.settings, request_id=rid))
                items: dict[str, str] = {}
                if first or kind == "CreditMemo":
                    items, missing = item_index.match(p, added_items)
                    if missing:
                        item_adds = qb.missing_item_requests(
                            p.order, p.settings, country=ctx.country, request_prefix=prefix, missing=missing
                        )
                sale = self._document(p, label, kind, prefix, items, ctx)
            except qb.OrderNotPostable as exc:
                orders.mark_failed(
                    p.stored,
                    set_id,
                    _error("order", str(exc), "Change the channel settings or the order, then retry.", False),
                )
                settled["finished"].append(p.receipt)
                continue
            if not sale:  # a refund with nothing to credit
                orders.record_document(
                    p.stored,
                    set_id,
                    label=label,
                    txn_id="",
                    txn_type=kind,
                    ref_number=None,
                    complete=len(remaining) == 1,
                )
                settled["finished"].append(p.receipt)
                if len(remaining) > 1:
                    requeue([(p.stored.channel_id, p.stored.order_id)], ctx.connection_id)
                continue
            size = sum(len(etree.tostring(e)) for e in (*adds, *item_adds, *sale))
            if out.sales and used + size > ctx.message_set_bytes:
                # Over the size budget: this order waits for the next message set.
                orders.back_to_pending(p.stored, set_id, None)
                settled["released"].append(p.receipt)
                continue
            used += size
            for element in adds:
                out.add_names["customer"][element.get("requestID", "")] = p.customer
                added_customers.add(p.customer)
            for element in item_adds:
                name = _added_name(element)
                added_items.add(name.casefold())
                out.add_names["item"][element.get("requestID", "")] = name
            out.adds.extend(adds + item_adds)
            add = sale[0][0]
            entry = {
                "channel_id": p.stored.channel_id,
                "order_id": p.stored.order_id,
                "receipt": p.receipt,
                "request_id": sale[0].get("requestID"),
                "label": label,
                "txn_type": kind,
                "ref_number": add.findtext("RefNumber") or "",
                "guid": add.findtext("ExternalGUID") or p.stored.external_guid,
                "complete": len(remaining) == 1,
            }
            out.sales.append((p, sale, entry))
        return out

    @staticmethod
    def _document(
        p: _Prepared, label: str, kind: str, prefix: str, items: dict[str, str], ctx: JobContext
    ) -> list[etree._Element]:
        """The add request(s) for the order's next document."""
        guid = p.stored.external_guid
        if kind == "CreditMemo":
            return qb.refund_requests(
                p.order,
                p.settings,
                country=ctx.country,
                request_prefix=prefix,
                customer=p.customer,
                guid=guid,
                items=items,
                refund_ids=[label.split(":", 1)[1]],
            )
        if kind == "ReceivePayment":
            return [
                qb.payment_request(
                    p.order,
                    p.settings,
                    request_id=f"{prefix}-payment",
                    customer=p.customer,
                    invoice_txn_id=p.stored.documents["Invoice"],
                    guid=qb.derived_guid(guid, "payment"),
                )
            ]
        if label == "Invoice" and p.settings.transaction_type == "sales_order_invoice_payment":
            return qb.sale_requests(
                p.order,
                p.settings,
                country=ctx.country,
                request_prefix=prefix,
                txn_type="sales_order_invoice_payment",
                customer=p.customer,
                guid=qb.derived_guid(guid, "invoice"),
                linked_sales_order_txn_id=p.stored.documents["SalesOrder"],
                items=items,
            )
        return qb.sale_requests(
            p.order,
            p.settings,
            country=ctx.country,
            request_prefix=prefix,
            txn_type=p.settings.transaction_type,
            customer=p.customer,
            guid=guid,
            items=items,
        )

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        applied = apply_message_set(state["message_set"], response, ctx, requeue_pending=False)
        settled = state.get("settled", {})
        applied.finished.extend(settled.get("finished", []))
        applied.released.extend(settled.get("released", []))
        state["step"] = "done"
        applied.state = state
        return applied

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        return (1, 0) if state["step"] == "done" else (0, 1)


class _ItemIndex:
    """The company's items as the cache and the mappings know them, to tell which a batch must add."""

    def __init__(self, connection_id: str) -> None:
        self.records = company_lists.list_records(connection_id, "item")
        self.by_full = {r.full_name.casefold(): r.full_name for r in self.records}
        self.by_name: dict[str, str] = {}
        self.by_mpn: dict[str, str] = {}
        for r in self.records:
            self.by_name.setdefault(r.name.casefold(), r.full_name)
            mpn = r.details.get("manufacturer_part_number")
            if mpn:
                self.by_mpn.setdefault(str(mpn).casefold(), r.full_name)
        self.connection_id = connection_id
        self._mapped: dict[str, str] = {}
        self._asked: set[str] = set()

    @staticmethod
    def keys(p: _Prepared) -> set[str]:
        return set(p.item_keys) | {
            name for name in (p.settings.shipping_item, p.settings.discount_item, p.settings.fee_item) if name
        }

    def prefetch(self, batch: Iterable[_Prepared]) -> None:
        """Ask the mappings about every item key of the batch at once (one batch read, not one per order)."""
        unknown = {k for p in batch for k in self.keys(p) if k.casefold() not in self._asked}
        if unknown:
            for name in mappings.known(self.connection_id, "item", unknown):
                self._mapped[name.casefold()] = name
            self._asked.update(k.casefold() for k in unknown)

    def match(self, p: _Prepared, added: set[str]) -> tuple[dict[str, str], set[str]]:
        keys = self.keys(p)
        self.prefetch([p])
        items: dict[str, str] = {}
        missing: set[str] = set()
        matching = p.settings.product_matching
        for key in keys:
            folded = key.casefold()
            found = (
                self.by_mpn.get(folded)
                if matching == "manufacturer_part_number" and key in p.item_keys
                else self.by_full.get(folded) or (self.by_name.get(folded) if matching == "name" else None)
            ) or self._mapped.get(folded)
            if found:
                items[key] = found
            elif folded not in added:
                missing.add(key)
        return items, missing


def apply_message_set(
    record: dict[str, Any], response: MessageSetResponse, ctx: JobContext, *, requeue_pending: bool
) -> Applied:
    """Settle every order of a recorded message set from QuickBooks' answer, then clear the record.

    Idempotent: every transition is conditional on the order being in flight in this very set. With
    `requeue_pending` (recovery: the set's queue messages belong to a dead session) orders that go back to
    pending get a new queue message."""
    by_id = {r.request_id: r for r in response.responses}
    learned: dict[str, dict[str, str | None]] = {"customer": {}, "item": {}}
    for kind, rids in record["adds"].items():
        for rid, name in rids.items():
            rs = by_id.get(rid)
            if rs is not None and (rs.ok or rs.status_code == 3100):
                learned[kind][name] = rs.rets[0].findtext("ListID") if rs.rets else None
    for kind, names in learned.items():
        if names:
            mappings.remember(ctx.connection_id, kind, names)
    # An add that failed transiently makes the sales naming it fail with 3140 (invalid reference): those
    # are as transient as the add itself.
    add_failed_transiently = any(
        (rs := by_id.get(rid)) is not None
        and not rs.ok
        and explain_status(rs.status_code, rs.status_message).retriable
        for rids in record["adds"].values()
        for rid in rids
    )
    applied = Applied(state={}, done=True)
    again: list[tuple[str, str]] = []
    next_documents: list[tuple[str, str]] = []  # orders with another document to post: always queued
    dead: list[tuple[StoredOrder, str]] = []
    current = {
        (o.channel_id, o.order_id): o
        for o in orders.get_many((e["channel_id"], e["order_id"]) for e in record["orders"])
    }
    for entry in record["orders"]:
        stored = current.get((entry["channel_id"], entry["order_id"]))
        rs = by_id.get(entry["request_id"])
        if stored is None or stored.status != orders.IN_FLIGHT or stored.message_set_id != record["id"]:
            applied.finished.append(entry["receipt"])
            continue
        if rs is not None and rs.ok and rs.rets:
            ret = rs.rets[0]
            complete = bool(entry.get("complete", True))
            warning = _total_difference(stored, entry, ret)
            if warning:
                applied.errors.append(f"Order {stored.number}: {warning['message']}")
            orders.record_document(
                stored,
                record["id"],
                label=entry.get("label", entry["txn_type"]),
                txn_id=ret.findtext("TxnID") or "",
                txn_type=entry["txn_type"],
                ref_number=ret.findtext("RefNumber"),
                complete=complete,
                warning=warning,
            )
            _count(applied, "orders_synced" if complete else "documents_posted")
            applied.finished.append(entry["receipt"])
            if not complete:
                next_documents.append((stored.channel_id, stored.order_id))
            continue
        error = _status_error(rs) if rs is not None else None
        if (
            error is not None
            and add_failed_transiently
            and rs is not None
            and rs.status_code == INVALID_REFERENCE
        ):
            error = {**error, "retriable": True}
        if error is None or (error["retriable"] and stored.attempts < ctx.max_attempts):
            orders.back_to_pending(stored, record["id"], error)
            # Not answered: straight back. A transient error (a locked record...): after a back-off.
            (applied.deferred if error else applied.released).append(entry["receipt"])
            again.append((stored.channel_id, stored.order_id))
            _count(applied, "orders_retried")
        else:
            if error["retriable"]:  # kept failing: it goes to the dead-letter queue, shown as failed
                error = {
                    **error,
                    "retriable": False,
                    "message": f"{error['message']} (gave up after {stored.attempts} attempts)",
                    "fix": "QuickBooks kept refusing it for the same passing reason (a record in use or "
                    "locked). When nobody is editing it in QuickBooks, retry the order.",
                }
                dead.append((stored, entry["receipt"]))
            else:
                applied.finished.append(entry["receipt"])
            orders.mark_failed(stored, record["id"], error)
            applied.errors.append(f"Order {stored.number}: {error['message']}")
            _count(applied, "orders_failed")
    if dead:
        queue = WorkQueue(ctx.connection_id)
        for stored, receipt in dead:
            queue.dead_letter(post_job(stored.channel_id, stored.order_id), receipt)
    to_queue = next_documents + (again if requeue_pending else [])
    if to_queue:
        requeue(to_queue, ctx.connection_id)
    connections.clear_unresolved_set(ctx.connection_id, record["id"])
    return applied


def _total_difference(
    stored: StoredOrder, entry: dict[str, Any], ret: etree._Element
) -> dict[str, Any] | None:
    """When QuickBooks' total for the sale differs from what the store charged (QuickBooks computes US sales
    tax itself from the sales tax item's rate), say so on the order: the sale is recorded, but the merchant
    should check the tax settings."""
    if (
        entry["txn_type"] not in ("SalesReceipt", "Invoice", "SalesOrder")
        or entry.get("label") != entry["txn_type"]
    ):
        return None
    total = ret.findtext("TotalAmount")
    if total is None and ret.findtext("Subtotal") is not None:
        total = str(Decimal(ret.findtext("Subtotal") or "0") + Decimal(ret.findtext("SalesTaxTotal") or "0"))
    expected = stored.document.get("total")
    if total is None or expected is None:
        return None
    try:
        difference = Decimal(total) - Decimal(str(expected))
    except InvalidOperation:
        return None
    if difference == 0:
        return None
    return _error(
        "total_difference",
        f"QuickBooks recorded a total of {Decimal(total):.2f}; the store charged {Decimal(str(expected)):.2f} "
        f"(difference {difference:+.2f}).",
        "Usually sales tax: check the channel's sales tax item and tax codes against the store's tax.",
        False,
    )


def _count(applied: Applied, name: str) -> None:
    applied.counts[name] = applied.counts.get(name, 0) + 1


class RecoverMessageSet:
    """Learns what QuickBooks did with a message set whose answer never arrived, before anything else."""

    kind = RECOVER_MESSAGE_SET
    title = "recover a message set whose answer was lost"
    batch_size = 0  # never taken from the queue: started by the session when the connection has one

    @staticmethod
    def job_for(record: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": RECOVER_MESSAGE_SET,
            "job_id": record["id"],
            "receipts": [],
            "state": {"record": record, "step": "status"},
        }

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        raise NotImplementedError("recovery jobs are started by the session, not from the queue")

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | None:
        record = state["record"]
        if state["step"] == "status":
            return render_error_recovery_query(record["id"], version=ctx.qbxml_version)
        if state["step"] == "lookup":
            queries = [
                LOOKUP[e["txn_type"]](e["request_id"], e["ref_number"], include=LOOKUP_FIELDS)
                for e in record["orders"]
                if e["ref_number"]
            ]
            if not queries:  # nothing can be looked up: QuickBooks cannot have these; post them again
                apply_message_set(record, MessageSetResponse(responses=()), ctx, requeue_pending=True)
                state["step"] = "done"
                return None
            return render_message_set(queries, version=ctx.qbxml_version, on_error="continueOnError")
        return None

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        record = state["record"]
        if state["step"] == "status":
            status = response.message_set_status_code
            if response.responses and (status is None or status == 0):
                applied = apply_message_set(record, response, ctx, requeue_pending=True)
                applied.state = {**state, "step": "done"}
                applied.counts["message_sets_recovered"] = 1
                return applied
            state = {**state, "step": "lookup"}
            return Applied(state=state, done=False)
        # lookup: a sale QuickBooks has (same ExternalGUID) is synced; any other order was never posted.
        by_id = {r.request_id: r for r in response.responses}
        found: dict[str, etree._Element] = {}
        for entry in record["orders"]:
            rs = by_id.get(entry["request_id"])
            for ret in rs.rets if rs is not None else ():
                if (ret.findtext("ExternalGUID") or "").upper() == entry["guid"].upper():
                    found[entry["request_id"]] = ret
        synthetic = MessageSetResponse(
            responses=tuple(
                _as_added(entry, found[entry["request_id"]])
                for entry in record["orders"]
                if entry["request_id"] in found
            )
        )
        applied = apply_message_set(record, synthetic, ctx, requeue_pending=True)
        applied.state = {**state, "step": "done"}
        applied.counts["message_sets_recovered"] = 1
        return applied

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        return (1, 0) if state["step"] == "done" else (0, 1)


def _as_added(entry: dict[str, Any], ret: etree._Element) -> QbResponse:
    """A found sale, shaped as the answer its add would have had."""
    return QbResponse(
        kind=f"{entry['txn_type']}Add",
        request_id=entry["request_id"],
        status_code=0,
        status_severity="Info",
        status_message="Found by RefNumber and ExternalGUID after a lost answer",
        iterator_id=None,
        iterator_remaining_count=None,
        rets=(ret,),
    )


def requeue(order_refs: Iterable[tuple[str, str]], connection_id: str) -> None:
    WorkQueue(connection_id).send_many([post_job(c, o) for c, o in order_refs])
