"""A summary channel's days (summary transactions) and the orders they carry.

A day is one item of the mappings table (hash: connection; range `summary#<channel>#<yyyy-mm-dd>`): a `version`
every hand-over bumps, how many orders it carries (`order_count`), and what QuickBooks holds for it: the TxnID and
EditSequence of its sales receipt or invoice (and credit memo), the version and digest last posted. The ids of the
orders handed to it are spread over up to ORDER_SHARDS items `summary_orders#<channel>#<day>#<nnn>` (string sets,
an order in the shard its id hashes to), so no item nears DynamoDB's 400 KB whatever a day holds (25,000 orders of
100-character ids: ~10 KB a shard); reading a day's orders is one query of those items. (Days written before kept
the ids on the day item: still read, and taken out of it when an order leaves the day.) A day is
*due* while a marker item `summary_due#<channel>#<day>` exists (written with the version that made it due,
deleted once that version is posted), so a Web Connector sign-in finds the days to post with one query that
reads only those. `summary_job#<channel>` marks the channel's posting job as queued (at most one at a time).
The mappings table is reused because its key (connection + a sorted string) fits these records exactly; the
records' keys never collide with the names `mappings` keeps (`<kind>#<name>`, kinds "customer", "item", ...).

The orders themselves stay in the orders table: handed to a day they are pending without a place in the open
index (no queue message waits for them: the day's job posts them), and they become synced, with the day's
document as their TxnID and `documents["Summary:<RefNumber>"]`, once the day is posted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.dal import orders
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.models import MappingModel, OrderModel
from chalicelib.dal.orders import StoredOrder
from chalicelib.dal.updates import Action, begins_with, equals, one_of, remove, set_to

SUMMARY_DOCUMENT = "Summary:"  # documents key prefix of an order carried by a daily summary
WAITING_TXN_TYPE = "DailySummary"  # txn_type of an order handed to a day not posted yet
ORDER_SHARDS = 256  # items a day's order ids are spread over (see the module)


class SummaryDayModel(MappingModel):
    """One channel's day, or its due marker, or its job marker (see the module)."""

    channel_id = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    order_ids = UnicodeSetAttribute(null=True)  # a shard's ids (on a day item: written before shards)
    order_count = NumberAttribute(null=True)
    version = NumberAttribute(null=True)
    posted_version = NumberAttribute(null=True)
    posted_digest = UnicodeAttribute(null=True)
    posted_at = UTCDateTimeAttribute(null=True)
    documents = JSONAttribute(
        null=True
    )  # {"sale": {"txn_id", "edit_sequence", "ref_number", "total"}, "credit": ...}
    problem = JSONAttribute(null=True)  # why the last posting failed, or what the merchant should check
    queued_at = NumberAttribute(null=True)


def _model() -> type[SummaryDayModel]:
    # The same table and endpoint as the mappings (configured on MappingModel: share its connection).
    SummaryDayModel._connection = MappingModel._get_connection()
    return SummaryDayModel


def _day_key(channel_id: str, day: date) -> str:
    return f"summary#{channel_id}#{day.isoformat()}"


def _due_key(channel_id: str, day: date) -> str:
    return f"summary_due#{channel_id}#{day.isoformat()}"


def _orders_prefix(channel_id: str, day: date) -> str:
    return f"summary_orders#{channel_id}#{day.isoformat()}#"


def _shard(order_id: str) -> int:
    return int.from_bytes(hashlib.sha256(order_id.encode()).digest()[:4], "big") % ORDER_SHARDS


def _job_key(channel_id: str) -> str:
    return f"summary_job#{channel_id}"


@dataclass(frozen=True)
class SummaryDay:
    connection_id: str
    channel_id: str
    day: date
    # every order of the day (`days()` reads only the day items: `order_count` says how many)
    order_ids: frozenset[str]
    version: int
    posted_version: int | None
    posted_digest: str | None
    posted_at: datetime | None
    documents: dict[str, dict[str, str]]
    problem: dict[str, Any] | None
    order_count: int = 0

    @property
    def due(self) -> bool:
        return self.posted_version is None or self.posted_version < self.version


def _day(m: SummaryDayModel, shards: frozenset[str] = frozenset()) -> SummaryDay:
    legacy = frozenset(m.order_ids or ())
    return SummaryDay(
        connection_id=m.connection_id,
        channel_id=str(m.channel_id),
        day=date.fromisoformat(str(m.day)),
        order_ids=legacy | shards,
        order_count=int(m.order_count or 0) + len(legacy),
        version=int(m.version or 0),
        posted_version=int(m.posted_version) if m.posted_version is not None else None,
        posted_digest=m.posted_digest,
        posted_at=m.posted_at,
        documents=dict(m.documents or {}),
        problem=m.problem,
    )


def hand_over(
    connection_id: str, channel_id: str, day: date, order_ids: set[str], *, remove: bool = False
) -> int:
    """Add (or with `remove`, take out) orders of the day; the day becomes due. Returns its new version."""
    model = _model()
    now = datetime.now(UTC)
    by_shard: dict[int, set[str]] = {}
    for order_id in order_ids:
        by_shard.setdefault(_shard(order_id), set()).add(order_id)
    change = 0
    for shard, ids in sorted(by_shard.items()):
        # Each shard's set before this very update (atomic): how many of `ids` it gained or lost.
        answer = model._get_connection().update_item(
            connection_id,
            range_key=f"{_orders_prefix(channel_id, day)}{shard:03d}",
            actions=[
                model.order_ids.delete(ids) if remove else model.order_ids.add(ids),
                model.channel_id.set(channel_id),
                model.full_name.set(f"summary orders {day.isoformat()}"),
                model.updated_at.set(now),
            ],
            return_values="ALL_OLD",  # (the embedded stack answers UPDATED_OLD with nothing)
        )
        before = set(answer.get("Attributes", {}).get("order_ids", {}).get("SS", ()))
        change += -len(ids & before) if remove else len(ids - before)
    item = model(connection_id, _day_key(channel_id, day))
    item.update(
        actions=[
            *([model.order_ids.delete(order_ids)] if remove else []),  # a day written before shards
            model.order_count.add(change),
            model.version.add(1),
            model.channel_id.set(channel_id),
            model.day.set(day.isoformat()),
            model.full_name.set(f"summary {day.isoformat()}"),
            model.updated_at.set(now),
        ]
    )
    version = int(item.version or 0)  # the item as the update left it (ALL_NEW)
    marker = model(connection_id, _due_key(channel_id, day))
    try:
        marker.update(
            actions=[
                model.version.set(version),
                model.channel_id.set(channel_id),
                model.day.set(day.isoformat()),
                model.full_name.set(f"summary due {day.isoformat()}"),
                model.updated_at.set(now),
            ],
            condition=model.version.does_not_exist() | (model.version < version),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    return version


def get_day(connection_id: str, channel_id: str, day: date) -> SummaryDay | None:
    """The day with every order handed to it (its shards read with one query)."""
    model = _model()
    try:
        item = model.get(connection_id, _day_key(channel_id, day), consistent_read=True)
    except SummaryDayModel.DoesNotExist:
        return None
    shards = model.query(
        connection_id, model.mapping_key.startswith(_orders_prefix(channel_id, day)), consistent_read=True
    )
    return _day(item, frozenset(oid for m in shards for oid in (m.order_ids or ())))


def days(connection_id: str, channel_id: str) -> list[SummaryDay]:
    """Every day of the channel, oldest first (the REST view; a year is 365 small items)."""
    model = _model()
    return [
        _day(m)
        for m in model.query(connection_id, model.mapping_key.startswith(f"summary#{channel_id}#"))
        if m.day
    ]


def due_days(connection_id: str, channel_id: str, limit: int = 100) -> list[date]:
    """The channel's days with something not posted yet, oldest first."""
    model = _model()
    return [
        date.fromisoformat(str(m.day))
        for m in model.query(
            connection_id, model.mapping_key.startswith(f"summary_due#{channel_id}#"), limit=limit
        )
        if m.day
    ]


def record_posted(
    connection_id: str,
    channel_id: str,
    day: date,
    *,
    version: int,
    digest: str,
    documents: dict[str, dict[str, str]],
    problem: dict[str, Any] | None = None,
) -> None:
    """QuickBooks holds the day as of `version`: keep its documents; the day stops being due unless a hand-over
    came since (its marker then has a newer version and stays)."""
    model = _model()
    model(connection_id, _day_key(channel_id, day)).update(
        actions=[
            model.posted_version.set(version),
            model.posted_digest.set(digest),
            model.posted_at.set(datetime.now(UTC)),
            model.documents.set(documents),
            model.problem.set(problem) if problem else model.problem.remove(),
        ]
    )
    try:
        model(connection_id, _due_key(channel_id, day)).delete(condition=model.version <= version)
    except DeleteError as exc:
        if not condition_failed(exc):
            raise


def record_problem(connection_id: str, channel_id: str, day: date, problem: dict[str, Any]) -> None:
    """The day could not be posted (it stays due: the next sign-in tries again)."""
    model = _model()
    model(connection_id, _day_key(channel_id, day)).update(actions=[model.problem.set(problem)])


def claim_job(connection_id: str, channel_id: str, now: float, stale_seconds: int) -> bool:
    """Mark the channel's summary job as queued unless one is (one queued `stale_seconds` ago is presumed lost)."""
    model = _model()
    try:
        model(connection_id, _job_key(channel_id)).update(
            actions=[
                model.queued_at.set(int(now)),
                model.full_name.set("summary job"),
                model.updated_at.set(datetime.now(UTC)),
            ],
            condition=model.queued_at.does_not_exist() | (model.queued_at < int(now - stale_seconds)),
        )
        return True
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise


def release_job(connection_id: str, channel_id: str) -> None:
    model = _model()
    model(connection_id, _job_key(channel_id)).update(actions=[model.queued_at.remove()])


# --- the orders a day carries -----------------------------------------------------------------------------------


def handed_over_change(order: StoredOrder, ref_number: str) -> orders.Change:
    """A pending order is now the day's to post: it leaves the open index (no queue message waits for it), and
    until it has a document of its own it shows the day's RefNumber."""
    actions: list[Action] = [
        remove(OrderModel.open_connection),
        remove(OrderModel.queued_at),
        remove(OrderModel.error),
    ]
    if order.txn_id is None:
        actions += [set_to(OrderModel.txn_type, WAITING_TXN_TYPE), set_to(OrderModel.ref_number, ref_number)]
    return orders.Change(
        order.channel_id,
        order.order_id,
        actions,
        equals(OrderModel.status, orders.PENDING) & equals(OrderModel.digest, order.digest),
    )


def released_change(order: StoredOrder, connection_id: str) -> orders.Change:
    """A pending order waiting for its day is posted one by one again (its channel stopped summarising): back in
    the open index as just queued, without the day's RefNumber it showed."""
    actions: list[Action] = [
        set_to(OrderModel.open_connection, connection_id),
        set_to(OrderModel.queued_at, datetime.now(UTC).isoformat()),
    ]
    if order.txn_type == WAITING_TXN_TYPE:
        actions += [remove(OrderModel.txn_type), remove(OrderModel.ref_number)]
    return orders.Change(
        order.channel_id,
        order.order_id,
        actions,
        equals(OrderModel.status, orders.PENDING) & equals(OrderModel.digest, order.digest),
    )


def release_waiting(connection_id: str, channel_id: str) -> list[str]:
    """The channel stopped summarising: the orders waiting in its due (or open) days that no posted summary carries
    yet go back to being posted one by one (`released_change`) and leave those days. Returns their ids: the caller
    queues them. An order a posted summary already carries (changed since) stays on its day: posted alone it would
    be in QuickBooks twice; it is posted with its day if the channel summarises again."""
    released: list[str] = []
    for day in due_days(connection_id, channel_id, limit=100_000):
        record = get_day(connection_id, channel_id, day)
        if record is None:
            continue
        waiting = [
            o
            for o in orders.get_many((channel_id, oid) for oid in sorted(record.order_ids))
            if o.status == orders.PENDING and not any(k.startswith(SUMMARY_DOCUMENT) for k in o.documents)
        ]
        written = orders.write_changes([released_change(o, connection_id) for o in waiting])
        ids = {o.order_id for o, ok in zip(waiting, written, strict=True) if ok}
        if ids:
            hand_over(connection_id, channel_id, day, ids, remove=True)
        released += sorted(ids)
    return released


def posted_change(
    order: StoredOrder,
    digest_prefix: str,
    *,
    documents: dict[str, str],
    txn_id: str,
    txn_type: str,
    ref_number: str,
    warning: dict[str, Any] | None = None,
    keep_refs: set[str] | None = None,
    primary: bool = True,
) -> orders.Change:
    """The order's day is in QuickBooks: synced, with the day's documents, unless it changed since it was read.
    `keep_refs`: the summaries the order is on now (others it shows are dropped); `primary`: the day it was placed
    (its document becomes the order's TxnID)."""
    kept = {
        k: v
        for k, v in order.documents.items()
        if not k.startswith(SUMMARY_DOCUMENT) or keep_refs is None or k[len(SUMMARY_DOCUMENT) :] in keep_refs
    }
    actions: list[Action] = [
        set_to(OrderModel.status, orders.SYNCED),
        set_to(OrderModel.synced_at, datetime.now(UTC)),
        set_to(OrderModel.documents, {**kept, **documents}),
        set_to(OrderModel.verify, False),
        set_to(OrderModel.attempts, 0),
        set_to(OrderModel.error, warning) if warning else remove(OrderModel.error),
        remove(OrderModel.open_connection),
        remove(OrderModel.queued_at),
    ]
    if order.txn_id is None or primary:
        actions += [
            set_to(OrderModel.txn_id, txn_id),
            set_to(OrderModel.txn_type, txn_type),
            set_to(OrderModel.ref_number, ref_number),
        ]
    return orders.Change(
        order.channel_id,
        order.order_id,
        actions,
        # failed too: the order failed with its day's reason (a setting since fixed), not its own
        one_of(OrderModel.status, orders.PENDING, orders.SYNCED, orders.FAILED)
        & begins_with(OrderModel.digest, digest_prefix),
    )


def summary_view(order: StoredOrder) -> dict[str, Any] | None:
    """What the REST API shows of the daily summaries carrying the order: their RefNumbers and whether posted."""
    refs = sorted(k[len(SUMMARY_DOCUMENT) :] for k in order.documents if k.startswith(SUMMARY_DOCUMENT))
    if not refs and order.txn_type != WAITING_TXN_TYPE:
        return None
    if not refs and order.ref_number:
        refs = [order.ref_number]
    posted = order.status == orders.SYNCED
    return {
        "ref_numbers": refs,
        "status": "posted" if posted else "waiting",
        "text": ("summary " if posted else "waiting for summary ") + ", ".join(refs),
    }
