"""Orders and their way into QuickBooks: pending -> in_flight -> synced | failed.

Every state change that could race is a conditional write on the order's status, so an order can be in
at most one message set, and a sale is recorded once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError

from chalicelib.dal import channels, cursors, order_documents, payloads, updates
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.models import OrderModel
from chalicelib.dal.updates import (
    Action,
    Condition,
    Update,
    absent,
    add_to,
    equals,
    key_of,
    one_of,
    remove,
    set_if_absent,
    set_to,
)

PENDING, IN_FLIGHT, SYNCED, FAILED = "pending", "in_flight", "synced", "failed"
STATUSES = (PENDING, IN_FLIGHT, SYNCED, FAILED)
# "waiting": the same order again while it still waits for QuickBooks and its last queue message is old (its work
# is queued again: harmless if the message is still on the queue, and it rescues an order whose message was lost).
Outcome = Literal["new", "changed", "unchanged", "waiting", "in_quickbooks", "changed_after_sync", "refunded"]
UNREADABLE = "unreadable"  # error code of an order the store sent that cannot be read
# An order's document: compressed in the item from its first write, in the payloads table when very large; items
# stored before (inline JSON, plain zlib) still read (dal/order_documents.py: a write unit per KB of the item).
# The same order sent again while it waits is queued again when its last message is older than this (a message for
# it is then likely lost; sooner, it is almost surely still on the queue, and a re-read fetch window stays quiet).
REQUEUE_AFTER = timedelta(seconds=60)
CHANGED_AFTER_SYNC_KEPT_BYTES = 8_000  # a later change to a synced order keeps its document only when small


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
    verify: bool = False
    queued_at: str | None = None  # while pending or in flight: its last queue message, wall clock
    claimed_at: str | None = None  # when it was last claimed into a message set, wall clock
    rules: tuple[str, ...] = ()  # the order rules that changed it when it was last posted
    later_waiting: bool = False  # a newer version came while it was in flight (see `document_change`)
    invoice_total: str | None = None  # the total QuickBooks recorded for its invoice, when known


def _order(m: OrderModel) -> StoredOrder:
    return StoredOrder(
        key=m.order_key,
        channel_id=m.channel_id,
        order_id=m.order_id,
        tenant_id=m.tenant_id,
        connection_id=m.connection_id,
        status=m.status,
        number=m.number,
        document=order_documents.read(m),
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
        verify=bool(m.verify),
        queued_at=m.queued_at,
        claimed_at=m.claimed_at,
        rules=tuple(m.rules or ()),
        later_waiting=bool(m.later_waiting),
        invoice_total=m.invoice_total,
    )


def _now_key() -> str:
    return datetime.now(UTC).isoformat()


def _still_open(connection_id: str) -> list[Action]:
    """Actions that keep an order in the connection's open-orders index, as just queued."""
    return [set_to(OrderModel.open_connection, connection_id), set_to(OrderModel.queued_at, _now_key())]


def _left_open(connection_id: str) -> list[Action]:
    """Actions that keep an order in the connection's open-orders index as it is: it stays with the job that holds
    it, no new queue message carries it, so its `queued_at` (the index's range key: the time of its last message)
    stays, and the index entry is not rewritten (a delete and a put, two write units, for nothing the sweep
    needs). An order that somehow has no entry gets one, as just queued."""
    return [
        set_if_absent(OrderModel.open_connection, connection_id),
        set_if_absent(OrderModel.queued_at, _now_key()),
    ]


def _reopened(connection_id: str, *, new_message: bool) -> list[Action]:
    return _still_open(connection_id) if new_message else _left_open(connection_id)


def _closed() -> list[Action]:
    return [remove(OrderModel.open_connection), remove(OrderModel.queued_at)]


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
    packed = order_documents.stored(channel_id, incoming.order_id, incoming.digest, incoming.document)
    model = OrderModel(
        channel_id,
        incoming.order_id,
        order_key=order_key(channel_id, incoming.order_id),
        tenant_id=tenant_id,
        connection_id=connection_id,
        status=PENDING,
        number=incoming.number,
        digest=incoming.digest,
        received_at=now,
        updated_at=now,
        external_guid=incoming.external_guid,
        open_connection=connection_id,
        queued_at=now.isoformat(),
        **{k: v for k, v in packed.items() if v is not None},
    )
    try:
        model.save(condition=OrderModel.order_id.does_not_exist())
        return "new"
    except PutError as exc:
        if not condition_failed(exc):
            raise
    current = OrderModel.get(channel_id, incoming.order_id, consistent_read=True)
    if current.digest == incoming.digest:
        if current.status == SYNCED:
            return "in_quickbooks"
        # Its queue message went out a while ago and it still waits: perhaps the message was lost.
        if (
            current.status == PENDING
            and _queued_before(current.queued_at, now - REQUEUE_AFTER)
            and _transition(
                channel_id,
                incoming.order_id,
                [set_to(OrderModel.queued_at, now.isoformat())],
                equals(OrderModel.status, PENDING) & equals(OrderModel.digest, incoming.digest),
            )
        ):
            return "waiting"
        return "unchanged"
    if _transition(
        channel_id,
        incoming.order_id,
        [
            *order_documents.update_actions(packed),
            set_to(OrderModel.digest, incoming.digest),
            set_to(OrderModel.number, incoming.number),
            set_to(OrderModel.updated_at, now),
            set_to(OrderModel.status, PENDING),
            remove(OrderModel.error),
            set_to(OrderModel.attempts, 0),
            *_still_open(connection_id),
        ],
        one_of(OrderModel.status, PENDING, FAILED),
    ):
        order_documents.forget(current.document_ref, packed)
        return "changed"
    # Kept whole (a new refund in it is posted once the order is in QuickBooks: see `later_change`).
    change: dict[str, Any] = {"received_at": now.isoformat(), "digest": incoming.digest}
    if len(json.dumps(incoming.document)) <= CHANGED_AFTER_SYNC_KEPT_BYTES:
        change["document"] = incoming.document
    else:
        key = f"later#{channel_id}#{hashlib.sha256(incoming.order_id.encode()).hexdigest()[:32]}#{incoming.digest}"
        payloads.put(key, json.dumps(incoming.document, separators=(",", ":")).encode())
        change["document_ref"] = key
    recorded: list[Action] = [
        set_to(OrderModel.changed_after_sync, change),
        set_to(OrderModel.updated_at, now),
    ]
    # On its way to QuickBooks: marked, so that the write that makes it synced keeps it in the open index until
    # the newer version's refunds are looked at (a crash after that write cannot leave them waiting).
    if not _transition(
        channel_id,
        incoming.order_id,
        [*recorded, set_to(OrderModel.later_waiting, True)],
        equals(OrderModel.status, IN_FLIGHT),
    ):
        _transition(channel_id, incoming.order_id, recorded, None)
    return "changed_after_sync"


def later_change(order: StoredOrder) -> tuple[dict[str, Any], str] | None:
    """The store's newer version of an order that was already in QuickBooks or on its way when it came
    (document, digest), or None."""
    change = order.changed_after_sync
    if not change or change.get("digest") == order.digest:
        return None
    if "document" in change:
        return dict(change["document"]), str(change["digest"])
    if change.get("document_ref"):
        try:
            return dict(json.loads(payloads.get(str(change["document_ref"])))), str(change["digest"])
        except payloads.PayloadMissing:
            return None
    return None


def _queued_before(queued_at: str | None, moment: datetime) -> bool:
    return queued_at is None or queued_at < moment.isoformat()


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
    """One page of the tenant's orders (optionally one channel's, one status), and the next page's cursor.

    A channel that is not the tenant's is a NotFound, as for a made-up id. The query's partition is the
    tenant (or the tenant's channel), never taken from the cursor; cursors are opaque and bound to the
    tenant and the list (see `cursors`)."""
    if channel_id:
        channels.get_for_tenant(tenant_id, channel_id)  # before any read: another tenant's is a 404
        scope = f"orders:{channel_id}"
        start = cursors.decode(tenant_id, scope, after, ("order_id",)) if after else None
        pages = OrderModel.query(
            channel_id,
            filter_condition=OrderModel.status == status if status else None,
            limit=limit,
            last_evaluated_key={"channel_id": {"S": channel_id}, "order_id": {"S": start["order_id"]}}
            if start
            else None,
        )
        found = [_order(m) for m in pages if m.tenant_id == tenant_id]
    else:
        scope = "orders"
        start = cursors.decode(tenant_id, scope, after, ("channel_id", "order_id")) if after else None
        pages = OrderModel.by_tenant.query(
            tenant_id,
            limit=limit,
            last_evaluated_key=_tenant_start(tenant_id, start["channel_id"], start["order_id"])
            if start
            else None,
        )
        # The index holds keys only: the page's orders are read by key, in the index's order.
        keys = [(m.channel_id, m.order_id) for m in pages]
        by_key = {(o.channel_id, o.order_id): o for o in get_many(keys)} if keys else {}
        found = [
            o
            for k in keys
            if (o := by_key.get(k)) is not None
            and o.tenant_id == tenant_id
            and (not status or o.status == status)
        ]
    last = pages.last_evaluated_key
    cursor = None
    if last:  # the filter applies after the limit: a short page can still have more behind it
        position = {"order_id": last["order_id"]["S"]}
        if not channel_id:
            position["channel_id"] = last["channel_id"]["S"]
        cursor = cursors.encode(tenant_id, scope, position)
    return found, cursor


def _tenant_start(tenant_id: str, channel_id: str, order_id: str) -> dict[str, Any]:
    return {
        "tenant_id": {"S": tenant_id},
        "order_key": {"S": order_key(channel_id, order_id)},
        "channel_id": {"S": channel_id},
        "order_id": {"S": order_id},
    }


def _transition(
    channel_id: str, order_id: str, actions: Sequence[Action], condition: Condition | None
) -> bool:
    return Change(channel_id, order_id, actions, condition).write()


@dataclass(frozen=True)
class Change:
    """One conditional update of an order, to be written alone or with others (`write_changes`); None as the
    condition: always written."""

    channel_id: str
    order_id: str
    actions: Sequence[Action]
    condition: Condition | None

    def update(self) -> Update:
        return Update(
            key_of(OrderModel.channel_id, self.channel_id, OrderModel.order_id, self.order_id),
            tuple(self.actions),
            self.condition,
        )

    def write(self) -> bool:
        """Whether its condition held (and it was written)."""
        return updates.write(_transactions(), OrderModel, self.update())


WRITERS = 8  # conditional writes in flight at once, for a few changes
TRANSACTION_MIN = 8  # from this many changes on, they go in transactions (one call per 100)
TRANSACTION_ITEMS = 100  # DynamoDB's most actions in one TransactWriteItems
TRANSACTION_TRIES = (
    4  # a transaction cancelled by a conflict (another write to one of its items) is tried again
)


def write_changes(changes: Sequence[Change]) -> list[bool]:
    """Write many conditional updates, each keeping its own condition. Returns, per change, whether its condition
    held and it was written.

    A few changes are written one by one, WRITERS at a time. A set's worth (TRANSACTION_MIN or more) goes in
    TransactWriteItems of up to 100: one call instead of a hundred. A transaction is all or nothing, and each
    order must stand alone (a loser is dropped, not the batch), so when one is cancelled the changes whose
    condition failed (its CancellationReasons name them) are left out and the rest are written again. A
    transactional write costs twice the write units of a plain one: worth it for a set of orders (the round trip
    waits on these calls), not for the one or two orders of a quiet store's session."""
    if len(changes) >= TRANSACTION_MIN:
        held: list[bool] = []
        for start in range(0, len(changes), TRANSACTION_ITEMS):
            held += _write_transactions(changes[start : start + TRANSACTION_ITEMS])
        return held
    if len(changes) <= 1:
        return [c.write() for c in changes]
    _transactions().client  # noqa: B018 - made once here, not by each of the pool's threads at once
    with ThreadPoolExecutor(max_workers=min(WRITERS, len(changes))) as pool:
        return list(pool.map(Change.write, changes))


def _write_transactions(changes: Sequence[Change]) -> list[bool]:
    held = [False] * len(changes)
    pending = list(range(len(changes)))
    for _ in range(TRANSACTION_TRIES):
        if not pending:
            return held
        try:
            table = OrderModel.Meta.table_name
            _transactions().transact_write_items(
                condition_check_items=(),
                delete_items=(),
                put_items=(),
                update_items=[changes[i].update().kwargs(table) for i in pending],
            )
        except TransactWriteError as exc:
            reasons = (
                exc.cancellation_reasons if exc.cause_response_code == "TransactionCanceledException" else []
            )
            if len(reasons) != len(pending):
                raise
            # The changes whose own condition failed are out; the others (cancelled with them, or by a conflict
            # with another write) are tried again.
            pending = [
                i for i, r in zip(pending, reasons, strict=True) if r is None or r.code != CONDITION_FAILED
            ]
            continue
        for i in pending:
            held[i] = True
        return held
    for i in pending:  # still conflicting after a few tries: one by one
        held[i] = changes[i].write()
    return held


@lru_cache(maxsize=4)
def _connection(region: str, host: str | None) -> Connection:
    return Connection(region=region, host=host)


def _transactions() -> Connection:
    """A PynamoDB connection for transactions, to the tables' endpoint (one per process and endpoint)."""
    return _connection(OrderModel.Meta.region, OrderModel.Meta.host)


CONDITION_FAILED = "ConditionalCheckFailed"


def claim_change(order: StoredOrder, message_set_id: str, rule_ids: Sequence[str] = ()) -> Change:
    """pending -> in_flight in `message_set_id`; its condition fails when the order is not pending (any more).
    `rule_ids`: the order rules that changed what this set posts of it (kept on the order)."""
    rules = [set_to(OrderModel.rules, list(rule_ids)) if rule_ids else remove(OrderModel.rules)]
    return Change(
        order.channel_id,
        order.order_id,
        [
            *rules,
            set_to(OrderModel.status, IN_FLIGHT),
            set_to(OrderModel.message_set_id, message_set_id),
            add_to(OrderModel.attempts, 1),
            # From now until its answer is applied, QuickBooks may hold what this set sends.
            set_to(OrderModel.verify, True),
            set_to(OrderModel.claimed_at, _now_key()),  # the stranded-order sweep's clock (not an index key)
        ],
        equals(OrderModel.status, PENDING) & equals(OrderModel.digest, order.digest),
    )


def claim(order: StoredOrder, message_set_id: str) -> bool:
    return claim_change(order, message_set_id).write()


@dataclass(frozen=True)
class InFlight:
    """What settling an order in flight needs to know of it (kept with the message set: no read back)."""

    channel_id: str
    order_id: str
    connection_id: str
    documents: dict[str, str]
    has_txn_id: bool

    @classmethod
    def of(cls, order: StoredOrder) -> InFlight:
        return cls(
            order.channel_id, order.order_id, order.connection_id, order.documents, order.txn_id is not None
        )


def _in_set(message_set_id: str) -> Condition:
    return equals(OrderModel.status, IN_FLIGHT) & equals(OrderModel.message_set_id, message_set_id)


def document_change(
    order: InFlight,
    message_set_id: str,
    *,
    label: str,
    txn_id: str,
    txn_type: str,
    ref_number: str | None,
    complete: bool,
    warning: dict[str, Any] | None = None,
    keep_open: bool = False,
    invoice_total: str | None = None,
    new_message: bool = True,
) -> Change:
    """Record a document QuickBooks saved for the order. `complete`: it was the last one the order needs
    (synced, see `_synced` for `keep_open`); otherwise the order goes back to pending for its next document. The
    first sale document is the order's TxnID. `warning`: something the merchant should check although the sale is
    recorded. `invoice_total`: the total QuickBooks recorded for the order's invoice (this document), when it said.
    `new_message`: a new queue message will carry the order to its next document (else it stays with the job that
    holds it, and its open-orders index entry is left as it is: `_left_open`).
    """
    documents = {**order.documents, label: txn_id}
    actions: list[Action] = [
        set_to(OrderModel.documents, documents),
        set_to(OrderModel.error, warning) if warning else remove(OrderModel.error),
        set_to(OrderModel.verify, False),
    ]
    if invoice_total is not None:
        actions.append(set_to(OrderModel.invoice_total, invoice_total))
    if not order.has_txn_id:
        actions += [
            set_to(OrderModel.txn_id, txn_id),
            set_to(OrderModel.txn_type, txn_type),
            set_to(OrderModel.ref_number, ref_number or ""),
        ]
    if complete:
        actions += [set_to(OrderModel.status, SYNCED), set_to(OrderModel.synced_at, datetime.now(UTC))]
        return _synced(order, actions, message_set_id, keep_open=keep_open)
    actions += [
        set_to(OrderModel.status, PENDING),
        remove(OrderModel.message_set_id),
        set_to(OrderModel.attempts, 0),
        *_reopened(order.connection_id, new_message=new_message),
    ]
    return Change(order.channel_id, order.order_id, actions, _in_set(message_set_id))


def _synced(order: InFlight, actions: list[Action], message_set_id: str, *, keep_open: bool) -> Change:
    """The write that makes an order of the set synced. It leaves the open index only when no newer version of
    the order came while it was in flight (`later_waiting`); when one did, its condition fails and the caller
    writes it again with `keep_open`: synced, still in the open index, until the newer version's refunds are
    queued or found to be none (`close_synced`). The stranded-order sweep finds it there after a crash."""
    if keep_open:
        return Change(
            order.channel_id,
            order.order_id,
            [*actions, remove(OrderModel.later_waiting), *_still_open(order.connection_id)],
            _in_set(message_set_id),
        )
    return Change(
        order.channel_id,
        order.order_id,
        [*actions, *_closed()],
        _in_set(message_set_id) & absent(OrderModel.later_waiting),
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
    new_message: bool = True,
) -> bool:
    return document_change(
        InFlight.of(order),
        message_set_id,
        label=label,
        txn_id=txn_id,
        txn_type=txn_type,
        ref_number=ref_number,
        complete=complete,
        warning=warning,
        new_message=new_message,
    ).write()


class Completed(StrEnum):
    """What `record_complete` did."""

    CLOSED = "closed"  # synced, out of the open index
    KEPT_OPEN = "kept_open"  # synced, kept in the open index: a newer version came while it was in flight
    NOT_IN_SET = "not_in_set"  # no longer in flight in this set: left alone


def record_complete(order: StoredOrder, message_set_id: str) -> Completed:
    """in_flight -> synced for an order whose documents are all in QuickBooks already (see `_synced`)."""
    flight = InFlight.of(order)
    actions = [
        set_to(OrderModel.status, SYNCED),
        set_to(OrderModel.synced_at, datetime.now(UTC)),
        set_to(OrderModel.verify, False),
    ]
    if _synced(flight, list(actions), message_set_id, keep_open=False).write():
        return Completed.CLOSED
    if _synced(flight, list(actions), message_set_id, keep_open=True).write():
        return Completed.KEPT_OPEN
    return Completed.NOT_IN_SET


def close_synced(order: StoredOrder) -> bool:
    """A synced order kept in the open index (`_synced`) whose newer version had no refunds to post: out of it."""
    return _transition(
        order.channel_id,
        order.order_id,
        _closed(),
        equals(OrderModel.status, SYNCED) & equals(OrderModel.digest, order.digest),
    )


def queue_refunds(order: StoredOrder, document: dict[str, Any], digest: str) -> bool:
    """A synced order got new refunds: take its new document and make it pending for the credit memos."""
    return _transition(
        order.channel_id,
        order.order_id,
        [
            *order_documents.update_actions(
                order_documents.stored(order.channel_id, order.order_id, digest, document)
            ),
            set_to(OrderModel.digest, digest),
            set_to(OrderModel.status, PENDING),
            set_to(OrderModel.attempts, 0),
            set_to(OrderModel.updated_at, datetime.now(UTC)),
            *_still_open(order.connection_id),
        ],
        equals(OrderModel.status, SYNCED) & equals(OrderModel.digest, order.digest),
    )


def failed_change(
    channel_id: str, order_id: str, message_set_id: str | None, error: dict[str, Any]
) -> Change:
    """-> failed. From a set in flight, QuickBooks' own answer refused the document (nothing was saved);
    without one, the order failed before anything was sent (its `verify` stays as it was)."""
    actions: list[Action] = [set_to(OrderModel.status, FAILED), set_to(OrderModel.error, error), *_closed()]
    if message_set_id:
        actions.append(set_to(OrderModel.verify, False))
        condition = _in_set(message_set_id)
    else:
        condition = equals(OrderModel.status, PENDING)
    return Change(channel_id, order_id, actions, condition)


def mark_failed(order: StoredOrder, message_set_id: str | None, error: dict[str, Any]) -> bool:
    return failed_change(order.channel_id, order.order_id, message_set_id, error).write()


def pending_change(
    order: InFlight,
    message_set_id: str,
    error: dict[str, Any] | None,
    *,
    verify: bool,
    new_message: bool = True,
) -> Change:
    """in_flight (in this set) -> pending. `verify`: QuickBooks may hold what the set carried for this order
    (no answer settled it), so it is looked up before it is posted again. `new_message`: a new queue message will
    carry it (else it stays with the job that holds it: `_left_open`)."""
    actions: list[Action] = [
        set_to(OrderModel.status, PENDING),
        remove(OrderModel.message_set_id),
        set_to(OrderModel.verify, verify),
        *_reopened(order.connection_id, new_message=new_message),
    ]
    actions.append(set_to(OrderModel.error, error) if error else remove(OrderModel.error))
    return Change(order.channel_id, order.order_id, actions, _in_set(message_set_id))


def back_to_pending(
    order: StoredOrder,
    message_set_id: str,
    error: dict[str, Any] | None,
    *,
    verify: bool,
    new_message: bool = True,
) -> bool:
    return pending_change(
        InFlight.of(order), message_set_id, error, verify=verify, new_message=new_message
    ).write()


def retry(order: StoredOrder) -> bool:
    """failed -> pending, for the merchant's retry. QuickBooks is asked first whether it holds the order's
    next document after all (`verify`): a retry never posts twice."""
    return _transition(
        order.channel_id,
        order.order_id,
        [
            set_to(OrderModel.status, PENDING),
            set_to(OrderModel.attempts, 0),
            set_to(OrderModel.verify, True),
            *_still_open(order.connection_id),
        ],
        equals(OrderModel.status, FAILED),
    )


def open_orders(connection_id: str, *, queued_before: datetime, limit: int) -> list[StoredOrder]:
    """The connection's orders still on their way to QuickBooks (pending or in flight) whose last queue
    message is older than `queued_before`, oldest first."""
    keys = [
        (m.channel_id, m.order_id)
        for m in OrderModel.open_orders.query(
            connection_id, OrderModel.queued_at < queued_before.isoformat(), limit=limit
        )
    ]  # a keys-only index: the orders are read by key (only a few: the sweep's candidates)
    found = {(o.channel_id, o.order_id): o for o in get_many(keys)} if keys else {}
    return [found[k] for k in keys if k in found and found[k].queued_at is not None]


def mark_queued(order: StoredOrder) -> bool:
    """A new queue message was sent for a pending order (the sweep)."""
    return _transition(
        order.channel_id,
        order.order_id,
        [set_to(OrderModel.queued_at, _now_key())],
        equals(OrderModel.status, PENDING) & equals(OrderModel.digest, order.digest),
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
            set_to(OrderModel.status, FAILED),
            set_to(OrderModel.error, error),
            set_to(OrderModel.digest, ""),
            set_to(OrderModel.updated_at, now),
            *_closed(),
        ],
        one_of(OrderModel.status, PENDING, FAILED),
    )


# Read-only, added for the sales summary (issue 13, part 9): no write path uses it.
SUMMARY_READ_LIMIT = 20_000  # orders read at most for one summary (the newest-stored are not favoured)


def all_for_tenant(tenant_id: str, limit: int = SUMMARY_READ_LIMIT) -> tuple[list[StoredOrder], bool]:
    """Up to `limit` of the tenant's orders (every channel's), and whether more were left unread. The tenant
    index holds keys only: the orders are read by key, a page at a time."""
    found: list[StoredOrder] = []
    keys: list[tuple[str, str]] = []
    more = False
    for model in OrderModel.by_tenant.query(tenant_id):
        if len(found) + len(keys) >= limit:
            more = True
            break
        keys.append((model.channel_id, model.order_id))
        if len(keys) >= 100:
            found.extend(o for o in get_many(keys) if o.tenant_id == tenant_id)
            keys = []
    if keys:
        found.extend(o for o in get_many(keys) if o.tenant_id == tenant_id)
    return found, more
