"""Order updates written as DynamoDB expressions directly (`chalicelib/dal/updates.py`) do to an item what PynamoDB's
expression objects do: for any item (or none), actions and condition, the same held-or-not and the same item after,
on the embedded DynamoDB (moto), written alone (UpdateItem) or in a transaction (TransactWriteItems). The orders'
claims and settles go through them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.dal import orders, updates
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.models import OrderModel
from chalicelib.dal.updates import Update, key_of

pytestmark = pytest.mark.usefixtures("aws")

STATUSES = st.sampled_from(orders.STATUSES)
WORDS = st.text(alphabet="abcxyz-#:1", min_size=1, max_size=8)
JSON = st.dictionaries(WORDS, WORDS | st.integers(-5, 5) | st.booleans(), max_size=3)
WHEN = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "status": STATUSES,
    "digest": WORDS,
    "attempts": st.integers(0, 9),
    "verify": st.booleans(),
    "later_waiting": st.booleans(),
    "documents": JSON,
    "error": JSON,
    "synced_at": WHEN,
    "queued_at": WORDS,
    "open_connection": WORDS,
    "rules": st.lists(WORDS, min_size=1, max_size=3),
    "ref_number": st.text(max_size=6),  # "" included: PynamoDB stores it as an empty string
}
NAMES = sorted(VALUES)


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)))
    return {name: draw(VALUES[name]) for name in names}


@st.composite
def action_lists(draw: st.DrawFn) -> list[tuple[str, str, Any]]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, min_size=1, max_size=6))
    actions = []
    for name in names:
        kinds = ["set", "remove", "set_if_absent"] + (["add"] if name == "attempts" else [])
        kind = draw(st.sampled_from(kinds))
        actions.append((kind, name, None if kind == "remove" else draw(VALUES[name])))
    return actions


@st.composite
def conditions(draw: st.DrawFn) -> list[tuple[str, str, Any]]:
    terms = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["=", "absent", "in", "begins_with"]))
        if kind == "in":
            terms.append(("in", "status", draw(st.lists(STATUSES, min_size=1, max_size=3, unique=True))))
        elif kind == "begins_with":
            terms.append(("begins_with", "digest", draw(st.text(alphabet="abcx", max_size=2))))
        else:
            name = draw(st.sampled_from(["status", "digest", "attempts", "verify", "queued_at"]))
            terms.append((kind, name, None if kind == "absent" else draw(VALUES[name])))
    return terms


def pynamodb_form(actions: list[tuple[str, str, Any]], terms: list[tuple[str, str, Any]]) -> tuple[list, Any]:
    built = []
    for kind, name, value in actions:
        attr = getattr(OrderModel, name)
        built.append(
            attr.remove()
            if kind == "remove"
            else attr.add(value)
            if kind == "add"
            else attr.set(attr | value)
            if kind == "set_if_absent"
            else attr.set(value)
        )
    condition = None
    for kind, name, value in terms:
        attr = getattr(OrderModel, name)
        term = (
            attr.does_not_exist()
            if kind == "absent"
            else attr.is_in(*value)
            if kind == "in"
            else attr.startswith(value)
            if kind == "begins_with"
            else attr == value
        )
        condition = term if condition is None else condition & term
    return built, condition


def direct_form(actions: list[tuple[str, str, Any]], terms: list[tuple[str, str, Any]]) -> tuple[list, Any]:
    built = []
    for kind, name, value in actions:
        attr = getattr(OrderModel, name)
        built.append(
            updates.remove(attr)
            if kind == "remove"
            else updates.add_to(attr, value)
            if kind == "add"
            else updates.set_if_absent(attr, value)
            if kind == "set_if_absent"
            else updates.set_to(attr, value)
        )
    condition = None
    for kind, name, value in terms:
        attr = getattr(OrderModel, name)
        term = (
            updates.absent(attr)
            if kind == "absent"
            else updates.one_of(attr, *value)
            if kind == "in"
            else updates.begins_with(attr, value)
            if kind == "begins_with"
            else updates.equals(attr, value)
        )
        condition = term if condition is None else condition & term
    return built, condition


def raw_item(order_id: str) -> dict[str, Any]:
    client = OrderModel._get_connection().connection.client
    item = client.get_item(
        TableName=OrderModel.Meta.table_name,
        Key={"channel_id": {"S": "ch_updates"}, "order_id": {"S": order_id}},
        ConsistentRead=True,
    ).get("Item", {})
    return {k: v for k, v in item.items() if k != "order_id"}


def seed(order_id: str, attributes: dict[str, Any]) -> None:
    """Exactly this item (no item at all when empty): nothing of an earlier example stays."""
    OrderModel("ch_updates", order_id).delete()
    if attributes:
        OrderModel("ch_updates", order_id).update(
            actions=[getattr(OrderModel, name).set(value) for name, value in attributes.items()]
        )


def by_pynamodb(actions: list, condition: Any, *, in_transaction: bool) -> bool:
    model = OrderModel("ch_updates", "by-pynamodb")
    try:
        if in_transaction:
            with TransactWrite(connection=orders._transactions()) as transaction:
                transaction.update(model, actions=actions, condition=condition)
        else:
            model.update(actions=actions, condition=condition)
    except (UpdateError, TransactWriteError) as exc:
        assert condition_failed(exc), exc
        return False
    return True


def direct(change: Update, *, in_transaction: bool) -> bool:
    if not in_transaction:
        return updates.write(orders._transactions(), OrderModel, change)
    try:
        orders._transactions().transact_write_items(
            condition_check_items=(),
            delete_items=(),
            put_items=(),
            update_items=[change.kwargs(OrderModel.Meta.table_name)],
        )
    except TransactWriteError as exc:
        assert condition_failed(exc), exc
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=items(), actions=action_lists(), terms=conditions(), in_transaction=st.booleans())
def test_a_direct_update_does_what_pynamodb_s_does(item, actions, terms, in_transaction):
    seed("by-pynamodb", item)
    seed("direct", item)
    pynamodb_held = by_pynamodb(*pynamodb_form(actions, terms), in_transaction=in_transaction)
    direct_actions, direct_condition = direct_form(actions, terms)
    change = Update(
        key_of(OrderModel.channel_id, "ch_updates", OrderModel.order_id, "direct"),
        tuple(direct_actions),
        direct_condition,
    )
    assert direct(change, in_transaction=in_transaction) == pynamodb_held
    assert raw_item("direct") == raw_item("by-pynamodb")


def test_the_expression_names_each_attribute_once_and_asks_nothing_back():
    change = Update(
        key_of(OrderModel.channel_id, "ch", OrderModel.order_id, "o1"),
        (
            updates.set_to(OrderModel.status, orders.SYNCED),
            updates.set_if_absent(OrderModel.queued_at, "2026-01-01"),
            updates.remove(OrderModel.error),
            updates.add_to(OrderModel.attempts, 1),
        ),
        updates.equals(OrderModel.status, orders.IN_FLIGHT) & updates.absent(OrderModel.later_waiting),
    )
    params = change.kwargs("orders")
    assert params["UpdateExpression"] == "SET #0 = :0, #1 = if_not_exists(#1, :1) REMOVE #2 ADD #3 :2"
    assert params["ConditionExpression"] == "(#0 = :3) AND (attribute_not_exists (#4))"
    assert params["ExpressionAttributeNames"] == {
        "#0": "status",
        "#1": "queued_at",
        "#2": "error",
        "#3": "attempts",
        "#4": "later_waiting",
    }
    assert "ReturnValues" not in params
    assert params["Key"] == {"channel_id": {"S": "ch"}, "order_id": {"S": "o1"}}


def test_none_is_refused_where_pynamodb_would_write_a_null():
    with pytest.raises(ValueError, match="error"):
        updates.set_to(OrderModel.error, None)
    with pytest.raises(ValueError, match="error"):
        updates.equals(OrderModel.error, None)
    with pytest.raises(ValueError, match="attempts"):
        updates.add_to(OrderModel.attempts, None)
