"""Orders coming in (the custom store's push), their state, and the merchant's retry."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from chalicelib.aws import WorkQueue
from chalicelib.dal import channels, connections, orders, summary_days
from chalicelib.dal.channels import Channel
from chalicelib.dal.orders import Incoming, StoredOrder
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.orders.model import Order, OrderInvalid, parse_order
from chalicelib.orders.quickbooks.payments import payment_labels, recorded_total
from chalicelib.orders.settings import ChannelSettings
from chalicelib.orders.to_quickbooks import order_guid
from chalicelib.sync import order_rules
from chalicelib.sync.channels import settings_of
from chalicelib.sync.order_jobs import ORDERS_PER_MESSAGE, post_job, post_jobs

MAX_BATCH = 500


@dataclass(frozen=True)
class PushResult:
    counts: dict[str, int]
    orders: list[dict[str, str]]


def _digest(document: Any) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _wanted(order: Order, settings: ChannelSettings) -> str | None:
    """Why the channel's filters skip this order, or None when it is to be synced."""
    if settings.start_date and order.order_date < settings.start_date:
        return f"placed before the channel's start date {settings.start_date.isoformat()}"
    if settings.statuses and order.status not in settings.statuses:
        return f"status '{order.status}' is not one of the statuses to sync"
    return None


def push_orders(tenant_id: str, channel_id: str, body: Any) -> PushResult:
    """Validate a whole batch first (nothing of an invalid batch is stored), then store it idempotently and
    queue the QuickBooks work of every new or changed order."""
    channel = channels.get_for_tenant(tenant_id, channel_id)
    if channel.kind != "custom_store":
        raise Conflict("Orders can be pushed only to a custom-store channel.")
    if connections.get(channel.connection_id) is None:
        raise Conflict(
            "This channel's QuickBooks connection was deleted; nothing was stored. "
            "Create the channel again under a connection."
        )
    raw = body.get("orders") if isinstance(body, dict) else None
    if not isinstance(raw, list) or not raw:
        raise BadRequest(
            'the body must be {"orders": [...]} with at least one order',
            details={"fields": {"orders": "is required"}},
        )
    if len(raw) > MAX_BATCH:
        raise BadRequest(f"at most {MAX_BATCH} orders per request; this one has {len(raw)}")
    parsed: list[tuple[Order, dict[str, Any]]] = []
    problems: dict[str, str] = {}
    ids: Counter[str] = Counter()
    for index, document in enumerate(raw):
        try:
            order = parse_order(document)
        except OrderInvalid as exc:
            for path, message in exc.problems.items():
                problems[f"orders[{index}].{path}" if path else f"orders[{index}]"] = message
            continue
        ids[order.order_id] += 1
        if ids[order.order_id] == 2:
            problems[f"orders[{index}].id"] = f"order {order.order_id} appears more than once in this batch"
        parsed.append((order, document))
    if problems:
        bad = len({k.split(".")[0] for k in problems})
        raise BadRequest(
            f"{bad} of {len(raw)} orders are invalid; nothing was stored: "
            + "; ".join(f"{k} {v}" for k, v in list(problems.items())[:20]),
            details={"fields": problems},
        )
    counts, results = store_orders(channel, parsed)
    counts["received"] = len(raw)
    return PushResult(counts=dict(counts), orders=results)


def store_orders(
    channel: Channel, parsed: list[tuple[Order, dict[str, Any]]]
) -> tuple[Counter[str], list[dict[str, str]]]:
    """Store valid orders idempotently (the channel's filters first) and queue the QuickBooks work of every
    new, changed or refunded one. Shared by the custom store's push and every connector's fetch."""
    settings = settings_of(channel)
    counts: Counter[str] = Counter()
    results = []
    # The order record is the truth and the queue only a signal: a message naming up to ORDERS_PER_MESSAGE
    # orders goes out as soon as they are stored, and what is stored but never queued (a crash between the two)
    # is found again by the open-orders sweep at the next Web Connector run.
    queue = _QueueAsYouGo(WorkQueue(channel.connection_id))
    rules = order_rules.for_tenant(channel.tenant_id)  # read and compiled once for the batch
    for order, document in parsed:
        skipped = (
            _wanted(order, settings)
            or rules.apply(order, settings, channel.channel_id, channel.kind).skip_reason
        )
        key = orders.order_key(channel.channel_id, order.order_id)
        if skipped:
            counts["skipped"] += 1
            results.append({"id": key, "order_id": order.order_id, "outcome": "skipped", "reason": skipped})
            continue
        outcome = orders.upsert(
            channel.tenant_id,
            channel.connection_id,
            channel.channel_id,
            Incoming(
                order_id=order.order_id,
                number=order.number,
                document=document,
                digest=_digest(document),
                external_guid=order_guid(channel.connection_id, channel.channel_id, order.order_id),
            ),
        )
        if outcome == "changed_after_sync" and _summarized_changed(channel.channel_id, order, document):
            outcome = "changed"  # its daily summary is corrected (chalicelib/sync/summary_transactions.py)
        if outcome == "changed_after_sync" and _queue_new_refunds(channel.channel_id, order, document):
            outcome = "refunded"
        if outcome in ("new", "changed", "refunded", "waiting"):
            queue.add((channel.channel_id, order.order_id))
        if outcome == "waiting":  # the same order again, still waiting: queued again, unchanged to the store
            outcome = "unchanged"
        counts[outcome] += 1
        results.append({"id": key, "order_id": order.order_id, "outcome": outcome})
    queue.flush()
    return counts, results


class _QueueAsYouGo:
    """Queue messages sent as orders are stored, one per ORDERS_PER_MESSAGE orders, not all at the end."""

    def __init__(self, queue: WorkQueue) -> None:
        self.queue = queue
        self.waiting: list[tuple[str, str]] = []

    def add(self, ref: tuple[str, str]) -> None:
        self.waiting.append(ref)
        if len(self.waiting) >= ORDERS_PER_MESSAGE:
            self.flush()

    def flush(self) -> None:
        if self.waiting:
            self.queue.send_many(post_jobs(self.waiting))
            self.waiting = []


def store_unreadable(channel: Channel, order_id: str, number: str, problem: str) -> bool:
    """An order the store sent that cannot be read: failed, with the reason, for the merchant to fix."""
    return orders.record_unreadable(
        channel.tenant_id,
        channel.connection_id,
        channel.channel_id,
        order_id,
        number,
        problem,
        order_guid(channel.connection_id, channel.channel_id, order_id),
    )


def _summarized_changed(channel_id: str, order: Order, document: dict[str, Any]) -> bool:
    """An order a posted daily summary carries changed: it goes back to its days, which are posted again (a Mod)."""
    stored = orders.get(channel_id, order.order_id)
    if stored is None or stored.status != orders.SYNCED:
        return False
    if not any(k.startswith(summary_days.SUMMARY_DOCUMENT) for k in stored.documents):
        return False
    return orders.queue_refunds(stored, document, _digest(document))  # the new document, pending again


def _queue_new_refunds(channel_id: str, order: Order, document: dict[str, Any]) -> bool:
    """A refund of an order already in QuickBooks becomes a credit memo: the order goes back to pending
    for it. Any other change to a synced order is only recorded (changed_after_sync), never re-posted. A change
    that comes while the order is on its way is recorded too, and its refunds are queued when the order's
    message set is settled (`queue_waiting_refunds`)."""
    stored = orders.get(channel_id, order.order_id)
    if stored is None or stored.status != orders.SYNCED:
        return False
    return _queue_refunds_of(stored, order, document)


def _queue_refunds_of(stored: StoredOrder, order: Order, document: dict[str, Any]) -> bool:
    new = [
        f"CreditMemo:{r.refund_id}"
        for r in order.refunds
        if f"CreditMemo:{r.refund_id}" not in stored.documents
    ]
    if not new:  # or payments its invoice does not have yet (docs/accounting/paid-invoices.md)
        new = _new_payments(stored, order)
    return bool(new) and orders.queue_refunds(stored, document, _digest(document))


def _new_payments(stored: StoredOrder, order: Order) -> list[str]:
    """The labels of the order's payments its invoice does not have yet (none unless the channel records them)."""
    if not order.payments:
        return []
    channel = channels.get(stored.channel_id)
    if channel is None:
        return []
    labels = payment_labels(
        order, settings_of(channel), stored.documents, invoice_total=recorded_total(stored.invoice_total)
    )
    return [label for label in labels if label not in stored.documents]


def queue_waiting_refunds(kept_open: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Synced orders kept in the open index because a newer version came while they were on their way
    (`orders.document_change`): the ones whose newer version has refunds QuickBooks does not have yet go back to
    pending for the credit memos; the others leave the open index. Returns those made pending (to be queued).
    Called right after they are settled, and by the stranded-order sweep for any a crash left there."""
    queued = []
    for stored in orders.get_many(kept_open):
        if stored.status != orders.SYNCED:
            continue
        later = orders.later_change(stored)
        order = None
        if later is not None:
            try:
                order = parse_order(later[0])
            except OrderInvalid:
                order = None
        if order is not None and later is not None and _queue_refunds_of(stored, order, later[0]):
            queued.append((stored.channel_id, stored.order_id))
        else:
            orders.close_synced(stored)
    return queued


def complete_in_set(stored: StoredOrder, message_set_id: str) -> None:
    """An order of the set whose documents are all in QuickBooks already: synced (its waiting refunds queued)."""
    if orders.record_complete(stored, message_set_id) is orders.Completed.KEPT_OPEN:
        queued = queue_waiting_refunds([(stored.channel_id, stored.order_id)])
        if queued:
            WorkQueue(stored.connection_id).send_many(post_jobs(queued))


def _customer_label(document: dict[str, Any]) -> str:
    """Who bought, as the store named them (for people reading the order list; never used for matching)."""
    customer = document.get("customer")
    if not isinstance(customer, dict):
        return ""
    person = " ".join(str(customer.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    return person or str(customer.get("company") or "").strip() or str(customer.get("email") or "").strip()


def order_view(order: StoredOrder) -> dict[str, Any]:
    return {
        "id": order.key,
        "channel_id": order.channel_id,
        "order_id": order.order_id,
        "number": order.number,
        "customer": _customer_label(order.document),
        "total": order.document.get("total"),
        "status": order.status,
        "quickbooks": {"txn_id": order.txn_id, "txn_type": order.txn_type, "ref_number": order.ref_number}
        if order.txn_id
        else None,
        "documents": order.documents,
        "error": order.error,
        "attempts": order.attempts,
        "received_at": order.received_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
        "synced_at": order.synced_at.isoformat() if order.synced_at else None,
        "changed_after_sync": {"received_at": order.changed_after_sync["received_at"]}
        if order.changed_after_sync
        else None,
        "rules": list(order.rules),
        "summary": summary_days.summary_view(order),  # the daily summary carrying it, if any
    }


def get_order(tenant_id: str, key: str) -> StoredOrder:
    order = orders.get_by_key(tenant_id, key)
    if order is None:
        raise NotFound(f"no order {key}")
    return order


def retry_order(tenant_id: str, key: str) -> StoredOrder:
    order = get_order(tenant_id, key)
    if order.status != orders.FAILED:
        raise Conflict(f"order {key} is {order.status}; only failed orders can be retried")
    if (order.error or {}).get("code") == orders.UNREADABLE:
        raise Conflict(
            f"order {key} could not be read from the store ({order.error and order.error.get('message')}); "
            "correct it in the store: its next change is fetched again"
        )
    if orders.retry(order):
        WorkQueue(order.connection_id).send(post_job(order.channel_id, order.order_id))
    return get_order(tenant_id, key)
