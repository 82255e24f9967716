"""Orders and their way into QuickBooks: pending -> in_flight -> synced | failed.

Every state change that could race is a conditional write on the order's status, so an order can be in
at most one message set, and a sale is recorded once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.models import OrderModel

PENDING, IN_FLIGHT, SYNCED, FAILED = "pending", "in_flight", "synced", "failed"
STATUSES = (PENDING, IN_FLIGHT, SYNCED, FAILED)
Outcome = Literal["new", "changed", "unchanged", "in_quickbooks", "changed_after_sync", "refunded"]
UNREADABLE = "unreadable"  # error code of an order the store sent that cannot be read


def order_key(channel_id: str, order_id: str) -> str:
    """The order's id in the API: opaque, URL-safe, stable."""
    return "ord_" + hashlib.sha256(f"{channel_id}\x00{order_id}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class StoredOrder:
    key: str
    channel_id: str
    order_id: str
    tenant_id: str
    connection_id: str
    status: str
    number: str
    document: dict[str, Any]
    digest: str
    received_at: datetime
    updated_at: datetime
    external_guid: str
    message_set_id: str | None
    txn_id: str | None
    txn_type: str | None
    ref_number: str | None
    error: dict[str, Any] | None
    attempts: int
    synced_at: datetime | None
    changed_after_sync: dict[str, Any] | None
    documents: dict[str, str]


def _order(m: OrderModel) -> StoredOrder:
    return StoredOrder(
        key=m.order_key,
        channel_id=m.channel_id,
        order_id=m.order_id,
        tenant_id=m.tenant_id,
        connection_id=m.connection_id,
        status=m.status,
        number=m.number,
        document=dict(m.document or {}),
        digest=m.digest,
        received_at=m.received_at,
        updated_at=m.updated_at,
        external_guid=m.external_guid,
        message_set_id=m.message_set_id,
        txn_id=m.txn_id,
        txn_type=m.txn_type,
        ref_number=m.ref_number,
        error=m.error,
        attempts=int(m.attempts or 0),
        synced_at=m.synced_at,
        changed_after_sync=m.changed_after_sync,
        documents=dict(m.documents or {}),
    )


@dataclass(frozen=True)
class Incoming:
    order_id: str
    number: str
    document: dict[str, Any]
    digest: str
    external_guid: str


def upsert(tenant_id: str, connection_id: str, channel_id: str, incoming: Incoming) -> Outcome:
    """Store an order idempotently. New or changed-before-sync orders become pending (the caller queues
    them); a change to an order already in QuickBooks (or on its way) is recorded, never re-posted."""
    now = datetime.now(UTC)
    model = OrderModel(
        channel_id,
        incoming.order_id,
        order_key=order_key(channel_id, incoming.order_id),
        tenant_id=tenant_id,
        connection_id=connection_id,
        status=PENDING,
        number=incoming.number,
        document=incoming.document,
        digest=incoming.digest,
        received_at=now,
        updated_at=now,
        external_guid=incoming.external_guid,
    )
    try:
        model.save(condition=OrderModel.order_id.does_not_exist())
        return "new"
    except PutError as exc:
        if not condition_failed(exc):
            raise
    current = OrderModel.get(channel_id, incoming.order_id, consistent_read=True)
    if current.digest == incoming.digest:
        return "in_quickbooks" if current.status == SYNCED else "unchanged"
    try:
        OrderModel(channel_id, incoming.order_id).update(
            actions=[
                OrderModel.document.set(incoming.document),
                OrderModel.digest.set(incoming.digest),
                OrderModel.number.set(incoming.number),
                OrderModel.updated_at.set(now),
                OrderModel.status.set(PENDING),
                OrderModel.error.remove(),
                OrderModel.attempts.set(0),
            ],
            condition=OrderModel.status.is_in(PENDING, FAILED),
        )
        return "changed"
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    OrderModel(channel_id, incoming.order_id).update(
        actions=[
            OrderModel.changed_after_sync.set(
                {"received_at": now.isoformat(), "digest": incoming.digest, "document": incoming.document}
            ),
            OrderModel.updated_at.set(now),
        ]
    )
    return "changed_after_sync"


def get(channel_id: str, order_id: str) -> StoredOrder | None:
    try:
        return _order(OrderModel.get(channel_id, order_id, consistent_read=True))
    except OrderModel.DoesNotExist:
        return None


def get_many(keys: Iterable[tuple[str, str]]) -> list[StoredOrder]:
    return [_order(m) for m in OrderModel.batch_get(list(dict.fromkeys(keys)))]


def get_by_key(tenant_id: str, key: str) -> StoredOrder | None:
    for model in OrderModel.by_tenant.query(tenant_id, OrderModel.order_key == key, limit=1):
        return get(model.channel_id, model.order_id)
    return None


def list_orders(
    tenant_id: str, *, channel_id: str | None, status: str | None, limit: int, after: str | None
) -> tuple[list[StoredOrder], str | None]:
    """One page of the tenant's orders (optionally one channel's, one status), and the next page's cursor."""
    condition = OrderModel.status == status if status else None
    if channel_id:
        pages = OrderModel.query(
            channel_id,
            filter_condition=condition,
            limit=limit,
            last_evaluated_key={"channel_id": {"S": channel_id}, "order_id": {"S": after}} if after else None,
        )
    else:
        pages = OrderModel.by_tenant.query(
            tenant_id,
            filter_condition=condition,
            limit=limit,
            last_evaluated_key=_tenant_cursor(tenant_id, after) if after else None,
        )
    found = [_order(m) for m in pages if m.tenant_id == tenant_id]
    last = pages.last_evaluated_key
    cursor = None
    if last:  # the filter applies after the limit: a short page can still have more behind it
        cursor = last["order_id"]["S"] if channel_id else f"{last['channel_id']['S']}|{last['order_id']['S']}"
    return found, cursor


def _tenant_cursor(tenant_id: str, after: str) -> dict[str, Any]:
    channel_id, _, order_id = after.partition("|")
    return {
        "tenant_id": {"S": tenant_id},
        "order_key": {"S": order_key(channel_id, order_id)},
        "channel_id": {"S": channel_id},
        "order_id": {"S": order_id},
    }


def _transition(channel_id: str, order_id: str, actions: list[Any], condition: Any) -> bool:
    try:
        OrderModel(channel_id, order_id).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def claim(order: StoredOrder, message_set_id: str) -> bool:
    """pending -> in_flight in `message_set_id`; False when the order is not pending (any more)."""
    return _transition(
        order.channel_id,
        order.order_id,
        [
            OrderModel.status.set(IN_FLIGHT),
            OrderModel.message_set_id.set(message_set_id),
            OrderModel.attempts.add(1),
        ],
        (OrderModel.status == PENDING) & (OrderModel.digest == order.digest),
    )


def record_document(
    order: StoredOrder,
    message_set_id: str,
    *,
    label: str,
    txn_id: str,
    txn_type: str,
    ref_number: str | None,
    complete: bool,
    warning: dict[str, Any] | None = None,
) -> bool:
    """Record a document QuickBooks saved for the order. `complete`: it was the last one the order needs
    (synced); otherwise the order goes back to pending for its next document. The first sale document is
    the order's TxnID. `warning`: something the merchant should check although the sale is recorded."""
    documents = {**order.documents, label: txn_id}
    actions: list[Any] = [
        OrderModel.documents.set(documents),
        OrderModel.error.set(warning) if warning else OrderModel.error.remove(),
    ]
    if order.txn_id is None:
        actions += [
            OrderModel.txn_id.set(txn_id),
            OrderModel.txn_type.set(txn_type),
            OrderModel.ref_number.set(ref_number or ""),
        ]
    if complete:
        actions += [OrderModel.status.set(SYNCED), OrderModel.synced_at.set(datetime.now(UTC))]
    else:
        actions += [
            OrderModel.status.set(PENDING),
            OrderModel.message_set_id.remove(),
            OrderModel.attempts.set(0),
        ]
    return _transition(
        order.channel_id,
        order.order_id,
        actions,
        (OrderModel.status == IN_FLIGHT) & (OrderModel.message_set_id == message_set_id),
    )


def record_complete(order: StoredOrder, message_set_id: str) -> bool:
    """in_flight -> synced for an order whose documents are all in QuickBooks already."""
    return _transition(
        order.channel_id,
        order.order_id,
        [OrderModel.status.set(SYNCED), OrderModel.synced_at.set(datetime.now(UTC))],
        (OrderModel.status == IN_FLIGHT) & (OrderModel.message_set_id == message_set_id),
    )


def queue_refunds(order: StoredOrder, document: dict[str, Any], digest: str) -> bool:
    """A synced order got new refunds: take its new document and make it pending for the credit memos."""
    return _transition(
        order.channel_id,
        order.order_id,
        [
            OrderModel.document.set(document),
            OrderModel.digest.set(digest),
            OrderModel.status.set(PENDING),
            OrderModel.attempts.set(0),
            OrderModel.updated_at.set(datetime.now(UTC)),
        ],
        (OrderModel.status == SYNCED) & (OrderModel.digest == order.digest),
    )


def mark_failed(order: StoredOrder, message_set_id: str | None, error: dict[str, Any]) -> bool:
    condition = (
        (OrderModel.status == IN_FLIGHT) & (OrderModel.message_set_id == message_set_id)
        if message_set_id
        else OrderModel.status == PENDING
    )
    return _transition(
        order.channel_id,
        order.order_id,
        [OrderModel.status.set(FAILED), OrderModel.error.set(error)],
        condition,
    )


def back_to_pending(order: StoredOrder, message_set_id: str, error: dict[str, Any] | None) -> bool:
    actions: list[Any] = [OrderModel.status.set(PENDING), OrderModel.message_set_id.remove()]
    actions.append(OrderModel.error.set(error) if error else OrderModel.error.remove())
    return _transition(
        order.channel_id,
        order.order_id,
        actions,
        (OrderModel.status == IN_FLIGHT) & (OrderModel.message_set_id == message_set_id),
    )


def retry(order: StoredOrder) -> bool:
    """failed -> pending, for the merchant's retry."""
    return _transition(
        order.channel_id,
        order.order_id,
        [OrderModel.status.set(PENDING), OrderModel.attempts.set(0)],
        OrderModel.status == FAILED,
    )


def record_unreadable(
    tenant_id: str,
    connection_id: str,
    channel_id: str,
    order_id: str,
    number: str,
    problem: str,
    external_guid: str,
) -> bool:
    """An order the store sent that cannot be read becomes failed with the reason (the merchant fixes it in
    the store; its next change is fetched again). An order already in QuickBooks or on its way is left
    alone. Returns whether it was recorded."""
    now = datetime.now(UTC)
    error = {"code": UNREADABLE, "message": problem, "retriable": False}
    model = OrderModel(
        channel_id,
        order_id,
        order_key=order_key(channel_id, order_id),
        tenant_id=tenant_id,
        connection_id=connection_id,
        status=FAILED,
        number=number or order_id,
        document={},
        digest="",
        received_at=now,
        updated_at=now,
        external_guid=external_guid,
        error=error,
    )
    try:
        model.save(condition=OrderModel.order_id.does_not_exist())
        return True
    except PutError as exc:
        if not condition_failed(exc):
            raise
    return _transition(
        channel_id,
        order_id,
        [
            OrderModel.status.set(FAILED),
            OrderModel.error.set(error),
            OrderModel.digest.set(""),
            OrderModel.updated_at.set(now),
        ],
        OrderModel.status.is_in(PENDING, FAILED),
    )
