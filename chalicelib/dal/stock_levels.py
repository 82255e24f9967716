"""Stock levels: each QuickBooks inventory item's available quantity per channel, and what the store has.

A level is written only when its quantity (or SKU) changed in QuickBooks, and then carries `pending_at`
(the sparse `pending` index) until the store took it. Settling a level is conditional on the quantity the
push read: a newer quantity that arrived meanwhile stays pending, so no update is ever lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.dal import cursors
from chalicelib.dal.conditions import updated
from chalicelib.dal.models import StockLevelModel

PENDING, PUSHED, UNCHANGED, UNMATCHED, REFUSED = "pending", "pushed", "unchanged", "unmatched", "refused"
STATUSES = (PENDING, PUSHED, UNCHANGED, UNMATCHED, REFUSED)


@dataclass(frozen=True)
class StockLevel:
    channel_id: str
    item_list_id: str
    tenant_id: str
    sku: str
    item_name: str
    quantity: int
    status: str
    pushed_quantity: int | None = None
    problem: str | None = None
    updated_at: datetime | None = None
    pushed_at: datetime | None = None
    pending: bool = False


def _level(m: StockLevelModel) -> StockLevel:
    return StockLevel(
        channel_id=m.channel_id,
        item_list_id=m.item_list_id,
        tenant_id=m.tenant_id,
        sku=m.sku,
        item_name=m.item_name,
        quantity=int(m.quantity),
        status=m.status,
        pushed_quantity=int(m.pushed_quantity) if m.pushed_quantity is not None else None,
        problem=m.problem,
        updated_at=m.updated_at,
        pushed_at=m.pushed_at,
        pending=m.pending_at is not None,
    )


def get_many(channel_id: str, item_list_ids: Iterable[str]) -> dict[str, StockLevel]:
    keys = [(channel_id, list_id) for list_id in dict.fromkeys(item_list_ids)]
    return {m.item_list_id: _level(m) for m in StockLevelModel.batch_get(keys)}


def put_pending(levels: Iterable[StockLevel], at: datetime) -> int:
    """Write levels whose quantity or SKU changed in QuickBooks, each waiting for the store."""
    written = 0
    with StockLevelModel.batch_write() as batch:
        for level in levels:
            batch.save(
                StockLevelModel(
                    level.channel_id,
                    level.item_list_id,
                    tenant_id=level.tenant_id,
                    sku=level.sku,
                    item_name=level.item_name,
                    quantity=level.quantity,
                    status=PENDING,
                    pushed_quantity=level.pushed_quantity,
                    problem=None,
                    updated_at=at,
                    pushed_at=level.pushed_at,
                    pending_at=at.isoformat(),
                )
            )
            written += 1
    return written


def pending(channel_id: str, limit: int) -> list[StockLevel]:
    """The oldest levels waiting for the store (up to `limit`)."""
    return [_level(m) for m in StockLevelModel.pending.query(channel_id, limit=limit)]


@dataclass(frozen=True)
class Settlement:
    """What the store did with one level (see `settle`)."""

    item_list_id: str
    quantity_read: int
    status: str
    problem: str | None = None
    pushed: bool = False


def _settle_actions(s: Settlement, at: datetime) -> list[Any]:
    actions: list[Any] = [
        StockLevelModel.status.set(s.status),
        StockLevelModel.pending_at.remove(),
        StockLevelModel.problem.set(s.problem) if s.problem else StockLevelModel.problem.remove(),
    ]
    if s.pushed:
        actions += [StockLevelModel.pushed_quantity.set(s.quantity_read), StockLevelModel.pushed_at.set(at)]
    return actions


def _settle_condition(quantity_read: int) -> Any:
    return (
        StockLevelModel.item_list_id.exists()
        & (StockLevelModel.quantity == quantity_read)
        & StockLevelModel.pending_at.exists()
    )


SETTLE_THREADS = 8  # conditional writes cannot be batched; they go out side by side instead


def settle_many(channel_id: str, settlements: list[Settlement], at: datetime) -> dict[str, int]:
    """Settle levels, each conditional on the quantity the push read (a level QuickBooks changed meanwhile
    stays pending). DynamoDB has no conditional batch write, and a transaction fails whole when one level
    changed, so the writes go out concurrently. Returns the settled counts by status."""

    def one(s: Settlement) -> str | None:
        done = settle(
            channel_id,
            s.item_list_id,
            quantity_read=s.quantity_read,
            status=s.status,
            at=at,
            problem=s.problem,
            pushed=s.pushed,
        )
        return s.status if done else None

    with ThreadPoolExecutor(max_workers=SETTLE_THREADS) as pool:
        settled = [status for status in pool.map(one, settlements) if status is not None]
    return dict(Counter(settled))


def settle(
    channel_id: str,
    item_list_id: str,
    *,
    quantity_read: int,
    status: str,
    at: datetime,
    problem: str | None = None,
    pushed: bool = False,
) -> bool:
    """Record what the store did with a level; False (left pending) when QuickBooks changed it meanwhile."""
    settlement = Settlement(item_list_id, quantity_read, status, problem, pushed)
    return updated(
        StockLevelModel(channel_id, item_list_id),
        _settle_actions(settlement, at),
        _settle_condition(quantity_read),
    )


def list_levels(
    tenant_id: str, channel_id: str, *, status: str | None, limit: int, after: str | None
) -> tuple[list[StockLevel], str | None]:
    """One page of a channel's stock levels. The caller has checked the channel is the tenant's; the
    cursor is opaque and bound to the tenant and the channel (see `cursors`)."""
    scope = f"inventory:{channel_id}"
    start = cursors.decode(tenant_id, scope, after, ("item_list_id",)) if after else None
    pages = StockLevelModel.query(
        channel_id,
        filter_condition=StockLevelModel.status == status if status else None,
        limit=limit,
        last_evaluated_key={"channel_id": {"S": channel_id}, "item_list_id": {"S": start["item_list_id"]}}
        if start
        else None,
    )
    found = [_level(m) for m in pages]
    last = pages.last_evaluated_key
    cursor = cursors.encode(tenant_id, scope, {"item_list_id": last["item_list_id"]["S"]}) if last else None
    return found, cursor


def status_counts(channel_id: str) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for m in StockLevelModel.query(channel_id, attributes_to_get=["status"]):
        counts[m.status] += 1
    return dict(counts)
