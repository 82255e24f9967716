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
  the day due: the next run queries the new EditSequence. A posted day is looked up by its recorded TxnIDs first
  and keeps the kind, RefNumber and credit memo it was first posted with (`_as_posted`); the post set carries a
  newMessageSetID (a set the Web Connector asks for again is not processed twice by QuickBooks); an answer that
  does not answer every request of its set settles nothing (`_check_answers`: ForeignAnswer).
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from lxml import etree

from chalicelib.dal import channels, mappings, orders, payloads, summary_days
from chalicelib.orders import to_quickbooks as qb
from chalicelib.orders.model import Order, OrderInvalid, OrderLine, parse_order
from chalicelib.orders.quickbooks.summary import (
    Document,
    build_summary,
    channel_code,
    day_closes_at,
    days_of,
    summary_guid,
    summary_refs,
    summary_requests,
)
from chalicelib.orders.settings import ChannelSettings
from chalicelib.orders.summary_settings import SummaryRefunds
from chalicelib.qbxml import transactions as tx
from chalicelib.qbxml.message_set import render_message_set
from chalicelib.qbxml.posted import QUERY_BY_REF, query_by_txn_id
from chalicelib.qbxml.requests import ADDED_LIST_ENTRY_INCLUDE, add_include, answer_only
from chalicelib.qbxml.responses import MessageSetResponse, QbResponse
from chalicelib.qbxml.status import explain_status
from chalicelib.sync.channels import settings_of
from chalicelib.sync.company_items import added_name, company_items
from chalicelib.sync.jobs import (
    POST_SUMMARIES,
    Applied,
    ForeignAnswer,
    JobContext,
    channel_id_of,
    unpacked_json,
)
from chalicelib.sync.settle_orders import remember_adds
from chalicelib.sync.summary_channels import (
    DAYS_PER_SET,
    as_posted,
    company_currency,
    currency_refusal,
    is_summary,
    sale_kind,
)

FOUND_INCLUDE = (
    "TxnID",
    "RefNumber",
    "ExternalGUID",
    "EditSequence",
    "TotalAmount",
    "Subtotal",
    "SalesTaxTotal",
)
DAY_ORDERS_KEPT = timedelta(days=7)  # a posted day's order digests wait this long for the answer
DIGEST_PREFIX = 12  # characters of an order's digest the job keeps to tell whether it changed meanwhile


# --- the job --------------------------------------------------------------------------------------------------------


def _documents(settings: ChannelSettings) -> tuple[Document, ...]:
    return ("sale", "credit") if settings.summary_refunds == SummaryRefunds.CREDIT_MEMO else ("sale",)


class PostSummaryTransactions:
    """Posts (or corrects) the closed days of one summary channel."""

    kind = POST_SUMMARIES
    title = "post daily summaries"
    batch_size = 1
    rebuilds_request = False  # adds: the request sent is kept for a resend

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
            # The day's documents as first posted (kind, RefNumber), found first by the TxnIDs it recorded (a
            # renumbered document), then by RefNumber (an answer lost before the TxnID was recorded).
            record = summary_days.get_day(ctx.connection_id, channel_id, day)
            day_settings, day_code = as_posted(record, settings, code)
            refs = dict(zip(("sale", "credit"), summary_refs(day, day_code), strict=True))
            rid = f"{prefix}-q{n}"
            asked: list[str] = []
            for document in _documents(day_settings):
                kind = sale_kind(day_settings) if document == "sale" else "CreditMemo"
                requests.append(
                    QUERY_BY_REF[kind](f"{rid}-{document}", refs[document], include=FOUND_INCLUDE)
                )
                asked.append(f"{rid}-{document}")
                txn_id = (record.documents.get(document) or {}).get("txn_id") if record else None
                if txn_id:
                    requests.append(query_by_txn_id(kind, f"{rid}-{document}-txn", txn_id, FOUND_INCLUDE))
                    asked.append(f"{rid}-{document}-txn")
            entries.append({"day": day.isoformat(), "rid": rid, "found": {}, "asked": asked})
        state["days"] = entries
        state["step"] = "lookup_sent"
        return render_message_set(requests, version=ctx.qbxml_version, on_error="continueOnError")

    def _apply_lookup(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        # Every query must be answered: a missing answer is not "QuickBooks has nothing" (that would be an Add).
        if all("asked" in entry for entry in state["days"]):  # (a state written before lists no "asked")
            _check_answers(response, {rid for entry in state["days"] for rid in entry["asked"]})
        by_id = {r.request_id: r for r in response.responses}
        applied = Applied(state=state, done=False)
        kept = []
        for entry in state["days"]:
            day = date.fromisoformat(entry["day"])
            usable = True
            for document in ("sale", "credit"):
                answers = [
                    rs
                    for key in ("-txn", "")
                    if (rs := by_id.get(f"{entry['rid']}-{document}{key}")) is not None
                ]
                if not answers:
                    continue
                if any(not rs.ok for rs in answers):
                    usable = False  # cannot tell what QuickBooks holds: this day waits for the next run
                    _problem(ctx, state, day, next(rs for rs in answers if not rs.ok))
                    continue
                guid = summary_guid(ctx.connection_id, state["channel_id"], day, document)
                mine = [
                    r
                    for rs in answers  # the recorded TxnID's answer first
                    for r in rs.rets
                    if (r.findtext("ExternalGUID") or "").upper() == guid.upper()
                ]
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
            day_settings, day_code = as_posted(record, settings, code)  # a posted day keeps kind and number
            try:
                keys = {k for o, _ in read.values() for k in _item_keys(o, settings)}
                items = self._items(ctx, keys, settings)
                summary = build_summary(
                    day,
                    [o for o, _ in read.values()],
                    day_settings,
                    country=ctx.country,
                    code=day_code,
                    items=items,
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
                    for d in _documents(day_settings)
                    if d not in found or record.posted_digest != summary.digest
                ]
                requests = summary_requests(
                    summary,
                    day_settings,
                    country=ctx.country,
                    request_prefix=f"{prefix}-d{n}",
                    sale_guid=summary_guid(ctx.connection_id, channel_id, day, "sale"),
                    credit_guid=summary_guid(ctx.connection_id, channel_id, day, "credit"),
                    found=found,
                    documents=wanted,
                )
            except (qb.OrderNotPostable, ValueError) as exc:
                # The day cannot be posted as it is (settings; or a name the qbXML builders refuse, a ValueError):
                # said on the day and on each of its orders, which the merchant retries once it is fixed (a retry
                # hands them over again). Never a 500 at every sign-in.
                problem = _error("summary", str(exc), "Change the channel settings, then retry the orders.")
                summary_days.record_problem(ctx.connection_id, channel_id, day, problem)
                _fail_orders(channel_id, set(read), problem)
                continue
            for _, element in requests:
                if element.tag.endswith("AddRq"):
                    answer_only(element, FOUND_INCLUDE)
                else:
                    add_include(element, FOUND_INCLUDE)
            documents += [el for _, el in requests]
            day_orders += [o for o, _ in read.values()]
            posting.append(
                {
                    **entry,
                    "version": record.version,
                    "digest": summary.digest,
                    "ref_number": summary.ref_number,
                    "credit_ref_number": summary.credit_ref_number,
                    "kind": sale_kind(day_settings),
                    "has_sale": bool(summary.sale_lines),
                    "credit_empty": "credit" in found and not summary.credit_lines,
                    "expected": {"sale": str(summary.sale_total), "credit": str(summary.credit_total)},
                    "sent": [label for label, _ in requests],
                    "rid": f"{prefix}-d{n}",
                    "orders_key": _keep_day_orders(
                        f"{prefix}-d{n}",
                        ctx.now,
                        {
                            "digests": {oid: digest for oid, (_, digest) in read.items()},
                            "sold": list(summary.order_ids),
                            "refunded": sorted({oid for oid, _ in summary.refund_ids}),
                        },
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
        try:
            adds, add_names = self._list_adds(day_orders, settings, ctx, documents, prefix)
        except (qb.OrderNotPostable, ValueError) as exc:
            # e.g. a summary customer saved before such names were refused: the days fail with the reason
            problem = _error("summary", str(exc), "Change the channel settings, then retry the orders.")
            for entry in posting:
                summary_days.record_problem(
                    ctx.connection_id, channel_id, date.fromisoformat(entry["day"]), problem
                )
                _fail_orders(channel_id, set(_day_orders(entry)["digests"]), problem)
            state["days"] = []
            state["step"] = "lookup"
            return None
        state["adds"] = add_names
        state["step"] = "post_sent"
        # With error recovery (newMessageSetID): the Web Connector may ask for this set again before answering
        # (web_connector.py re-sends the pending request) and QuickBooks does not process a set whose
        # newMessageSetID it already holds again (it answers with the stored statuses): never a second Add.
        state["set_id"] = prefix
        return render_message_set(
            adds + documents, version=ctx.qbxml_version, on_error="continueOnError", new_message_set_id=prefix
        )

    def _orders(self, record: summary_days.SummaryDay, ctx: JobContext) -> dict[str, tuple[Order, str]]:
        """The day's orders that can be read, with their digest prefix; one that cannot fails on its own."""
        read: dict[str, tuple[Order, str]] = {}
        company = company_currency(ctx)
        for stored in orders.get_many((record.channel_id, oid) for oid in record.order_ids):
            try:
                order = parse_order(stored.document)
                qb.check_totals(order)
                if (refusal := currency_refusal(stored, order, ctx, company)) is not None:
                    raise qb.OrderNotPostable(refusal)  # handed over before summaries refused it
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
        """Record what QuickBooks did with each day's documents; the orders of a day held whole become synced. An
        answer that leaves a request of the set out settles nothing (ForeignAnswer): a Mod that got no answer is not
        posted, and the next run looks the day up again."""
        _check_answers(
            response,
            {rid for rids in state.get("adds", {}).values() for rid in rids}
            | {f"{entry['rid']}-{document}" for entry in state["days"] for document in entry["sent"]},
            state.pop("set_id", None),
        )
        by_id = {r.request_id: r for r in response.responses}
        applied = Applied(state=state, done=False)
        remember_adds(state.pop("adds", {}), by_id, ctx.connection_id)
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
                recovered = rs.recovery.edit_sequence if rs.recovery else None  # a set QuickBooks already had
                held[document] = {
                    "txn_id": rs.txn_id,
                    "edit_sequence": (ret.findtext("EditSequence") if ret is not None else recovered) or "",
                    "ref_number": entry["ref_number" if document == "sale" else "credit_ref_number"],
                    "total": _total(ret) or "",
                    "kind": entry.get("kind", sale_kind(settings)) if document == "sale" else "CreditMemo",
                }
                applied.counts["summaries_modified" if document in entry["found"] else "summaries_added"] = (
                    applied.counts.get(
                        "summaries_modified" if document in entry["found"] else "summaries_added", 0
                    )
                    + 1
                )
            # A sale is required only when one was sent or the day has sale lines (a credit-memo day of refunds
            # only has no sale).
            needs_sale = "sale" in entry["sent"] or entry.get("has_sale", True)
            if failed is not None or ("sale" not in held and entry.get("sent") and needs_sale):
                problem = _status_problem(failed) if failed is not None else _error("summary", "no answer")
                summary_days.record_problem(ctx.connection_id, channel_id, day, problem)
                applied.errors.append(f"Summary {entry['ref_number']}: {problem['message']}")
                if (
                    not problem["retriable"] and failed is not None
                ):  # QuickBooks refused it: the orders say why
                    _fail_orders(channel_id, set(_day_orders(entry)["digests"]), problem)
                continue
            warning = _credit_left(entry, held) or _difference(entry, held)
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
        kind = str(entry.get("kind") or sale_kind(settings))  # the kind the day was first posted as
        packed = _day_orders(entry)
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


def _keep_day_orders(key: str, now: datetime, packed: dict[str, Any]) -> str:
    """A posted day's order digests kept in the payloads table (compressed, in parts) until its answer is settled:
    the job's state, in the ticket, only names them, so it stays small whatever a day holds."""
    name = f"summary-orders#{key}"
    payloads.put(name, json.dumps(packed, separators=(",", ":")).encode(), expires_at=now + DAY_ORDERS_KEPT)
    return name


def _day_orders(entry: dict[str, Any]) -> dict[str, Any]:
    """What `_keep_day_orders` kept for the day (a state written before: packed in it). A payload gone (the answer
    came after DAY_ORDERS_KEPT) names no order: the day stays due and the next run reads its orders again."""
    if "orders_z" in entry:
        packed: dict[str, Any] = unpacked_json(entry["orders_z"])
        return packed
    try:
        loaded: dict[str, Any] = json.loads(payloads.get(entry["orders_key"]))
    except payloads.PayloadMissing:
        return {"digests": {}, "sold": [], "refunded": []}
    return loaded


def _fail_orders(channel_id: str, order_ids: set[str], error: dict[str, Any]) -> None:
    """The day's waiting orders fail with the day's reason (a merchant's retry hands them over again)."""
    if order_ids:
        orders.write_changes(
            [orders.failed_change(channel_id, oid, None, error) for oid in sorted(order_ids)]
        )


def _set_prefix() -> str:
    return "sum" + secrets.token_hex(5)


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


# --- exactly once: the day's document as first posted, and answers that answer everything -----------------------


def _check_answers(response: MessageSetResponse, asked: set[str], set_id: str | None = None) -> None:
    """Raise ForeignAnswer unless `response` answers every request `asked` and nothing else (and, for a set sent
    with error recovery, echoes its newMessageSetID when it echoes one): a request left unanswered is not
    "QuickBooks has nothing" nor "done", so such an answer settles nothing and the job starts again from its
    lookup (settle_orders.check_answer does the same for order sets)."""
    echoed = response.new_message_set_id
    if set_id is not None and echoed is not None and echoed != set_id:
        raise ForeignAnswer(f"the answer is for message set {echoed[:30]!r}, not {set_id!r}")
    answered = {r.request_id or "" for r in response.responses}
    strangers = answered - asked
    if strangers:
        raise ForeignAnswer(f"the answer has requests this set did not send ({sorted(strangers)[0][:60]!r})")
    if asked - answered:
        raise ForeignAnswer(
            f"the answer leaves {len(asked - answered)} of the set's {len(asked)} requests out"
        )


def _credit_left(entry: dict[str, Any], held: dict[str, dict[str, str]]) -> dict[str, Any] | None:
    """The day's credit memo is in QuickBooks but the day has no refund left (they moved to another day or the store
    took them back): Ledgerbridge never deletes a document, so the day says so (as a sale with no order left)."""
    if not entry.get("credit_empty") or "credit" not in held:
        return None
    ref = held["credit"].get("ref_number") or entry.get("credit_ref_number", "")
    return _error(
        "credit_empty",
        f"No refund is left on {entry['day']}; the credit memo {ref} in QuickBooks still holds the refunds it had.",
        "Delete or void it in QuickBooks if the refunds are on another day's credit memo now.",
    )
