"""Posting orders to QuickBooks: a batch of orders per message set, exactly once.

One message set carries, in order, the customer and item adds the batch needs (names QuickBooks is not known
to have, and every item any request of the set names) and then the documents; with `continueOnError` a 3100
on an add means the record exists, and the sale that names it still goes through. Before the set is
returned to the Web Connector every order moves pending -> in_flight (conditional write) and the set is
recorded on the connection as *unresolved*; its answer settles each order (`settle_orders`) and clears the
record. Every requestID starts with the set's id, so an answer is tied to the set it answers.

Orders marked `verify` (an earlier answer left their fate open, or the merchant retried them) are first looked
up by RefNumber and ExternalGUID in a round trip of their own (`recover_orders`): only documents QuickBooks
does not have are posted. A set still unresolved when a session asks for work is recovered before anything
else (`RecoverMessageSet`). A document is never posted twice nor silently dropped.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lxml import etree

from chalicelib.dal import channels, connections, mappings, orders
from chalicelib.dal.orders import StoredOrder
from chalicelib.orders import to_quickbooks as qb
from chalicelib.orders.model import Order, OrderInvalid, parse_order
from chalicelib.orders.quickbooks import currency as qb_currency
from chalicelib.orders.quickbooks.extras import line_choices
from chalicelib.orders.quickbooks.payments import (
    PAYMENT_LABEL,
    invoice_payment_request,
    payment_labels,
    recorded_total,
)
from chalicelib.orders.quickbooks.tax import expected_total
from chalicelib.orders.settings import ChannelSettings
from chalicelib.qbxml.message_set import render_message_set
from chalicelib.qbxml.requests import ADDED_LIST_ENTRY_INCLUDE, added_transaction_include, answer_only
from chalicelib.qbxml.responses import MessageSetResponse
from chalicelib.rules import PostingExtras
from chalicelib.sync import customer_emails, kept_settings, line_lists, order_rules, summary_channels
from chalicelib.sync.channels import settings_of
from chalicelib.sync.company_items import added_name, company_items
from chalicelib.sync.jobs import (
    RECOVER_MESSAGE_SET,
    Applied,
    ForeignAnswer,
    JobContext,
    KeptRequest,
    unpacked_json,
)
from chalicelib.sync.order_jobs import POST_ORDER, order_refs
from chalicelib.sync.orders import complete_in_set
from chalicelib.sync.recover_orders import RecoverMessageSet, found_documents, lookup_requests
from chalicelib.sync.settle_orders import SetSettled, apply_message_set, check_belongs, order_error

__all__ = [
    "RECOVER_MESSAGE_SET",
    "PostOrders",
    "RecoverMessageSet",
    "documents_needed",
    "give_back_unsent_set",
]

MIN_QBXML_FOR_ORDERS = (9, 0)  # ExternalGUID on sales
TXN_KIND = {
    "sales_receipt": "SalesReceipt",
    "invoice": "Invoice",
    "sales_order": "SalesOrder",
    "sales_order_invoice_payment": "SalesOrder",
}


def _version(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major or 0), int(minor or 0)


@dataclass
class _Prepared:
    stored: StoredOrder
    order: Order  # as the tenant's order rules left it
    settings: ChannelSettings  # the channel's, as the rules changed them for this order
    customer: str
    item_keys: list[str]
    extras: PostingExtras | None = None  # the rules' choices the settings have no field for
    rule_ids: tuple[str, ...] = ()  # the rules that changed the order
    currency: qb_currency.CurrencyPosting | None = None  # a foreign-currency order's (multicurrency files)


@dataclass
class _Batch:
    adds: list[etree._Element] = field(default_factory=list)
    add_names: dict[str, dict[str, str]] = field(default_factory=lambda: {"customer": {}, "item": {}})
    sales: list[tuple[_Prepared, list[etree._Element], dict[str, Any]]] = field(default_factory=list)


def documents_needed(
    order: Order,
    settings: ChannelSettings,
    documents: Mapping[str, str] | None = None,
    *,
    invoice_total: str | None = None,
) -> list[tuple[str, str]]:
    """The QuickBooks documents an order needs, in posting order: (label, transaction kind). `documents`: those
    it has already (an order posted with the staged flow's single payment needs no other); `invoice_total`: what
    QuickBooks recorded for its invoice, which the payments never exceed (`StoredOrder.invoice_total`)."""
    if settings.transaction_type == "sales_order_invoice_payment":
        needed = [("SalesOrder", "SalesOrder"), ("Invoice", "Invoice")]
    else:
        kind = TXN_KIND[settings.transaction_type]
        needed = [(kind, kind)]
    # The invoice's payments, one document each ("ReceivePayment:<key>"; docs/accounting/paid-invoices.md).
    needed += [
        (label, "ReceivePayment")
        for label in payment_labels(order, settings, documents, invoice_total=recorded_total(invoice_total))
    ]
    for refund in sorted(order.refunds, key=lambda r: (r.created_at, r.refund_id)):
        needed.append((f"CreditMemo:{refund.refund_id}", "CreditMemo"))
    return needed


class PostOrders:
    kind = POST_ORDER
    title = "post orders"
    batch_size = 100
    rebuilds_request = False  # adds, and a claimed set: the request sent is kept for a resend

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        refs = dict.fromkeys(ref for m in messages for ref in order_refs(m))
        return {"step": "prepare", "refs": [{"channel_id": c, "order_id": o} for c, o in refs]}

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | KeptRequest | None:
        """The job's next message set: orders to verify are looked up first; the others are posted. Orders the
        set has no room for, or that come back to be posted again, stay in the job for its next round trip."""
        while state["step"] == "prepare" and state["refs"]:
            limit = max(1, ctx.orders_per_message_set)
            taken, state["refs"] = state["refs"][:limit], state["refs"][limit:]
            emails = customer_emails.emails_of(state)
            prepared = self._prepare(taken, ctx, emails)
            customer_emails.keep_claims(state, emails)  # new names the batch's orders took (name_email_match)
            if not prepared:
                continue
            # Name-and-e-mail customer matching: the QuickBooks e-mails of new names first (one round trip).
            lookup = customer_emails.lookup_request(prepared, state, ctx.qbxml_version)
            if lookup is not None:
                state["refs"] = [_ref(p) for p in prepared] + state["refs"]
                return lookup
            to_verify = [p for p in prepared if p.stored.verify]
            if to_verify:
                # Look these up in QuickBooks first; the others wait for the next message set of this job.
                state["refs"] = [_ref(p) for p in prepared if not p.stored.verify] + state["refs"]
                request: str | KeptRequest | None = self._verify(to_verify, state, ctx)
            else:
                request = self._post(prepared, state, ctx)
            if request is not None:
                return request
        state["step"] = "done"
        return None

    def _post(
        self, prepared: list[_Prepared], state: dict[str, Any], ctx: JobContext
    ) -> str | KeptRequest | None:
        set_id = _new_set_id()
        claimed = self._claim(prepared, set_id)
        if not claimed:
            return None
        batch, left_over = self._build(claimed, ctx, set_id)
        state["refs"] = [_ref(p) for p in left_over] + state["refs"]
        requests = batch.adds + [el for _, els, _ in batch.sales for el in els]
        record = {
            "id": set_id,
            "adds": batch.add_names,
            "orders": [entry for _, _, entry in batch.sales],
            "request_ids": [str(r.get("requestID")) for r in requests],
        }
        if not batch.sales:
            return None
        request = render_message_set(
            requests, version=ctx.qbxml_version, on_error="continueOnError", new_message_set_id=set_id
        )
        # The request is kept for a resend in the set's record (one payload item, compressed together), so the
        # ticket carries neither: it stays under 1 KB, a write unit at each of its writes. The ticket names the set
        # (`KeptRequest.message_set`), saved before the request leaves.
        connections.record_message_set(ctx.connection_id, record, request=request)
        state["step"] = "sent"
        state["message_set_id"] = set_id
        return _kept_with_record(request, set_id, ctx)

    @staticmethod
    def _claim(prepared: list[_Prepared], set_id: str) -> list[_Prepared]:
        """pending -> in_flight for the whole batch at once (each order's own condition kept). An order whose
        condition fails was changed or taken meanwhile: a queue message for its new state follows."""
        written = orders.write_changes([orders.claim_change(p.stored, set_id, p.rule_ids) for p in prepared])
        return [p for p, held in zip(prepared, written, strict=True) if held]

    def _verify(self, batch: list[_Prepared], state: dict[str, Any], ctx: JobContext) -> KeptRequest | None:
        """A round trip of queries by RefNumber for the next document of each order to verify. Recorded as the
        session's unsettled set (a lookup set: no error recovery), so a lost answer is looked up again."""
        set_id = _new_set_id()
        claimed = self._claim(batch, set_id)
        entries = []
        for n, p in enumerate(claimed):
            needed = [
                d
                for d in documents_needed(
                    p.order, p.settings, p.stored.documents, invoice_total=p.stored.invoice_total
                )
                if d[0] not in p.stored.documents
            ]
            entry = self._entry(p, needed, f"{set_id}-o{n}", ctx) if needed else None
            if entry is None:
                # Nothing left to post, or nothing to look it up by: post it as a new document would be
                # unsafe, so it fails with the reason for the merchant.
                if not needed:
                    complete_in_set(p.stored, set_id)
                else:
                    orders.mark_failed(
                        p.stored,
                        set_id,
                        order_error(
                            "verify",
                            "Ledgerbridge cannot tell whether QuickBooks already has this order's next document.",
                            "Check QuickBooks for it; if it is missing, change the order in the store to send "
                            "it again.",
                            False,
                        ),
                    )
                continue
            entries.append(entry)
        if not entries:
            return None
        record = {
            "id": set_id,
            "lookup_only": True,
            "adds": {"customer": {}, "item": {}},
            "orders": entries,
            "request_ids": [e["request_id"] for e in entries],
        }
        request = render_message_set(
            lookup_requests(entries), version=ctx.qbxml_version, on_error="continueOnError"
        )
        connections.record_message_set(ctx.connection_id, record, request=request)
        state["step"] = "verify"
        state["message_set_id"] = set_id
        return _kept_with_record(request, set_id, ctx)

    def _entry(
        self, p: _Prepared, needed: list[tuple[str, str]], prefix: str, ctx: JobContext
    ) -> dict[str, Any] | None:
        """The record of the order's next document: its request id, kind, RefNumber and ExternalGUID."""
        label, kind = needed[0]
        try:
            document = self._document(p, label, kind, prefix, {}, ctx)
        except qb.OrderNotPostable:
            return None
        if not document:
            return None
        add = document[0][0]
        ref = add.findtext("RefNumber") or ""
        if not ref:
            return None
        return {
            **_in_flight_facts(p),
            "request_id": document[0].get("requestID"),
            "label": label,
            "txn_type": kind,
            "ref_number": ref,
            "guid": add.findtext("ExternalGUID") or p.stored.external_guid,
            "complete": len(needed) == 1,
        }

    def _prepare(
        self,
        refs: list[dict[str, Any]],
        ctx: JobContext,
        emails: dict[str, str | None] | None = None,  # customers' QuickBooks e-mails (customer_emails): new
        # names the orders take are claimed in it with their e-mails
    ) -> list[_Prepared]:
        stored = {
            (o.channel_id, o.order_id): o
            for o in orders.get_many((r["channel_id"], r["order_id"]) for r in refs)
        }
        channel_settings: dict[str, tuple[ChannelSettings, str] | None] = {}
        rules: order_rules.TenantRules | None = (
            None  # the tenant's rules, read and compiled once for the batch
        )
        prepared: list[_Prepared] = []
        too_old = _version(ctx.qbxml_version) < MIN_QBXML_FOR_ORDERS
        for ref in refs:
            current = stored.get((ref["channel_id"], ref["order_id"]))
            if current is None or current.status != orders.PENDING:
                continue  # settled, failed or taken meanwhile: nothing to do for this message
            if too_old:
                self._fail_now(
                    current,
                    order_error(
                        "qbxml_version",
                        f"This QuickBooks supports qbXML {ctx.qbxml_version}; posting orders needs 9.0 or later "
                        "(QuickBooks 2010 or newer).",
                        "Update QuickBooks Desktop, then retry the order.",
                        False,
                    ),
                )
                continue
            if current.channel_id not in channel_settings:
                channel = kept_settings.kept(
                    ("channel", ctx.connection_id, current.channel_id),
                    ctx.channels_version,
                    partial(channels.get, current.channel_id),
                )
                channel_settings[current.channel_id] = (
                    (settings_of(channel), channel.kind) if channel else None
                )
            known = channel_settings[current.channel_id]
            if known is None:
                self._fail_now(
                    current,
                    order_error("channel", "The channel of this order was deleted.", "", False),
                )
                continue
            settings, store_kind = known
            if summary_channels.is_summary(settings) and not summary_channels.posted_alone(current):
                # The channel posts a summary per day, not orders; an order already posted one by one (before
                # the channel summarised) keeps being posted so: its refunds and payments are documents of its own.
                self._hand_over(current, settings, ctx)
                continue
            if rules is None:
                rules = kept_settings.kept(
                    ("rules", ctx.connection_id, current.tenant_id),
                    ctx.channels_version,
                    partial(order_rules.for_tenant, current.tenant_id),
                )
            try:
                ruled = rules.apply(parse_order(current.document), settings, current.channel_id, store_kind)
                if ruled.skip_reason:
                    self._fail_now(
                        current,
                        order_error(
                            order_rules.NOT_IMPORTED,
                            f"Not sent to QuickBooks: {ruled.skip_reason}.",
                            "Change or disable the rule, then retry the order.",
                            False,
                        ),
                    )
                    continue
                order, settings, extras = ruled.order, ruled.settings, ruled.extras
                order, extras = line_choices(order, settings, extras)  # line settings, bundles as components
                qb.check_totals(order)
                mapped = extras.line_items if extras is not None else {}
                currency = _foreign_currency(
                    current, order, settings, qb.customer_name(order, settings, emails), ctx
                )
                prepared.append(
                    _Prepared(
                        stored=current,
                        order=order,
                        settings=settings,
                        customer=qb.customer_name(order, settings, emails),
                        item_keys=[
                            mapped.get(line.line_id) or qb.item_name(line, settings) for line in order.lines
                        ],
                        extras=extras,
                        rule_ids=ruled.rule_ids,
                    )
                )
                if emails is not None:
                    customer_emails.claim_new_name(emails, order, settings, prepared[-1].customer)
                if currency is not None:  # posted to the customer in the order's currency
                    prepared[-1].currency, prepared[-1].customer = currency, currency.customer
            except (OrderInvalid, qb.OrderNotPostable) as exc:
                self._fail_now(
                    current,
                    order_error(
                        "order",
                        str(exc),
                        "Correct the order in the store and send it again, then retry.",
                        False,
                    ),
                )
        return prepared

    @staticmethod
    def _fail_now(order: StoredOrder, error: dict[str, Any]) -> None:
        orders.mark_failed(order, None, error)

    def _hand_over(self, current: StoredOrder, settings: ChannelSettings, ctx: JobContext) -> None:
        """An order of a summary channel joins its days' summaries (chalicelib/sync/summary_transactions.py); an
        order in a foreign currency cannot (a summary is in the home currency) and fails with the reason."""
        try:
            refusal = summary_channels.currency_refusal(current, parse_order(current.document), ctx)
            if refusal is not None:
                self._fail_now(
                    current,
                    order_error(
                        "order",
                        refusal,
                        "Post this store's foreign-currency orders through a channel without daily summaries.",
                        False,
                    ),
                )
                return
            summary_channels.hand_over(current, settings, ctx.connection_id, ctx.now)
        except OrderInvalid as exc:
            self._fail_now(
                current,
                order_error("order", str(exc), "Correct the order in the store and send it again.", False),
            )

    def _build(self, batch: list[_Prepared], ctx: JobContext, set_id: str) -> tuple[_Batch, list[_Prepared]]:
        """The set's requests, and the orders left for the job's next set (over the size budget, or with a next
        document to post)."""
        out = _Batch()
        left_over: list[_Prepared] = []
        # The customers and items QuickBooks is known to have, both kinds in one batch read.
        item_keys = {k for p in batch for k in _ItemIndex.keys(p)}
        known = mappings.known_many(
            ctx.connection_id, {"customer": {p.customer for p in batch}, "item": item_keys}
        )
        known_customers = known["customer"]
        item_index = _ItemIndex(ctx.connection_id, ctx.lists_refreshed_at)
        item_index.learn(known["item"], item_keys)
        added_customers: set[str] = set()
        added_items: set[str] = set()
        used = 0  # bytes of the message set so far
        for n, p in enumerate(batch):
            prefix = (
                f"{set_id}-o{n}"  # every request id names its set: an answer is tied to the set it answers
            )
            remaining = [
                d
                for d in documents_needed(
                    p.order, p.settings, p.stored.documents, invoice_total=p.stored.invoice_total
                )
                if d[0] not in p.stored.documents
            ]
            if not remaining:  # everything is in QuickBooks already (e.g. a refund of nothing)
                complete_in_set(p.stored, set_id)
                continue
            label, kind = remaining[0]
            try:
                adds: list[etree._Element] = []
                item_adds: list[etree._Element] = []
                first = not p.stored.documents
                if first and p.customer not in known_customers and p.customer not in added_customers:
                    rid = f"{prefix}-customer"
                    adds.append(qb.customer_add_request(p.order, p.settings, request_id=rid, name=p.customer))
                    if p.currency is not None:
                        qb_currency.customer_in_currency(adds[-1], p.currency)
                items, missing = item_index.match(p, added_items)
                sale = self._document(p, label, kind, prefix, items, ctx)
                if p.currency is not None:
                    qb_currency.in_currency(sale, p.currency)
                needed = qb.needed_items(missing, sale, p.settings)
                if needed:
                    item_adds = qb.missing_item_requests(
                        p.order,
                        p.settings,
                        country=ctx.country,
                        request_prefix=prefix,
                        missing=needed,
                        extras=p.extras,
                    )
            except qb.OrderNotPostable as exc:
                orders.mark_failed(
                    p.stored,
                    set_id,
                    order_error(
                        "order", str(exc), "Change the channel settings or the order, then retry.", False
                    ),
                )
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
                    new_message=False,  # its next document: in this job (left_over)
                )
                if len(remaining) > 1:
                    left_over.append(p)
                continue
            size = sum(len(etree.tostring(e)) for e in (*adds, *item_adds, *sale))
            if out.sales and used + size > ctx.message_set_bytes:
                # Over the size budget: this order waits for the next message set (of this job).
                orders.back_to_pending(p.stored, set_id, None, verify=p.stored.verify, new_message=False)
                left_over.append(p)
                continue
            used += size
            for element in adds:
                out.add_names["customer"][element.get("requestID", "")] = p.customer
                added_customers.add(p.customer)
            for element in item_adds:
                name = added_name(element)
                added_items.add(name.casefold())
                out.add_names["item"][element.get("requestID", "")] = name
            # Only what is read back is asked for: the answers shrink to a few ids per request.
            for element in (*adds, *item_adds):
                answer_only(element, ADDED_LIST_ENTRY_INCLUDE)
            for element in sale:
                answer_only(element, added_transaction_include(element))
            out.adds.extend(adds + item_adds)
            add = sale[0][0]
            entry = {
                **_in_flight_facts(p),
                "request_id": sale[0].get("requestID"),
                "label": label,
                "txn_type": kind,
                "ref_number": add.findtext("RefNumber") or "",
                "guid": add.findtext("ExternalGUID") or p.stored.external_guid,
                "complete": len(remaining) == 1,
            }
            out.sales.append((p, sale, entry))
        return out, left_over

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
                extras=p.extras,
            )
        if label.startswith(PAYMENT_LABEL):  # one payment of the order, applied to its invoice
            payment = invoice_payment_request(
                p.order,
                p.settings,
                label.removeprefix(PAYMENT_LABEL),
                request_id=f"{prefix}-payment",
                customer=p.customer,
                invoice_txn_id=p.stored.documents.get("Invoice", ""),
                order_guid=guid,
                documents=p.stored.documents,
                invoice_total=recorded_total(p.stored.invoice_total),
            )
            return [payment] if payment is not None else []
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
                extras=p.extras,
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
            extras=p.extras,
            groups=line_lists.company_groups(ctx.connection_id, ctx.lists_refreshed_at)
            if p.settings.bundles == "group"
            else None,
        )

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        if state["step"] == customer_emails.LOOKUP_STEP:  # read-only: nothing was claimed or recorded
            return customer_emails.apply_lookup(state, response)
        # The set's record as recorded on the connection's behalf in the payloads table (a session started before
        # kept it in its ticket, compressed).
        record = (
            unpacked_json(state["message_set_z"])
            if "message_set_z" in state
            else state.get("message_set")
            or connections.message_set_record(ctx.connection_id, str(state.get("message_set_id")))
        )
        if record is None:
            # The set's record is gone (it outlived its time to live): nothing can be settled from this answer.
            # Its orders are still marked to be verified; the stranded-order sweep sends them to be looked up.
            raise ForeignAnswer("the message set's record is no longer kept")
        if state["step"] == "verify":
            settled = self._apply_lookup(record, response, ctx)
        else:
            # Raises ForeignAnswer when the answer is not this set's: the set stays unresolved and is recovered.
            check_belongs(record, response, whole=True)
            settled = apply_message_set(record, response, ctx, requeue_pending=False)
        for name in ("message_set", "message_set_id", "message_set_z"):
            state.pop(name, None)
        # What goes back to be posted or verified stays in this job: its next round trip takes it.
        state["refs"] = [{"channel_id": c, "order_id": o} for c, o in settled.again] + state.get("refs", [])
        state["step"] = "prepare" if state["refs"] else "done"
        applied = settled.applied
        applied.state = state
        applied.done = not state["refs"]
        return applied

    def _apply_lookup(
        self, record: dict[str, Any], response: MessageSetResponse, ctx: JobContext
    ) -> SetSettled:
        """Documents found are recorded; orders QuickBooks does not have go back to be posted in the job's next
        message set; orders whose query failed go back to be verified again."""
        try:
            check_belongs(record, response, whole=True)
        except ForeignAnswer:
            response = MessageSetResponse(responses=())  # nothing known: all stay to be verified
        result = found_documents(record["orders"], response)
        absent = {e["request_id"] for e in result.absent}
        return apply_message_set(record, result.found, ctx, requeue_pending=False, absent=frozenset(absent))

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        return (1, 0) if state["step"] == "done" else (0, 1)


def _in_flight_facts(p: _Prepared) -> dict[str, Any]:
    """What settling the order needs, kept in the set's record so the answer is applied without reading the
    orders back (their conditional writes guard the rest)."""
    return {
        "channel_id": p.stored.channel_id,
        "order_id": p.stored.order_id,
        "connection_id": p.stored.connection_id,
        "documents": p.stored.documents,
        "has_txn_id": p.stored.txn_id is not None,
        "attempts": p.stored.attempts + 1,  # the claim counted this attempt
        "number": p.stored.number,
        "total": expected_total(p.stored.document.get("total"), p.order, p.settings),
        **(
            {"not_for_shipstation": True}
            if p.extras is not None and p.extras.exclude_from_shipstation
            else {}
        ),
    }


def _foreign_currency(
    stored: StoredOrder, order: Order, settings: ChannelSettings, customer: str, ctx: JobContext
) -> qb_currency.CurrencyPosting | None:
    """How a foreign-currency order is posted (None: as always); OrderNotPostable when it cannot be. An order
    whose document names no currency is in the home currency."""
    if not stored.document.get("currency"):
        return None
    # The company's preference as the connection read with this call holds it (its HCP response refreshes it at
    # each session's start); read here only where the call read no connection.
    info = ctx.company
    if info is None:
        conn = connections.get(ctx.connection_id)
        info = conn.company if conn else None
    company = qb_currency.CompanyCurrency.of_company(info, ctx.country)
    needs_deposit = any(
        kind in ("SalesReceipt", "ReceivePayment")
        for _, kind in documents_needed(order, settings, stored.documents)
    )
    return qb_currency.foreign_currency(
        order, settings, company, customer=customer, needs_deposit=needs_deposit
    )


def _new_set_id() -> str:
    return "lb" + secrets.token_hex(10)  # 22 characters; qbXML allows 23


def _ref(p: _Prepared) -> dict[str, Any]:
    return {"channel_id": p.stored.channel_id, "order_id": p.stored.order_id}


class _ItemIndex:
    """The company's items as the cache and the mappings know them, to tell which a batch must add."""

    def __init__(self, connection_id: str, lists_refreshed_at: str | None = None) -> None:
        self.items = company_items(connection_id, lists_refreshed_at)
        self.connection_id = connection_id
        self._mapped: dict[str, str] = {}
        self._asked: set[str] = set()

    @staticmethod
    def keys(p: _Prepared) -> set[str]:
        return set(p.item_keys) | {
            name for name in (p.settings.shipping_item, p.settings.discount_item, p.settings.fee_item) if name
        }

    def learn(self, found: dict[str, str], asked: Iterable[str]) -> None:
        """What the mappings answered for `asked` (read with other names by the caller)."""
        for name in found:
            self._mapped[name.casefold()] = name
        self._asked.update(k.casefold() for k in asked)

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
        for key in keys:
            folded = key.casefold()
            found = self.items.find(
                key, p.settings.product_matching, product=key in p.item_keys
            ) or self._mapped.get(folded)
            if found:
                items[key] = found
            elif folded not in added:
                missing.add(key)
        return items, missing


def give_back_unsent_set(connection_id: str, set_id: str) -> int:
    """The set `set_id` was recorded but its request never left (the session's save naming it failed): its orders
    go back to pending as they were, for the queue messages the caller hands back. Only orders still in flight in
    that very set move (each write is conditional on it). Returns how many moved."""
    record = connections.message_set_record(connection_id, set_id)
    if record is None:
        return 0
    keys = [(str(e["channel_id"]), str(e["order_id"])) for e in record.get("orders", [])]
    moved = 0
    for stored in orders.get_many(keys) if keys else []:
        if stored.status == orders.IN_FLIGHT and stored.message_set_id == set_id:
            moved += orders.back_to_pending(stored, set_id, None, verify=stored.verify, new_message=False)
    return moved


def _kept_with_record(request: str, set_id: str, ctx: JobContext) -> KeptRequest:
    """The request sent, as its set's record keeps it (connections.record_message_set), naming the set."""
    key = connections.message_set_key(ctx.connection_id, set_id)
    return KeptRequest(request, key, field=connections.SET_REQUEST_FIELD, message_set=set_id)
