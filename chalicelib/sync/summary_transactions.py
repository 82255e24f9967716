"""Summary transactions: one sales receipt (or invoice) per channel and day, posted exactly once and corrected,
never doubled (docs/accounting/summary-transactions.md; the documents: `chalicelib.orders.quickbooks.summary`).

Not the daily summary *e-mail* (`summary_mail.py`, `sales_summary.py`): that is a report; this posts to the books.

* **Orders of a summary channel** are stored as usual; the post-orders job does not post them one by one but hands
  each to its days (`hand_over`: the day it was placed and each refund's day, in `summary_time_zone`): the order id
  joins the day's record (`dal.summary_days`), the day becomes *due*, and the order waits, pending, out of the
  open-orders index (the day posts it, no queue message waits for it).
* **A day closes** `summary_close_minutes` after its local midnight. Each Web Connector sign-in queues the channel's
  `post_summary_transactions` job when a due day is closed (`queue_due`; at most one queued per channel), and the
  post-orders job queues it at once when it hands over an order of a closed day (a late order, a resync).
* **The job**, per round of up to DAYS_PER_SET closed due days: first a message set of queries by RefNumber (the
  day's "D<yyyymmdd><code>" and, in credit-memo mode, "C..."), accepting only the document with the day's
  ExternalGUID; then a message set with, per day, an Add when QuickBooks has no such document, a Mod replacing every
  line (EditSequence from that very query) when it has one that differs from the summary now, nothing when it has
  this very summary; with the summary customer's and the missing items' adds first (`continueOnError`). The answer
  records the documents and posted version on the day and makes its orders synced.
* **Exactly once**: the query always comes first, and a Mod is idempotent (it makes the document equal the day's
  summary whatever it held), so a lost answer (the Web Connector died, the session expired) leaves the job's queue
  message to come back: the next run queries again, finds the document by RefNumber and ExternalGUID, and at most
  modifies it. A day already posted whose order changes (or whose orders a resync stores again changed) becomes due
  again and gets a Mod, never a second Add. A Mod refused with 3200 (someone edited the document meanwhile) leaves
  the day due: the next run queries the new EditSequence.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from lxml import etree

from chalicelib.aws import WorkQueue
from chalicelib.dal import channels, mappings, orders, summary_days
from chalicelib.dal.orders import StoredOrder
from chalicelib.orders import to_quickbooks as qb
from chalicelib.orders.model import Order, OrderInvalid, OrderLine, parse_order
from chalicelib.orders.quickbooks.summary import (
    Document,
    build_summary,
    channel_code,
    day_closes_at,
    days_of,
    local_day,
    summary_guid,
    summary_refs,
    summary_requests,
)
from chalicelib.orders.settings import ChannelSettings
from chalicelib.orders.summary_settings import SummaryMode, SummaryRefunds
from chalicelib.qbxml import transactions as tx
from chalicelib.qbxml.message_set import render_message_set
from chalicelib.qbxml.requests import ADDED_LIST_ENTRY_INCLUDE, answer_only
from chalicelib.qbxml.responses import MessageSetResponse, QbResponse
from chalicelib.qbxml.status import explain_status
from chalicelib.sync.channels import settings_of
from chalicelib.sync.company_items import added_name, company_items
from chalicelib.sync.jobs import Applied, JobContext, channel_id_of, new_job, packed_json, unpacked_json

POST_SUMMARIES = "post_summary_transactions"
DAYS_PER_SET = (
    3  # days looked up and posted per round trip (their orders' digests ride, packed, in the job's state)
)
STALE_SECONDS = 3600  # a job queued this long ago without ending is presumed lost
FOUND_INCLUDE = (
    "TxnID",
    "RefNumber",
    "ExternalGUID",
    "EditSequence",
    "TotalAmount",
    "Subtotal",
    "SalesTaxTotal",
)
DIGEST_PREFIX = 12  # characters of an order's digest the job keeps to tell whether it changed meanwhile


def is_summary(settings: ChannelSettings) -> bool:
    return settings.summary == SummaryMode.DAILY and settings.moves("orders_to_quickbooks")


# --- orders handed to their days (the post-orders job) ------------------------------------------------------------


def hand_over(
    stored: StoredOrder, settings: ChannelSettings, connection_id: str, now: datetime
) -> list[date]:
    """The order joins its days' summaries instead of being posted alone; returns its days. Raises OrderInvalid
    for an order that cannot be read (the caller fails it)."""
    order = parse_order(stored.document)
    zone = settings.summary_time_zone
    days = sorted(days_of(order, zone))
    for day in days:
        summary_days.hand_over(connection_id, stored.channel_id, day, {stored.order_id})
    for day in _earlier_days(stored) - set(days):  # its date changed in the store: its former day is redone
        summary_days.hand_over(connection_id, stored.channel_id, day, {stored.order_id}, remove=True)
    sale_ref, _ = summary_refs(local_day(order.created_at, zone), channel_code(stored.channel_id, settings))
    summary_days.handed_over_change(stored, sale_ref).write()
    if any(day_closes_at(d, zone, settings.summary_close_minutes) <= now for d in days):
        queue_job(connection_id, stored.channel_id, now)
    return days


def _earlier_days(stored: StoredOrder) -> set[date]:
    """The days the order was handed to before (from the RefNumbers it shows: "D20261207WS", "C...")."""
    refs = [
        k[len(summary_days.SUMMARY_DOCUMENT) :]
        for k in stored.documents
        if k.startswith(summary_days.SUMMARY_DOCUMENT)
    ]
    if stored.txn_type == summary_days.WAITING_TXN_TYPE and stored.ref_number:
        refs.append(stored.ref_number)
    found = set()
    for ref in refs:
        try:
            found.add(datetime.strptime(ref[1:9], "%Y%m%d").date())
        except ValueError:
            continue
    return found


def queue_job(connection_id: str, channel_id: str, now: datetime) -> bool:
    """Queue the channel's summary job unless one is queued already."""
    if not summary_days.claim_job(connection_id, channel_id, now.timestamp(), STALE_SECONDS):
        return False
    WorkQueue(connection_id).send(new_job(POST_SUMMARIES, connection_id, now, channel_id=channel_id))
    return True


def queue_due(
    connection_id: str, channel_id: str, settings: ChannelSettings, now: datetime
) -> list[dict[str, Any]]:
    """At a Web Connector sign-in: the channel's summary job when a due day is closed (the caller sends it)."""
    zone, close = settings.summary_time_zone, settings.summary_close_minutes
    due = summary_days.due_days(connection_id, channel_id, limit=DAYS_PER_SET)
    if not any(day_closes_at(d, zone, close) <= now for d in due):
        return []
    if not summary_days.claim_job(connection_id, channel_id, now.timestamp(), STALE_SECONDS):
        return []
    return [new_job(POST_SUMMARIES, connection_id, now, channel_id=channel_id)]


def day_views(tenant_id: str, channel_id: str) -> list[dict[str, Any]]:
    """The channel's days as the REST API shows them, newest first: RefNumber, orders, status and problem."""
    channel = channels.get_for_tenant(tenant_id, channel_id)  # another tenant's channel is a 404
    settings = settings_of(channel)
    code = channel_code(channel_id, settings)
    now = datetime.now(UTC)
    views = []
    for day in reversed(summary_days.days(channel.connection_id, channel_id)):
        closed = day_closes_at(day.day, settings.summary_time_zone, settings.summary_close_minutes) <= now
        status = "posted" if not day.due else ("due" if closed else "open")
        views.append(
            {
                "day": day.day.isoformat(),
                "ref_number": summary_refs(day.day, code)[0],
                "status": status,
                "orders": len(day.order_ids),
                "documents": day.documents,
                "posted_at": day.posted_at.isoformat() if day.posted_at else None,
                "problem": day.problem,
            }
        )
    return views


# --- the job --------------------------------------------------------------------------------------------------------


def _sale_kind(settings: ChannelSettings) -> str:
    return "SalesReceipt" if settings.transaction_type == "sales_receipt" else "Invoice"


def _documents(settings: ChannelSettings) -> tuple[Document, ...]:
    return ("sale", "credit") if settings.summary_refunds == SummaryRefunds.CREDIT_MEMO else ("sale",)


class PostSummaryTransactions:
    """Posts (or corrects) the closed days of one summary channel."""

    kind = POST_SUMMARIES
    title = "post daily summaries"
    batch_size = 1

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        return {"channel_id": channel_id_of(messages), "step": "lookup", "days": [], "done_days": []}

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | None:
        channel = channels.get(state["channel_id"])
        settings = settings_of(channel) if channel is not None else None
        while state["step"] in ("lookup", "post"):
            if settings is None or not is_summary(settings):
                state["step"] = "done"
                break
            if state["step"] == "lookup":
                request = self._lookup(state, settings, ctx)
            else:
                request = self._post(state, settings, ctx)
            if request is not None:
                return request
        summary_days.release_job(ctx.connection_id, state["channel_id"])
        return None

    # -- round trip 1: what QuickBooks holds of each day -----------------------------------------------------------
    def _lookup(self, state: dict[str, Any], settings: ChannelSettings, ctx: JobContext) -> str | None:
        channel_id = state["channel_id"]
        zone, close = settings.summary_time_zone, settings.summary_close_minutes
        done = set(state["done_days"])
        due = [
            d
            for d in summary_days.due_days(ctx.connection_id, channel_id)
            if d.isoformat() not in done and day_closes_at(d, zone, close) <= ctx.now
        ][:DAYS_PER_SET]
        if not due:
            state["step"] = "done"
            return None
        code = channel_code(channel_id, settings)
        prefix = _set_prefix()
        requests: list[etree._Element] = []
        entries = []
        for n, day in enumerate(due):
            sale_ref, credit_ref = summary_refs(day, code)
            entry = {"day": day.isoformat(), "rid": f"{prefix}-q{n}", "found": {}}
            requests.append(_query(_sale_kind(settings), f"{prefix}-q{n}-sale", sale_ref))
            if "credit" in _documents(settings):
                requests.append(_query("CreditMemo", f"{prefix}-q{n}-credit", credit_ref))
            entries.append(entry)
        state["days"] = entries
        state["step"] = "lookup_sent"
        return render_message_set(requests, version=ctx.qbxml_version, on_error="continueOnError")

    def _apply_lookup(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        by_id = {r.request_id: r for r in response.responses}
        applied = Applied(state=state, done=False)
        kept = []
        for entry in state["days"]:
            day = date.fromisoformat(entry["day"])
            usable = True
            for document in ("sale", "credit"):
                rs = by_id.get(f"{entry['rid']}-{document}")
                if rs is None:
                    continue
                if not rs.ok:
                    usable = False  # cannot tell what QuickBooks holds: this day waits for the next run
                    _problem(ctx, state, day, rs)
                    continue
                guid = summary_guid(ctx.connection_id, state["channel_id"], day, document)
                mine = [r for r in rs.rets if (r.findtext("ExternalGUID") or "").upper() == guid.upper()]
                if mine:
                    entry["found"][document] = [
                        mine[0].findtext("TxnID") or "",
                        mine[0].findtext("EditSequence") or "",
                    ]
            if usable:
                kept.append(entry)
            else:
                state["done_days"].append(entry["day"])
        state["days"] = kept
        state["step"] = "post"
        return applied

    # -- round trip 2: add or correct ------------------------------------------------------------------------------
    def _post(self, state: dict[str, Any], settings: ChannelSettings, ctx: JobContext) -> str | None:
        channel_id = state["channel_id"]
        code = channel_code(channel_id, settings)
        prefix = _set_prefix()  # every request id names its set: a lookup's answer never settles a post
        documents: list[etree._Element] = []
        day_orders: list[Order] = []
        posting = []
        for n, entry in enumerate(state["days"]):
            day = date.fromisoformat(entry["day"])
            record = summary_days.get_day(ctx.connection_id, channel_id, day)
            if record is None:
                continue
            state["done_days"].append(entry["day"])
            read = self._orders(record, ctx)
            try:
                keys = {k for o, _ in read.values() for k in _item_keys(o, settings)}
                items = self._items(ctx, keys, settings)
                summary = build_summary(
                    day, [o for o, _ in read.values()], settings, country=ctx.country, code=code, items=items
                )
                found = {cast(Document, d): (str(v[0]), str(v[1])) for d, v in entry["found"].items()}
                if not summary.sale_lines and "sale" in found:
                    # Every order left the day (their dates changed): a sale cannot have no lines, and
                    # Ledgerbridge never deletes a document. Said on the day, which stops being due.
                    summary_days.record_posted(
                        ctx.connection_id,
                        channel_id,
                        day,
                        version=record.version,
                        digest=summary.digest,
                        documents=record.documents,
                        problem=_error(
                            "summary_empty",
                            f"No order is left on {day.isoformat()}; {summary.ref_number} in QuickBooks still "
                            "holds the orders it had.",
                            "Delete it in QuickBooks if the orders are in another day's summary now.",
                        ),
                    )
                    continue
                wanted = [
                    d
                    for d in _documents(settings)
                    if d not in found or record.posted_digest != summary.digest
                ]
                requests = summary_requests(
                    summary,
                    settings,
                    country=ctx.country,
                    request_prefix=f"{prefix}-d{n}",
                    sale_guid=summary_guid(ctx.connection_id, channel_id, day, "sale"),
                    credit_guid=summary_guid(ctx.connection_id, channel_id, day, "credit"),
                    found=found,
                    documents=wanted,
                )
            except qb.OrderNotPostable as exc:
                # The day cannot be posted as it is (settings): said on the day and on each of its orders, which
                # the merchant retries once it is fixed (a retry hands them over again).
                problem = _error("summary", str(exc), "Change the channel settings, then retry the orders.")
                summary_days.record_problem(ctx.connection_id, channel_id, day, problem)
                _fail_orders(channel_id, set(read), problem)
                continue
            for _, element in requests:
                if element.tag.endswith("AddRq"):
                    answer_only(element, FOUND_INCLUDE)
                else:
                    _include(element, FOUND_INCLUDE)
            documents += [el for _, el in requests]
            day_orders += [o for o, _ in read.values()]
            posting.append(
                {
                    **entry,
                    "version": record.version,
                    "digest": summary.digest,
                    "ref_number": summary.ref_number,
                    "credit_ref_number": summary.credit_ref_number,
                    "expected": {"sale": str(summary.sale_total), "credit": str(summary.credit_total)},
                    "sent": [label for label, _ in requests],
                    "rid": f"{prefix}-d{n}",
                    "orders_z": packed_json(
                        {
                            "digests": {oid: digest for oid, (_, digest) in read.items()},
                            "sold": list(summary.order_ids),
                            "refunded": sorted({oid for oid, _ in summary.refund_ids}),
                        }
                    ),
                }
            )
        state["days"] = posting
        if not posting:
            state["step"] = "lookup"
            return None
        if not documents:  # QuickBooks holds every day as it is: record them and their orders
            self._settle(state, MessageSetResponse(responses=()), ctx, settings)
            state["step"] = "lookup"
            return None
        adds, add_names = self._list_adds(day_orders, settings, ctx, documents, prefix)
        state["adds"] = add_names
        state["step"] = "post_sent"
        return render_message_set(adds + documents, version=ctx.qbxml_version, on_error="continueOnError")

    def _orders(self, record: summary_days.SummaryDay, ctx: JobContext) -> dict[str, tuple[Order, str]]:
        """The day's orders that can be read, with their digest prefix; one that cannot fails on its own."""
        read: dict[str, tuple[Order, str]] = {}
        for stored in orders.get_many((record.channel_id, oid) for oid in record.order_ids):
            try:
                order = parse_order(stored.document)
                qb.check_totals(order)
            except (OrderInvalid, qb.OrderNotPostable) as exc:
                if stored.status == orders.PENDING:
                    orders.mark_failed(stored, None, _error("order", f"Not in the daily summary: {exc}"))
                continue
            read[stored.order_id] = (order, stored.digest[:DIGEST_PREFIX])
        return read

    @staticmethod
    def _items(ctx: JobContext, keys: set[str], settings: ChannelSettings) -> dict[str, str]:
        """Item keys -> the QuickBooks item matched (company lists, then the names added before)."""
        index = company_items(ctx.connection_id, ctx.lists_refreshed_at)
        found = {k: name for k in keys if (name := index.find(k, settings.product_matching, product=True))}
        for name, _ in mappings.known(ctx.connection_id, "item", keys - set(found)).items():
            found[name] = name
        return found

    def _list_adds(
        self,
        day_orders: Sequence[Order],
        settings: ChannelSettings,
        ctx: JobContext,
        documents: Sequence[etree._Element],
        prefix: str,
    ) -> tuple[list[etree._Element], dict[str, dict[str, str]]]:
        """The summary customer's add when QuickBooks is not known to have it, and adds for every item the
        documents name that is neither in the company's lists nor added before."""
        names: dict[str, dict[str, str]] = {"customer": {}, "item": {}}
        adds: list[etree._Element] = []
        customer = settings.summary_customer
        if not mappings.known(ctx.connection_id, "customer", [customer]):
            rid = f"{prefix}-customer"
            adds.append(answer_only(tx.customer_add(rid, name=customer), ADDED_LIST_ENTRY_INCLUDE))
            names["customer"][rid] = customer
        keys = {k for o in day_orders for k in _item_keys(o, settings)} | {
            n for n in (settings.shipping_item, settings.discount_item, settings.fee_item) if n
        }
        index = company_items(ctx.connection_id, ctx.lists_refreshed_at)
        known = mappings.known(ctx.connection_id, "item", keys)
        missing = {
            k for k in keys if k not in known and not index.find(k, settings.product_matching, product=True)
        }
        needed = qb.needed_items(missing, list(documents), settings)
        if needed and day_orders:
            # One line per item key is enough for its add (description, price): the day's orders' lines.
            lines: dict[str, OrderLine] = {}
            for order in day_orders:
                for line in order.lines:
                    lines.setdefault(qb.item_name(line, settings), line)
            sample = dataclasses.replace(day_orders[0], lines=tuple(lines.values()))
            for element in qb.missing_item_requests(
                sample, settings, country=ctx.country, request_prefix=f"{prefix}-i", missing=needed
            ):
                answer_only(element, ADDED_LIST_ENTRY_INCLUDE)
                names["item"][element.get("requestID", "")] = added_name(element)
                adds.append(element)
        return adds, names

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        channel = channels.get(state["channel_id"])
        if state["step"] == "lookup_sent":
            return self._apply_lookup(state, response, ctx)
        applied = Applied(state=state, done=False)
        if channel is not None:
            applied = self._settle(state, response, ctx, settings_of(channel))
        state["step"] = "lookup"
        applied.state = state
        return applied

    def _settle(
        self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext, settings: ChannelSettings
    ) -> Applied:
        """Record what QuickBooks did with each day's documents; the orders of a day held whole become synced."""
        by_id = {r.request_id: r for r in response.responses}
        applied = Applied(state=state, done=False)
        learned: dict[str, dict[str, str | None]] = {"customer": {}, "item": {}}
        for kind, rids in state.pop("adds", {}).items():
            for rid, name in rids.items():
                rs = by_id.get(rid)
                if rs is not None and (rs.ok or rs.status_code == 3100):
                    learned[kind][name] = rs.list_id
        if any(learned.values()):
            mappings.remember_many(ctx.connection_id, {k: v for k, v in learned.items() if v})
        channel_id = state["channel_id"]
        for entry in state["days"]:
            day = date.fromisoformat(entry["day"])
            record = summary_days.get_day(ctx.connection_id, channel_id, day)
            held: dict[str, dict[str, str]] = dict(record.documents) if record else {}
            failed = None
            for document, (txn_id, edit_sequence) in entry["found"].items():
                held.setdefault(document, {}).update({"txn_id": txn_id, "edit_sequence": edit_sequence})
            for document in entry["sent"]:
                rs = by_id.get(f"{entry['rid']}-{document}")
                if rs is None or not rs.ok or not rs.txn_id:
                    failed = rs  # no answer: the next run looks it up again
                    continue
                ret = rs.rets[0] if rs.rets else None
                held[document] = {
                    "txn_id": rs.txn_id,
                    "edit_sequence": (ret.findtext("EditSequence") if ret is not None else None) or "",
                    "ref_number": entry["ref_number" if document == "sale" else "credit_ref_number"],
                    "total": _total(ret) or "",
                }
                applied.counts["summaries_modified" if document in entry["found"] else "summaries_added"] = (
                    applied.counts.get(
                        "summaries_modified" if document in entry["found"] else "summaries_added", 0
                    )
                    + 1
                )
            if failed is not None or ("sale" not in held and entry.get("sent")):
                problem = _status_problem(failed) if failed is not None else _error("summary", "no answer")
                summary_days.record_problem(ctx.connection_id, channel_id, day, problem)
                applied.errors.append(f"Summary {entry['ref_number']}: {problem['message']}")
                if (
                    not problem["retriable"] and failed is not None
                ):  # QuickBooks refused it: the orders say why
                    _fail_orders(channel_id, set(unpacked_json(entry["orders_z"])["digests"]), problem)
                continue
            warning = _difference(entry, held)
            summary_days.record_posted(
                ctx.connection_id,
                channel_id,
                day,
                version=int(entry["version"]),
                digest=entry["digest"],
                documents=held,
                problem=warning,
            )
            self._mark_orders(channel_id, entry, held, settings, warning)
        return applied

    @staticmethod
    def _mark_orders(
        channel_id: str,
        entry: dict[str, Any],
        held: dict[str, dict[str, str]],
        settings: ChannelSettings,
        warning: dict[str, Any] | None,
    ) -> None:
        """The day's orders, unchanged since they were read, become synced with the day's documents."""
        kind = _sale_kind(settings)
        packed = unpacked_json(entry["orders_z"])
        digests: dict[str, str] = packed["digests"]
        sold, refunded = set(packed["sold"]), set(packed["refunded"])
        refund_document = "credit" if "credit" in held else "sale"
        changes = []
        code, zone = channel_code(channel_id, settings), settings.summary_time_zone
        for stored in orders.get_many((channel_id, oid) for oid in digests):
            try:  # the days it is on now: a day it left (its date changed) is no longer shown on it
                keep = {
                    ref for d in days_of(parse_order(stored.document), zone) for ref in summary_refs(d, code)
                }
            except OrderInvalid:
                continue
            documents: dict[str, str] = {}
            if stored.order_id in sold and "sale" in held:
                documents[summary_days.SUMMARY_DOCUMENT + entry["ref_number"]] = held["sale"]["txn_id"]
            if stored.order_id in refunded and refund_document in held:
                ref = entry["credit_ref_number" if refund_document == "credit" else "ref_number"]
                documents[summary_days.SUMMARY_DOCUMENT + ref] = held[refund_document]["txn_id"]
            if not documents:
                continue
            first = "sale" if stored.order_id in sold else refund_document
            changes.append(
                summary_days.posted_change(
                    stored,
                    digests[stored.order_id],
                    documents=documents,
                    txn_id=held[first]["txn_id"],
                    txn_type=kind if first == "sale" else "CreditMemo",
                    ref_number=entry["ref_number" if first == "sale" else "credit_ref_number"],
                    warning=warning,
                    keep_refs=keep,
                    primary=first == "sale",
                )
            )
        orders.write_changes(changes)

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        return (1, 0) if state["step"] == "done" else (0, 1)


def _fail_orders(channel_id: str, order_ids: set[str], error: dict[str, Any]) -> None:
    """The day's waiting orders fail with the day's reason (a merchant's retry hands them over again)."""
    if order_ids:
        orders.write_changes(
            [orders.failed_change(channel_id, oid, None, error) for oid in sorted(order_ids)]
        )


def _set_prefix() -> str:
    return "sum" + secrets.token_hex(5)


def _query(kind: str, request_id: str, ref_number: str) -> etree._Element:
    lookup = {
        "SalesReceipt": tx.sales_receipt_query_by_ref,
        "Invoice": tx.invoice_query_by_ref,
        "CreditMemo": tx.credit_memo_query_by_ref,
    }[kind]
    return lookup(request_id, ref_number, include=FOUND_INCLUDE)


def _include(request: etree._Element, include: Sequence[str]) -> None:
    for name in include:
        etree.SubElement(request, "IncludeRetElement").text = name


def _item_keys(order: Order, settings: ChannelSettings) -> list[str]:
    return [qb.item_name(line, settings) for line in order.lines]


def _total(ret: etree._Element | None) -> str | None:
    if ret is None:
        return None
    total = ret.findtext("TotalAmount")
    if total is None and ret.findtext("Subtotal") is not None:
        total = str(Decimal(ret.findtext("Subtotal") or "0") + Decimal(ret.findtext("SalesTaxTotal") or "0"))
    return total


def _difference(entry: dict[str, Any], held: dict[str, dict[str, str]]) -> dict[str, Any] | None:
    """QuickBooks' totals against what the stores charged (CA/UK/AU: QuickBooks computes the tax)."""
    for document in ("sale", "credit"):
        expected, total = entry["expected"].get(document), held.get(document, {}).get("total")
        if not total or expected is None or (document == "credit" and document not in held):
            continue
        try:
            difference = Decimal(total) - Decimal(expected)
        except InvalidOperation:
            continue
        if difference:
            return _error(
                "total_difference",
                f"QuickBooks recorded {Decimal(total):.2f} for {held[document].get('ref_number', document)}; the "
                f"orders add up to {Decimal(expected):.2f} (difference {difference:+.2f}).",
                "Usually the tax QuickBooks computed on the day's lines: check the tax codes.",
            )
    return None


def _error(code: str, message: str, fix: str = "") -> dict[str, Any]:
    return {"code": code, "message": message, "fix": fix, "retriable": False}


def _status_problem(rs: QbResponse) -> dict[str, Any]:
    why = explain_status(rs.status_code, rs.status_message)
    return {"code": str(rs.status_code), "message": why.meaning, "fix": why.fix, "retriable": why.retriable}


def _problem(ctx: JobContext, state: dict[str, Any], day: date, rs: QbResponse) -> None:
    summary_days.record_problem(ctx.connection_id, state["channel_id"], day, _status_problem(rs))
