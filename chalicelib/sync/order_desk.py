"""The merchant's orders for every day: newest first by order date, searched by number, customer name or email,
filtered by status and channel, counted by status, exported as CSV; failed orders retried in bulk; one order in
detail with its lines, totals, QuickBooks documents, the rules that changed it and its timeline.

The orders table's tenant index holds keys only and is ordered by order id, not by date: a list reads the tenant's
orders up to WINDOW (pages of the index, each page's orders read by key), then filters and sorts them in memory.
`complete` says whether every order was read; a tenant past WINDOW sees a part of its orders (a date-ordered index
is the lasting answer). Nothing here writes, except the retry, which is the existing `orders.retry_order`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.dal import channels, cursors
from chalicelib.dal import orders as repo
from chalicelib.dal.orders import StoredOrder
from chalicelib.errors import AppError, Conflict, InvalidInput, NotFound
from chalicelib.orders.model import OrderInvalid, parse_order
from chalicelib.sync import orders

WINDOW = 5_000  # orders read for one list (see the module's note)
READ_PAGE = 500
MAX_LIMIT = 500
MAX_SEARCH = 100
MAX_RETRY = 500  # orders one bulk retry takes
LIST_PARAMS = frozenset({"q", "status", "channel", "limit", "after", "format"})
CSV_COLUMNS = (
    "Order",
    "Order date",
    "Customer",
    "Email",
    "Total",
    "Currency",
    "Channel",
    "Status",
    "QuickBooks document",
    "QuickBooks number",
    "QuickBooks TxnID",
    "Problem",
    "Attempts",
    "Received",
)
_FORMULA_START = ("=", "+", "-", "@", "'", "\t", "\r")


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


class RetryOutcome(StrEnum):
    QUEUED = "queued"
    NOT_FAILED = "not_failed"
    CANNOT_RETRY = "cannot_retry"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class OrderQuery:
    search: str
    status: str | None
    channel_id: str | None
    limit: int
    offset: int
    format: Format


@dataclass(frozen=True)
class Row:
    stored: StoredOrder
    order_date: str  # ISO date-time the store gave (created_at), else when it was received
    email: str


def parse_query(tenant_id: str, params: Mapping[str, str] | None, *, csv_route: bool = False) -> OrderQuery:
    """The list's query string; a 400 naming every bad parameter."""
    params = dict(params or {})
    problems = {name: "unknown parameter" for name in sorted(set(params) - LIST_PARAMS)}
    search = params.get("q", "").strip()
    if len(search) > MAX_SEARCH:
        problems["q"] = f"must be at most {MAX_SEARCH} characters"
    status = params.get("status") or None
    if status is not None and status not in repo.STATUSES:
        problems["status"] = f"must be one of {', '.join(repo.STATUSES)}"
    limit_text = params.get("limit", "100")
    limit = int(limit_text) if limit_text.isdecimal() and len(limit_text) <= 4 else 0
    if not 1 <= limit <= MAX_LIMIT:
        problems["limit"] = f"must be a whole number from 1 to {MAX_LIMIT}"
    fmt = Format.CSV if csv_route else Format.JSON
    if "format" in params:
        if params["format"] not in (Format.JSON, Format.CSV):
            problems["format"] = "must be json or csv"
        else:
            fmt = Format(params["format"])
    channel_id = params.get("channel") or None
    if channel_id is not None and len(channel_id) > 64:
        problems["channel"] = "must be a channel id"
    offset = 0
    after = params.get("after")
    if after and "limit" not in problems:
        try:
            position = cursors.decode(tenant_id, _scope(channel_id), after, ("offset",))
            offset = int(position["offset"]) if position["offset"].isdecimal() else -1
        except AppError:
            offset = -1
        if not 0 <= offset <= WINDOW:
            problems["after"] = "is not a cursor of this list"
    if problems:
        raise InvalidInput.of("invalid request", problems)
    return OrderQuery(search, status, channel_id, limit, offset, fmt)


def _scope(channel_id: str | None) -> str:
    return f"order-list:{channel_id}" if channel_id else "order-list"


def _order_date(stored: StoredOrder) -> str:
    value = stored.document.get("created_at")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
        except ValueError:
            pass
    return stored.received_at.isoformat()


def _email(stored: StoredOrder) -> str:
    customer = stored.document.get("customer")
    return str(customer.get("email") or "").strip() if isinstance(customer, dict) else ""


def _window(tenant_id: str, channel_id: str | None) -> tuple[list[Row], bool]:
    """The tenant's orders (one channel's) up to WINDOW, newest first by order date; whether all were read."""
    rows: list[Row] = []
    after: str | None = None
    while len(rows) < WINDOW:
        page, after = repo.list_orders(
            tenant_id,
            channel_id=channel_id,
            status=None,
            limit=min(READ_PAGE, WINDOW - len(rows)),
            after=after,
        )
        rows += [Row(o, _order_date(o), _email(o)) for o in page]
        if not after:
            break
    rows.sort(key=lambda r: (r.order_date, r.stored.number), reverse=True)
    return rows, after is None


def _matches(row: Row, words: list[str]) -> bool:
    stored = row.stored
    customer = stored.document.get("customer")
    names = (
        " ".join(str(customer.get(k) or "") for k in ("first_name", "last_name", "company"))
        if isinstance(customer, dict)
        else ""
    )
    text = f"{stored.number} {stored.order_id} {names} {row.email}".casefold()
    return all(w in text for w in words)


def _number_words(search: str) -> list[str]:
    return [w.removeprefix("#") for w in search.casefold().split() if w.removeprefix("#")]


@dataclass(frozen=True)
class OrderList:
    rows: list[Row]  # this page
    counts: dict[str, int]  # by status, of the orders the search and channel match
    matched: int  # orders the whole query matches (every page)
    next_offset: int | None
    complete: bool


def list_orders(tenant_id: str, query: OrderQuery, *, every_page: bool = False) -> OrderList:
    rows, complete = _window(tenant_id, query.channel_id)
    words = _number_words(query.search)
    searched = [r for r in rows if _matches(r, words)] if words else rows
    counts = Counter(r.stored.status for r in searched)
    chosen = [r for r in searched if r.stored.status == query.status] if query.status else searched
    if every_page:
        return OrderList(chosen, _counts(counts), len(chosen), None, complete)
    end = query.offset + query.limit
    return OrderList(
        chosen[query.offset : end], _counts(counts), len(chosen), end if end < len(chosen) else None, complete
    )


def _counts(counts: Counter[str]) -> dict[str, int]:
    return {status: counts.get(status, 0) for status in repo.STATUSES}


def row_view(row: Row) -> dict[str, Any]:
    return {**orders.order_view(row.stored), "order_date": row.order_date, "email": row.email}


def list_view(tenant_id: str, query: OrderQuery, found: OrderList) -> dict[str, Any]:
    return {
        "orders": [row_view(r) for r in found.rows],
        "counts": found.counts,
        "matched": found.matched,
        "complete": found.complete,
        "next": cursors.encode(tenant_id, _scope(query.channel_id), {"offset": str(found.next_offset)})
        if found.next_offset is not None
        else None,
    }


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(tenant_id: str, query: OrderQuery) -> str:
    """Every order the query matches (not one page), as CSV; cells never start a spreadsheet formula."""
    found = list_orders(tenant_id, query, every_page=True)
    return orders_csv(found, {c.channel_id: c.name for c in channels.list_for_tenant(tenant_id)})


def orders_csv(found: OrderList, channel_names: Mapping[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in found.rows:
        o = row.stored
        writer.writerow(
            _cell(v)
            for v in (
                o.number or o.order_id,
                row.order_date,
                orders.order_view(o)["customer"],
                row.email,
                o.document.get("total"),
                o.document.get("currency"),
                channel_names.get(o.channel_id, o.channel_id),
                o.status,
                o.txn_type,
                o.ref_number,
                o.txn_id,
                (o.error or {}).get("message"),
                o.attempts,
                o.received_at.isoformat(),
            )
        )
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- bulk retry


def retry_request(tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Retry failed orders: `ids` (up to MAX_RETRY) or every failed one (`{"status": "failed"}`, the newest
    MAX_RETRY). Each is the one-order retry (`orders.retry_order`); the answer says what became of each."""
    problems = {name: "unknown field" for name in sorted(set(body) - {"ids", "status"})}
    ids = body.get("ids")
    status = body.get("status")
    if ids is not None and status is not None:
        problems["ids"] = "name the orders, or ask for every failed one, not both"
    elif ids is not None:
        if not isinstance(ids, list) or not ids or len(ids) > MAX_RETRY:
            problems["ids"] = f"must be a list of 1 to {MAX_RETRY} order ids"
        elif not all(isinstance(i, str) and i.startswith("ord_") and len(i) <= 64 for i in ids):
            problems["ids"] = "must hold order ids (ord_...)"
    elif status is not None:
        if status != repo.FAILED:
            problems["status"] = "only failed orders can be retried: send failed"
    else:
        problems["ids"] = 'name the orders to retry, or send {"status": "failed"}'
    if problems:
        raise InvalidInput.of("Nothing was retried", problems)
    if ids is not None:
        keys = list(dict.fromkeys(str(i) for i in ids))
    else:
        query = OrderQuery("", repo.FAILED, None, MAX_RETRY, 0, Format.JSON)
        keys = [r.stored.key for r in list_orders(tenant_id, query).rows]
    results = [_retry_one(tenant_id, key) for key in keys]
    counts = Counter(str(r["outcome"]) for r in results)
    return {"counts": {o.value: counts.get(o.value, 0) for o in RetryOutcome}, "orders": results}


def _retry_one(tenant_id: str, key: str) -> dict[str, Any]:
    try:
        stored = orders.retry_order(tenant_id, key)
    except NotFound:
        return {"id": key, "outcome": RetryOutcome.NOT_FOUND, "message": "No such order."}
    except Conflict as exc:
        current = repo.get_by_key(tenant_id, key)
        outcome = (
            RetryOutcome.NOT_FAILED
            if current is not None and current.status != repo.FAILED
            else RetryOutcome.CANNOT_RETRY
        )
        return {"id": key, "outcome": outcome, "message": exc.message}
    return {"id": key, "number": stored.number, "outcome": RetryOutcome.QUEUED, "status": stored.status}


# ---------------------------------------------------------------------------------------------- detail


def _lines(stored: StoredOrder) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    try:
        order = parse_order(stored.document)
    except OrderInvalid:
        return [], None
    lines = [
        {
            "line_id": ln.line_id,
            "sku": ln.sku,
            "title": ln.title,
            "quantity": str(ln.quantity),
            "unit_price": str(ln.unit_price),
            "discount": f"{ln.discount:.2f}",
            "tax": f"{ln.tax:.2f}",
            "amount": f"{ln.amount - ln.discount:.2f}",
        }
        for ln in order.lines
    ]
    totals = {
        "currency": order.currency,
        "shipping": f"{sum((s.price - s.discount for s in order.shipping_lines), start=0):.2f}",
        "discounts": f"{sum((d.amount for d in order.discounts), start=0):.2f}",
        "fees": f"{sum((f.amount for f in order.fees), start=0):.2f}",
        "tax": f"{order.tax_total:.2f}",
        "total": f"{order.total:.2f}",
        "computed": f"{order.computed_total:.2f}",
        "paid": f"{order.paid_amount:.2f}",
        "refunded": f"{order.refunded_amount:.2f}",
    }
    return lines, totals


class Step(StrEnum):
    RECEIVED = "received"
    CHANGED = "changed"
    QUEUED = "queued"
    SENT = "sent"
    RECORDED = "recorded"
    FAILED = "failed"
    WARNING = "warning"
    CHANGED_AFTER_SYNC = "changed_after_sync"


def timeline(stored: StoredOrder) -> list[dict[str, Any]]:
    """What the order record tells of its way, oldest first (events without a time come last)."""
    events: list[dict[str, Any]] = [
        {"at": stored.received_at.isoformat(), "step": Step.RECEIVED, "text": "Received from the store."}
    ]
    if stored.updated_at > stored.received_at and not stored.changed_after_sync:
        events.append(
            {"at": stored.updated_at.isoformat(), "step": Step.CHANGED, "text": "Changed in the store."}
        )
    if stored.queued_at and stored.status in (repo.PENDING, repo.IN_FLIGHT):
        events.append({"at": stored.queued_at, "step": Step.QUEUED, "text": "Queued for the Web Connector."})
    if stored.claimed_at:
        text = "Sent to QuickBooks"
        text += f" in message set {stored.message_set_id}." if stored.message_set_id else "."
        if stored.attempts > 1:
            text += f" Attempt {stored.attempts}."
        events.append({"at": stored.claimed_at, "step": Step.SENT, "text": text})
    if stored.synced_at:
        docs = ", ".join(f"{label} {txn}" for label, txn in stored.documents.items() if txn)
        events.append(
            {
                "at": stored.synced_at.isoformat(),
                "step": Step.RECORDED,
                "text": f"Recorded in QuickBooks ({docs})." if docs else "Recorded in QuickBooks.",
            }
        )
    if stored.changed_after_sync:
        events.append(
            {
                "at": stored.changed_after_sync.get("received_at"),
                "step": Step.CHANGED_AFTER_SYNC,
                "text": "Changed in the store after it was sent: QuickBooks keeps what it has.",
            }
        )
    if stored.error:
        failed = stored.status == repo.FAILED
        events.append(
            {
                "at": None,
                "step": Step.FAILED if failed else Step.WARNING,
                "text": str(stored.error.get("message") or ("Not recorded." if failed else "")),
                "fix": stored.error.get("fix") or None,
            }
        )
    timed = sorted((e for e in events if e["at"]), key=lambda e: str(e["at"]))
    return timed + [e for e in events if not e["at"]]


def order_detail(tenant_id: str, key: str) -> dict[str, Any]:
    stored = orders.get_order(tenant_id, key)
    lines, totals = _lines(stored)
    return {
        **orders.order_view(stored),
        "order_date": _order_date(stored),
        "email": _email(stored),
        "lines": lines,
        "totals": totals,
        "message_set_id": stored.message_set_id,
        "claimed_at": stored.claimed_at,
        "timeline": timeline(stored),
    }
