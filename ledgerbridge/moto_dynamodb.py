"""A faster TransactWriteItems for the embedded AWS (moto): the same semantics, without copying whole tables.

The engine claims and settles a message set's orders with TransactWriteItems of up to 100 conditional updates
(`chalicelib/dal/orders.py`). moto 5 implements the call by deep-copying the whole table once per item of the
transaction, to roll back on failure: O(table size x items) per call, seconds on a local stack that holds a few
thousand orders. `install()` replaces that method on moto's DynamoDB backend with one written here that keeps
DynamoDB's documented behaviour ("TransactWriteItems", Amazon DynamoDB API Reference):

- at most 100 actions, and no two on the same item (ValidationException otherwise);
- all or nothing: every action's condition is evaluated against the items as they are before any is written; if
  one fails the call is refused with TransactionCanceledException and a CancellationReasons entry per action in
  request order ("None" for the actions that did not cause it, "ConditionalCheckFailed" with the item when
  ReturnValuesOnConditionCheckFailure is ALL_OLD), and nothing is written;
- ConditionCheck actions write nothing;
- a write that fails for another reason (a validation error of its update expression) rolls back the writes before
  it: only the items the transaction touches are copied beforehand, not whole tables.

It is stricter than nothing and no more lenient than DynamoDB: conditions are evaluated by moto's own expression
code, the writes are moto's own put/update/delete. Installed by every embedded moto this repository starts (the
local stack, the tests' server, the benchmarks').
"""

from __future__ import annotations

import copy
import json
from typing import Any

_INSTALLED = "_ledgerbridge_transactions"


def install() -> None:
    """Patch moto's DynamoDB backend (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, _INSTALLED, False):
        return
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    setattr(DynamoDBBackend, _INSTALLED, True)


def _key_of(backend: Any, table_name: str, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(table_name)
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.comparisons import get_filter_expression as condition_of  # moto's own evaluator
    from moto.dynamodb.exceptions import (
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    actions: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for item in transact_items:
        if len(item) != 1:
            raise TransactWriteSingleOpException()
        ((op_type, op),) = item.items()
        if op_type not in ("ConditionCheck", "Put", "Delete", "Update"):
            raise ValueError("Unsupported transaction operation")
        table_name = self.get_table(op["TableName"]).name
        key = _key_of(self, table_name, op_type, op)
        ident = (table_name, json.dumps(key, sort_keys=True))
        if ident in seen:
            raise MultipleTransactionsException()
        seen.add(ident)
        actions.append((op_type, op, table_name, key))

    # 1. Every condition against the items as they are now; any failure refuses the whole call.
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for _, op, table_name, key in actions:
        current = self.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        if condition is not None and not condition_of(
            condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        ).expr(current):
            old = (
                current.to_json()["Attributes"]
                if current is not None and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
                else None
            )
            errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
        else:
            errors.append((None, None, None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    # 2. The writes, the touched items copied first so that a write refused half-way takes back those before it.
    before = [
        (table_name, key, copy.deepcopy(self.get_item(table_name, key)))
        for op_type, _, table_name, key in actions
        if op_type != "ConditionCheck"
    ]
    try:
        for op_type, op, table_name, key in actions:
            if op_type == "Put":
                self.put_item(table_name, op["Item"])
            elif op_type == "Delete":
                self.delete_item(table_name, key)
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=op.get("ExpressionAttributeNames"),
                    expression_attribute_values=op.get("ExpressionAttributeValues"),
                )
    except Exception:
        for table_name, key, item in before:
            if item is None:
                if self.get_item(table_name, key) is not None:
                    self.delete_item(table_name, key)
            else:
                self.put_item(table_name, item.to_json()["Attributes"])
        raise
