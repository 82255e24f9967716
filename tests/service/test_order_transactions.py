"""A set's orders are claimed and settled in TransactWriteItems of up to 100 (`dal.orders.write_changes`), each
order still standing alone; and the embedded AWS's TransactWriteItems (`ledgerbridge/moto_dynamodb.py`) keeps
DynamoDB's all-or-nothing rules."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.dal import orders
from chalicelib.dal.models import OrderModel
from chalicelib.dal.orders import Incoming, StoredOrder


def _stored(n: int) -> list[StoredOrder]:
    channel = "chn_tx_" + uuid.uuid4().hex[:10]
    for i in range(n):
        doc = {"id": str(i), "total": "1.00"}
        orders.upsert("ten_tx", "con_tx", channel, Incoming(str(i), f"#{i}", doc, f"d{i}", f"{{GUID-{i}}}"))
    found = orders.get_many((channel, str(i)) for i in range(n))
    return sorted(found, key=lambda o: int(o.order_id))


@settings(max_examples=12, deadline=None)
@given(n=st.integers(min_value=orders.TRANSACTION_MIN, max_value=130), data=st.data())
def test_each_claim_stands_alone_in_a_transaction(aws: str, n: int, data: Any) -> None:
    """Claims past the transaction threshold (and past 100, two transactions) hold exactly for the orders still
    pending with the same digest; the others are left as they were, whatever their positions."""
    stored = _stored(n)
    taken = data.draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=n))
    for i in taken:  # claimed meanwhile by another set: their condition fails
        assert orders.claim_change(stored[i], "other-set").write()
    held = orders.write_changes([orders.claim_change(o, "this-set", ("rul_1",)) for o in stored])
    assert held == [i not in taken for i in range(n)]
    after = {o.order_id: o for o in orders.get_many((o.channel_id, o.order_id) for o in stored)}
    for i, o in enumerate(stored):
        assert after[o.order_id].status == orders.IN_FLIGHT
        assert after[o.order_id].message_set_id == ("other-set" if i in taken else "this-set")
        assert after[o.order_id].rules == (() if i in taken else ("rul_1",))
    # Applied twice (an answer replayed): every condition fails, nothing changes.
    assert orders.write_changes([orders.claim_change(o, "this-set") for o in stored]) == [False] * n


def _client() -> Any:
    return boto3.client("dynamodb")


def _update(key: dict[str, Any], status_was: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": OrderModel.Meta.table_name,
            "Key": key,
            "UpdateExpression": "SET #s = :new",
            "ConditionExpression": "#s = :was",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":new": {"S": "in_flight"}, ":was": {"S": status_was}},
        }
    }


def _key(o: StoredOrder) -> dict[str, Any]:
    return {"channel_id": {"S": o.channel_id}, "order_id": {"S": o.order_id}}


def test_one_failed_condition_cancels_the_whole_transaction_with_a_reason_per_action(aws: str) -> None:
    a, b, c = _stored(3)
    with pytest.raises(ClientError) as refused:
        _client().transact_write_items(
            TransactItems=[
                _update(_key(a), "pending"),
                _update(_key(b), "synced"),
                _update(_key(c), "pending"),
            ]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    codes = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert codes == ["None", "ConditionalCheckFailed", "None"]
    assert {o.status for o in orders.get_many(_key_pairs(a, b, c))} == {"pending"}  # nothing written


def test_an_item_named_twice_is_refused(aws: str) -> None:
    (a,) = _stored(1)
    with pytest.raises(ClientError) as refused:
        _client().transact_write_items(
            TransactItems=[_update(_key(a), "pending"), _update(_key(a), "pending")]
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert orders.get(a.channel_id, a.order_id).status == "pending"  # type: ignore[union-attr]


def test_a_write_refused_half_way_takes_back_the_writes_before_it(aws: str) -> None:
    a, b = _stored(2)
    broken = _update(_key(b), "pending")
    broken["Update"]["UpdateExpression"] = "SET #s = :nowhere"  # a value the request does not define
    with pytest.raises(ClientError):
        _client().transact_write_items(TransactItems=[_update(_key(a), "pending"), broken])
    assert {o.status for o in orders.get_many(_key_pairs(a, b))} == {"pending"}


def _key_pairs(*stored: StoredOrder) -> list[tuple[str, str]]:
    return [(o.channel_id, o.order_id) for o in stored]
