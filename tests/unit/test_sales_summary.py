"""The sales summary's arithmetic, for any set of orders: every count and amount adds up across days,
channels and states, and nothing outside the range or in another currency is added."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.dal.orders import STATUSES, StoredOrder
from chalicelib.sync.sales_summary import summarize

TODAY = date(2026, 6, 15)


def stored(
    i: int, channel: str, status: str, offset: int, cents: int, currency: str, qty: int
) -> StoredOrder:
    placed = datetime.combine(TODAY - timedelta(days=offset), datetime.min.time(), UTC)
    total = str(Decimal(cents * qty) / 100)
    document = {
        "id": str(i),
        "number": str(i),
        "created_at": placed.isoformat(),
        "currency": currency,
        "lines": [
            {
                "id": "1",
                "sku": f"SKU-{cents % 3}",
                "title": "Thing",
                "quantity": qty,
                "unit_price": str(Decimal(cents) / 100),
            }
        ],
        "total": total,
    }
    return StoredOrder(
        key=f"k{i}", channel_id=channel, order_id=str(i), tenant_id="t", connection_id="c", status=status,
        number=str(i), document=document, digest="", received_at=placed, updated_at=placed, external_guid="",
        message_set_id=None, txn_id=None, txn_type=None, ref_number=None, error=None, attempts=0,
        synced_at=None, changed_after_sync=None, documents={},
    )  # fmt: skip


orders_strategy = st.lists(
    st.tuples(
        st.sampled_from(["web", "market", "gone"]),
        st.sampled_from(STATUSES),
        st.integers(0, 12),
        st.integers(1, 50_000),
        st.sampled_from(["USD", "USD", "CAD"]),
        st.integers(1, 5),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(orders_strategy, st.integers(1, 10))
def test_everything_adds_up(rows, days):
    found = [stored(i, *row) for i, row in enumerate(rows)]
    s = summarize(found, {"web": "Web", "market": "Market"}, days=days, today=TODAY)
    in_range = [o for o, row in zip(found, rows, strict=True) if row[2] < days]
    counted = [o for o in in_range if o.document["currency"] == s["currency"]]
    assert s["orders"] == len(counted) and s["other_currency_orders"] == len(in_range) - len(counted)
    assert Decimal(s["total"]) == sum((Decimal(o.document["total"]) for o in counted), Decimal(0))
    assert s["synced"] + s["failed"] + s["waiting"] == s["orders"]
    assert len(s["per_day"]) == days and s["per_day"][-1]["date"] == TODAY.isoformat()
    for part in (s["per_day"], s["per_channel"]):
        assert sum(p["orders"] for p in part) == s["orders"]
        assert sum((Decimal(p["total"]) for p in part), Decimal(0)) == Decimal(s["total"])
        assert sum(p["failed"] for p in part) == s["failed"]
    assert sum((Decimal(p["total"]) for p in s["top_products"]), Decimal(0)) == Decimal(s["total"])
    assert all(c["name"] != "gone" for c in s["per_channel"])  # a deleted channel is named in words
    totals = [Decimal(c["total"]) for c in s["per_channel"]]
    assert totals == sorted(totals, reverse=True)
