"""After a Web Connector session: QuickBooks quantities to the stores, QuickBooks sales to ShipStation.

The consumer of the store push queue. Each message names a channel and what to push; the pending records
in DynamoDB are the work, so a message is only a nudge: a lost or repeated one changes nothing. A record
leaves `pending` only when the store took it (or refused it for a reason that retrying cannot fix), so a
store outage loses no update: a retriable error leaves everything pending and fails the message for SQS
to redeliver; the next Web Connector run nudges again anyway.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from chalicelib.channels.base import (
    ConnectorError,
    RetriableError,
    StockUpdate,
    inventory_target,
)
from chalicelib.dal import channel_outbound, channels, outbound_sales, stock_levels
from chalicelib.dal.outbound_sales import PUSH
from chalicelib.dal.stock_levels import PUSHED, REFUSED, UNCHANGED, UNMATCHED, Settlement
from chalicelib.observability import logger
from chalicelib.sync.channels import settings_of
from chalicelib.sync.company_lists import STALE_LISTS, remove_stale_lists
from chalicelib.sync.fetch import connector_for

INVENTORY_BATCH = 250  # levels per store lookup + write
SALES_BATCH = 100  # ShipStation's createorders limit
MAX_BATCHES = 400  # one invocation's share (100,000 levels); the rest waits for the next nudge


class StorePushFailed(Exception):
    """The store could not be reached or refused for a while: the message is retried by SQS."""


def push_inventory(channel_id: str, *, now: datetime | None = None) -> dict[str, int]:
    """Send the channel's pending quantities to its store; returns what happened to them."""
    channel = channels.get(channel_id)
    counts: Counter[str] = Counter()
    if channel is None or not settings_of(channel).moves("inventory_to_store"):
        return dict(counts)
    at = now or datetime.now(UTC)
    store = channel.store_name or channel.kind
    try:
        target = inventory_target(connector_for(channel))
        for _ in range(MAX_BATCHES):
            batch = stock_levels.pending(channel_id, INVENTORY_BATCH)
            if not batch:
                break
            found = target.find_stock_items(sorted({level.sku for level in batch}))
            settled: list[Settlement] = []
            updates: list[StockUpdate] = []
            for level in batch:
                items = found.get(level.sku, [])
                if not items:
                    unmatched = f"No product or variant in {store} has the SKU '{level.sku}'."
                    settled.append(Settlement(level.item_list_id, level.quantity, UNMATCHED, unmatched))
                    continue
                stale = [i for i in items if not i.tracked or i.quantity != level.quantity]
                if not stale:
                    settled.append(Settlement(level.item_list_id, level.quantity, UNCHANGED))
                    continue
                updates.extend(StockUpdate(level.sku, item.ref, level.quantity) for item in stale)
            results = target.set_quantities(updates) if updates else []
            refused: dict[str, str] = {}
            for result in results:
                if not result.ok:
                    refused.setdefault(result.sku, result.problem or f"{store} refused the quantity.")
            sent = {u.sku for u in updates}
            for level in batch:
                if level.sku in sent:
                    problem = refused.get(level.sku)
                    status = REFUSED if problem else PUSHED
                    settled.append(
                        Settlement(level.item_list_id, level.quantity, status, problem, not problem)
                    )
            counts.update(stock_levels.settle_many(channel_id, settled, at))
    except RetriableError as exc:
        _record(channel_id, "inventory", at, counts, exc.message, retrying=True)
        raise StorePushFailed(exc.message) from exc
    except ConnectorError as exc:  # fatal: credentials or the store itself; the merchant must act
        _record(channel_id, "inventory", at, counts, exc.message, retrying=False)
        return dict(counts)
    _record(channel_id, "inventory", at, counts, None, retrying=False)
    return dict(counts)


def push_sales(channel_id: str, *, now: datetime | None = None) -> dict[str, int]:
    """Create or update the channel's pending QuickBooks sales in ShipStation (keyed by TxnID)."""
    channel = channels.get(channel_id)
    counts: Counter[str] = Counter()
    if channel is None or not settings_of(channel).moves("quickbooks_to_shipstation"):
        return dict(counts)
    at = now or datetime.now(UTC)
    try:
        shipstation: Any = connector_for(channel)
        for _ in range(MAX_BATCHES):
            batch = outbound_sales.pending(channel_id, PUSH, SALES_BATCH)
            if not batch:
                break
            results = {r.order_key: r for r in shipstation.upsert_orders([s.document for s in batch])}
            for sale in batch:
                result = results.get(sale.txn_id)
                problem = None
                if result is None:
                    problem = "ShipStation did not answer for this order; it is sent again on the next run."
                elif not result.ok:
                    problem = f"ShipStation refused {sale.ref_number}: {result.problem}"
                settled = outbound_sales.settle_push(
                    channel_id,
                    sale.txn_id,
                    digest=sale.digest or "",
                    at=at,
                    order_id=result.order_id if result else None,
                    problem=problem,
                )
                counts["failed" if problem else "sent"] += settled
    except RetriableError as exc:
        _record(channel_id, "sales", at, counts, exc.message, retrying=True)
        raise StorePushFailed(exc.message) from exc
    except ConnectorError as exc:
        _record(channel_id, "sales", at, counts, exc.message, retrying=False)
        return dict(counts)
    _record(channel_id, "sales", at, counts, None, retrying=False)
    return dict(counts)


def _record(
    channel_id: str, what: str, at: datetime, counts: Counter[str], error: str | None, *, retrying: bool
) -> None:
    summary = {
        "what": what,
        "at": at.isoformat(),
        "counts": dict(counts),
        "error": error,
        "retrying": retrying,
    }
    channel_outbound.record_push(channel_id, summary)
    (logger.warning if error else logger.info)("store push", extra={"channel_id": channel_id, **summary})


PUSHERS = {"inventory": push_inventory, "sales": push_sales}


def handle_push(body: dict[str, Any]) -> dict[str, int]:
    """One message of the store push queue (and the cached company-list records a refresh left stale)."""
    if body.get("what") == STALE_LISTS:
        return {"removed": remove_stale_lists(body)}
    pusher = PUSHERS.get(str(body.get("what")))
    if pusher is None:
        logger.error("unknown store push", extra={"body": body})
        return {}
    return pusher(str(body.get("channel_id", "")))
