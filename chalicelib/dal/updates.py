"""Conditional updates of one item, written as DynamoDB expressions straight from a PynamoDB model's attributes.

A Web Connector round trip claims and settles up to a hundred orders, each by a conditional update of a dozen
actions. PynamoDB's expression objects (`OrderModel.status.set(...)`, `Model.update`, `TransactWrite.update`)
cost about 10 microseconds an action to build and as much again to serialise, and `Model.update` asks DynamoDB for
the whole item back (ReturnValues ALL_NEW) to refresh a model nobody reads: together the largest share of a round
trip's own CPU after the AWS SDK. Here an action is a small frozen value, the expression is a few string joins,
and nothing is read back.

The values are serialised by the attribute itself (`attribute.serialize`, typed by `attribute.attr_type`, as
PynamoDB's `Value` does), the names are the attributes' names in the item (`attr_name`), and a value that
serialises to nothing (an empty set) removes the attribute, as PynamoDB's `set` does. None is refused: PynamoDB
would write a NULL, which no caller means (`remove` says it). tests/service/test_item_updates.py checks that, for any
item, actions and condition, these updates do to the item what PynamoDB's do, alone and in a transaction.

    change = Update(
        key_of(OrderModel.channel_id, channel_id, OrderModel.order_id, order_id),
        (set_to(OrderModel.status, SYNCED), remove(OrderModel.error), add_to(OrderModel.attempts, 1)),
        equals(OrderModel.status, IN_FLIGHT) & absent(OrderModel.later_waiting),
    )
    write(OrderModel, change)  # False when its condition did not hold
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.connection import Connection
from pynamodb.connection.base import BOTOCORE_EXCEPTIONS
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.dal.conditions import condition_failed

__all__ = [
    "Action",
    "Condition",
    "Update",
    "absent",
    "add_to",
    "begins_with",
    "equals",
    "key_of",
    "one_of",
    "remove",
    "set_if_absent",
    "set_to",
    "update_item",
    "write",
]


class Clause(StrEnum):
    SET = "SET"
    REMOVE = "REMOVE"
    ADD = "ADD"


@dataclass(frozen=True, slots=True)
class Action:
    """One action of an update: its clause, the attribute's name in the item, its typed value (none to remove),
    and for SET whether an existing value is kept (`if_not_exists`)."""

    clause: Clause
    name: str
    value: dict[str, Any] | None = None
    keep_existing: bool = False


def _typed(attribute: Attribute[Any], value: Any) -> dict[str, Any] | None:
    if value is None:
        raise ValueError(f"{_name(attribute)}: no value (remove it instead)")
    serialized = attribute.serialize(value)
    return None if serialized is None else {attribute.attr_type: serialized}


def _name(attribute: Attribute[Any]) -> str:
    name = attribute.attr_name
    if not name:
        raise ValueError("an attribute of a model class is needed (it has no name in the item)")
    return name


def set_to(attribute: Attribute[Any], value: Any) -> Action:
    """SET the attribute to `value`; a value the attribute serialises to nothing (an empty set) removes it."""
    typed = _typed(attribute, value)
    if typed is None:
        return Action(Clause.REMOVE, _name(attribute))
    return Action(Clause.SET, _name(attribute), typed)


def set_if_absent(attribute: Attribute[Any], value: Any) -> Action:
    """SET the attribute to `value` only where the item has none (`if_not_exists`): an existing value stays."""
    typed = _typed(attribute, value)
    if typed is None:
        raise ValueError(f"{_name(attribute)}: no value to set")
    return Action(Clause.SET, _name(attribute), typed, keep_existing=True)


def remove(attribute: Attribute[Any]) -> Action:
    return Action(Clause.REMOVE, _name(attribute))


def add_to(attribute: Attribute[Any], value: Any) -> Action:
    """ADD `value` to a number attribute (an absent one counts as 0)."""
    typed = _typed(attribute, value)
    if typed is None:
        raise ValueError(f"{_name(attribute)}: no value to add")
    return Action(Clause.ADD, _name(attribute), typed)


@dataclass(frozen=True, slots=True)
class _Term:
    kind: str  # "=" | "absent" | "in" | "begins_with"
    name: str
    values: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    """Terms that must all hold (`&` joins two conditions)."""

    terms: tuple[_Term, ...]

    def __and__(self, other: Condition) -> Condition:
        return Condition(self.terms + other.terms)


def equals(attribute: Attribute[Any], value: Any) -> Condition:
    typed = _typed(attribute, value)
    if typed is None:
        raise ValueError(f"{_name(attribute)}: compared with nothing (use absent)")
    return Condition((_Term("=", _name(attribute), (typed,)),))


def one_of(attribute: Attribute[Any], *values: Any) -> Condition:
    typed = tuple(t for v in values if (t := _typed(attribute, v)) is not None)
    if len(typed) != len(values) or not typed:
        raise ValueError(f"{_name(attribute)}: one of nothing")
    return Condition((_Term("in", _name(attribute), typed),))


def begins_with(attribute: Attribute[Any], prefix: str) -> Condition:
    return Condition((_Term("begins_with", _name(attribute), ({"S": prefix},)),))


def absent(attribute: Attribute[Any]) -> Condition:
    return Condition((_Term("absent", _name(attribute)),))


def key_of(
    hash_attribute: Attribute[Any],
    hash_value: Any,
    range_attribute: Attribute[Any] | None = None,
    range_value: Any = None,
) -> dict[str, dict[str, Any]]:
    """An item's key, typed as DynamoDB takes it."""
    key = {_name(hash_attribute): {hash_attribute.attr_type: hash_attribute.serialize(hash_value)}}
    if range_attribute is not None:
        key[_name(range_attribute)] = {range_attribute.attr_type: range_attribute.serialize(range_value)}
    return key


@dataclass(frozen=True, slots=True)
class Update:
    """The update of one item: its key, its actions and the condition they are written under (None: always)."""

    key: dict[str, dict[str, Any]]
    actions: tuple[Action, ...]
    condition: Condition | None = None

    def kwargs(self, table_name: str) -> dict[str, Any]:
        """The UpdateItem parameters (also an Update of TransactWriteItems)."""
        names: dict[str, str] = {}  # attribute name -> placeholder
        values: dict[str, dict[str, Any]] = {}

        def name(attr: str) -> str:
            placeholder = names.get(attr)
            if placeholder is None:
                placeholder = names[attr] = f"#{len(names)}"
            return placeholder

        def value(typed: dict[str, Any]) -> str:
            placeholder = f":{len(values)}"
            values[placeholder] = typed
            return placeholder

        clauses: dict[Clause, list[str]] = {Clause.SET: [], Clause.REMOVE: [], Clause.ADD: []}
        for action in self.actions:
            path = name(action.name)
            if action.clause is Clause.REMOVE:
                clauses[Clause.REMOVE].append(path)
            else:
                assert action.value is not None
                placeholder = value(action.value)
                if action.clause is Clause.ADD:
                    clauses[Clause.ADD].append(f"{path} {placeholder}")
                elif action.keep_existing:
                    clauses[Clause.SET].append(f"{path} = if_not_exists({path}, {placeholder})")
                else:
                    clauses[Clause.SET].append(f"{path} = {placeholder}")
        params: dict[str, Any] = {"TableName": table_name, "Key": self.key}
        expression = " ".join(f"{clause} {', '.join(parts)}" for clause, parts in clauses.items() if parts)
        if expression:
            params["UpdateExpression"] = expression
        if self.condition is not None and self.condition.terms:
            terms = []
            for term in self.condition.terms:
                path = name(term.name)
                if term.kind == "absent":
                    terms.append(f"attribute_not_exists ({path})")
                elif term.kind == "=":
                    terms.append(f"{path} = {value(term.values[0])}")
                elif term.kind == "begins_with":
                    terms.append(f"begins_with ({path}, {value(term.values[0])})")
                else:
                    terms.append(f"{path} IN ({', '.join(value(v) for v in term.values)})")
            params["ConditionExpression"] = (
                " AND ".join(f"({t})" for t in terms) if len(terms) > 1 else terms[0]
            )
        if names:
            params["ExpressionAttributeNames"] = {placeholder: attr for attr, placeholder in names.items()}
        if values:
            params["ExpressionAttributeValues"] = values
        return params


def update_item(connection: Connection, table_name: str, update: Update) -> None:
    """UpdateItem, nothing read back. Raises PynamoDB's UpdateError, as `Model.update` does."""
    try:
        connection.dispatch("UpdateItem", update.kwargs(table_name))
    except BOTOCORE_EXCEPTIONS as exc:  # wrapped as PynamoDB wraps them (`condition_failed` reads the cause)
        raise UpdateError("Failed to update item", exc) from exc


def write(connection: Connection, model: type[Model], update: Update) -> bool:
    """The update under its condition: whether the condition held (and it was written)."""
    try:
        update_item(connection, model.Meta.table_name, update)
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True
