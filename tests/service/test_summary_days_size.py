"""A day of a summary channel holding tens of thousands of orders stays within DynamoDB's 400 KB item limit: the
day's order ids (chalicelib/dal/summary_days.py, spread over shard items) and the job state naming a posted day's
order digests (chalicelib/sync/summary_transactions.py, the digests in the payloads table). Review finding 9."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.dal import summary_days
from chalicelib.dal.models import PayloadModel
from chalicelib.sync import summary_channels, summary_transactions

ITEM_LIMIT = 400 * 1024
DAY = date(2026, 12, 4)
ORDERS = 25_000


def _value_size(value: Any) -> int:
    """DynamoDB's size of one attribute value (rounded up: 1 byte a number digit, and 3 a list or map entry)."""
    ((kind, raw),) = value.items()
    if kind in ("S", "N"):
        return len(str(raw).encode())
    if kind == "B":
        return len(raw if isinstance(raw, bytes) else base64.b64decode(raw))
    if kind in ("SS", "NS"):
        return sum(len(str(v).encode()) for v in raw)
    if kind == "BS":
        return sum(len(v) for v in raw)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in raw.items())
    return 1  # BOOL, NULL


def _size(model: Any) -> int:
    """The item's DynamoDB size: its attribute names and values (DynamoDB's rules for item size)."""
    serialized: dict[str, Any] = model.serialize()
    return sum(len(name.encode()) + _value_size(value) for name, value in serialized.items())


def test_a_day_of_25000_orders_is_no_item_past_400_kb(aws: str) -> None:
    connection_id, channel_id = "con_" + secrets.token_hex(6), "ch_" + secrets.token_hex(6)
    # ~100-character ids (the longest an order id may be): 2.5 MB of ids, five times one item's limit.
    ids = {f"gid://shopify/Order/{5_500_000_000_000 + n}?" + "x" * 64 for n in range(ORDERS)}
    assert sum(len(i) for i in ids) > 5 * ITEM_LIMIT
    summary_days.hand_over(connection_id, channel_id, DAY, ids)
    summary_days.hand_over(connection_id, channel_id, DAY, set(sorted(ids)[:10]))  # again: counted once
    record = summary_days.get_day(connection_id, channel_id, DAY)
    assert record is not None and record.order_ids == ids and record.order_count == ORDERS
    gone = set(sorted(ids)[:1000])
    summary_days.hand_over(connection_id, channel_id, DAY, gone, remove=True)
    record = summary_days.get_day(connection_id, channel_id, DAY)
    assert record is not None and record.order_ids == ids - gone and record.order_count == ORDERS - 1000
    (listed,) = summary_days.days(connection_id, channel_id)
    assert listed.order_count == ORDERS - 1000 and listed.due
    written = list(summary_days.SummaryDayModel.query(connection_id))
    assert len(written) > 100  # the day, its due marker and its shards
    assert max(_size(m) for m in written) < ITEM_LIMIT // 8

    # The job state of a round of three posted days of that size names their digests; it does not carry them.
    digests = {oid: secrets.token_hex(6) for oid in ids}
    packed = {"digests": digests, "sold": sorted(ids), "refunded": sorted(ids)[:500]}
    now = datetime.now(UTC)
    entries = [
        {
            "day": DAY.isoformat(),
            "orders_key": summary_transactions._keep_day_orders(f"sumx{n}-d{n}", now, packed),
        }
        for n in range(summary_channels.DAYS_PER_SET)
    ]
    state = {"channel_id": channel_id, "step": "post_sent", "days": entries, "done_days": []}
    assert len(json.dumps(state).encode()) < 2_000
    assert summary_transactions._day_orders(entries[0]) == packed
    parts = [m for e in entries for m in PayloadModel.query(e["orders_key"])]
    assert parts and max(_size(m) for m in parts) < ITEM_LIMIT
