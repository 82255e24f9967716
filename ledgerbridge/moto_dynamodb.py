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

Speed. moto spends ~3 ms of CPU on each update of a transaction (profiled on the engine's own 100-order claims and
settles): it parses the update expression twice and the condition twice, deep-copies the item and the expression
tree, and walks the tree ten times to validate it. A 100-order settle took ~450 ms, most of a round trip on the
local stack. So:

- the parsed update expression is kept by its text (`UpdateExpressionParser.make`; moto's validator deep-copies the
  tree before changing it, and its other callers only read it), and so are the tokens of a condition expression;
- an update whose expression is plain top-level actions (`SET #n = :v`, `REMOVE #n`, `ADD #n :v` on numbers: the
  claims and settles `chalicelib/dal/updates.py` writes) on an item that exists is applied directly
  (`_plain_update`), after moto's own parser has accepted the text. Anything else (a path, a function such as
  the `if_not_exists` of an order left open, a set, a key attribute, a name used twice, a value moto would
  refuse, a stream on the table, an item near moto's size limit) goes to moto's `update_item` as before, so every
  error is moto's own. `tests/unit/test_moto_dynamodb.py` checks, for generated expressions, values and items
  (most of them taking the direct path, some at the size limit), that both give the same item or the same error.
Stricter than moto, as strict as DynamoDB: a secondary index's key attribute must have the type its table
declares and may not be an empty string or binary ("Type mismatch for Index Key", "A value specified for a
secondary index key is not supported", DynamoDB API Reference, PutItem and UpdateItem errors). moto checks only
that a put leaves no such key empty; a put of the wrong type, and any update (plain or in a transaction), went
through, so a write that AWS refuses could pass on the local stack. `_index_key_problem` is checked by every put,
by the direct path before it writes, and after moto's own update (the item is put back as it was when refused).

- an item read back (GetItem, BatchGetItem, Query) is turned into its JSON answer directly (`_attribute_value`):
  moto's generic serializer looked up each of the ten members of every attribute value through its alias rules,
  ~2.5 ms per order item, most of a 100-order BatchGetItem's 200 ms. Anything that is not plain DynamoDB JSON
  goes to moto's serializer; the same test module checks both answer the same for generated items.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import importlib
import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

_INSTALLED = "_ledgerbridge_transactions"


def install() -> None:
    """Patch moto's DynamoDB backend and JSON serializer (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, _INSTALLED, False):
        return
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    _check_index_keys(DynamoDBBackend)
    _keep_parsed_expressions()
    _answer_items_directly()
    setattr(DynamoDBBackend, _INSTALLED, True)


def _moto(module: str) -> Any:
    """A moto module, typed loosely: the patches below reach into its internals."""
    return importlib.import_module(module)


def _index_keys(table: Any) -> dict[str, tuple[str | None, str]]:
    """Every secondary index's key attributes: name -> (the type the table declares, the index's name)."""
    declared = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
    return {
        part["AttributeName"]: (declared.get(part["AttributeName"]), index.name)
        for index in [*table.global_indexes, *table.indexes]
        for part in index.schema
    }


def _index_key_problem(table: Any, attributes: Any) -> str | None:
    """What DynamoDB says of an item whose index key attribute has the wrong type or is empty; None when fine."""
    for name, (kind, index) in _index_keys(table).items():
        value = attributes.get(name)
        if value is None or kind is None:
            continue
        if value.type != kind:
            return (
                "One or more parameter values were invalid: Type mismatch for Index Key "
                f"{name} Expected: {kind} Actual: {value.type} IndexName: {index}"
            )
        if kind in ("S", "B") and len(value.value) == 0:
            return (
                "One or more parameter values are not valid. A value specified for a secondary index key is not "
                "supported. The AttributeValue for a key attribute cannot contain an empty string value. "
                f"IndexName: {index}, IndexKey: {name}"
            )
    return None


def _check_index_keys(backend_class: Any) -> None:
    """Puts and moto's own updates refuse what `_index_key_problem` names (see the module docstring)."""
    exceptions = _moto("moto.dynamodb.exceptions")
    dynamo_type = _moto("moto.dynamodb.models.dynamo_type").DynamoType
    generic_put, generic_update = backend_class.put_item, backend_class.update_item

    def put_item(self: Any, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        table = self.get_table(table_name)
        keys = {
            n: dynamo_type(item_attrs[n]) for n in _index_keys(table) if isinstance(item_attrs.get(n), dict)
        }
        problem = _index_key_problem(table, keys) if keys else None
        if problem:
            raise exceptions.MockValidationException(problem)
        return generic_put(self, table_name, item_attrs, *args, **kwargs)

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        table = self.get_table(table_name)
        keys = _index_keys(table)
        expression = kwargs.get("update_expression", args[0] if args else None)
        names = kwargs.get("expression_attribute_names", args[1] if len(args) > 1 else None) or {}
        touched = expression and any(k in expression or k in names.values() for k in keys)
        if not touched:  # no index key named: nothing to check (and no copy of the item)
            return generic_update(self, table_name, key, *args, **kwargs)
        before = copy.deepcopy(self.get_item(table_name, key))
        item = generic_update(self, table_name, key, *args, **kwargs)
        problem = _index_key_problem(table, item.attrs)
        if problem:
            if before is None:
                self.delete_item(table_name, key)
            else:
                generic_put(self, table_name, before.to_json()["Attributes"])
            raise exceptions.MockValidationException(problem)
        return item

    backend_class.put_item, backend_class.update_item = put_item, update_item


def _keep_parsed_expressions() -> None:
    """Update expressions kept parsed by their text, and condition expressions kept as tokens by theirs."""
    parser = _moto("moto.dynamodb.parsing.expressions").UpdateExpressionParser
    parse: Callable[..., Any] = functools.lru_cache(maxsize=_KEPT_EXPRESSIONS)(parser.make.__func__)
    parser.make = classmethod(parse)
    conditions = _moto("moto.dynamodb.comparisons").ConditionExpressionParser
    lex = conditions._lex_condition_expression
    tokens = functools.lru_cache(maxsize=_KEPT_EXPRESSIONS)(lambda text: tuple(lex(_Lexing(text))))
    conditions._lex_condition_expression = lambda self: deque(tokens(self.condition_expression))


def _answer_items_directly() -> None:
    """Attribute values written straight into the JSON answer (`_attribute_value`), moto's serializer otherwise."""
    serializer = _moto("moto.core.serialize").BaseJSONSerializer
    generic = serializer._serialize_type_structure

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and _direct_answers and type(value) is dict and _is_attribute_value(shape):
            answer = _attribute_value(value, self._base64)
            if answer is not None:
                self._default_serialize(serialized, answer, shape, key)
                return
        generic(self, serialized, value, shape, key)

    serializer._serialize_type_structure = serialize_structure


def freeze_survivors() -> None:
    """After every full garbage collection, move what survived it out of the collector's sight (`gc.freeze`).

    An embedded AWS holds every item as Python objects: with a few thousand orders and items a full collection
    walked a million objects and stopped the server for 0.5-0.7 s, each time the heap had grown by a quarter (seen
    in the orders benchmark's p99, from a gc callback timing each collection). Frozen objects are still freed when
    nothing refers to them; only a cycle among them that becomes garbage later is kept until the process ends,
    which a store of items does not make. For the processes that serve moto (the local stack, the benchmarks'
    moto), not for a test run."""
    if _freeze_after_full_collection not in gc.callbacks:
        gc.callbacks.append(_freeze_after_full_collection)


def _freeze_after_full_collection(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


_direct_answers = True  # tests turn it off to compare with moto's serializer (`generic_answers`)


@contextlib.contextmanager
def generic_answers() -> Iterator[None]:
    """Answers serialized by moto's generic serializer alone while inside (for the tests' comparisons)."""
    global _direct_answers  # noqa: PLW0603 - one switch for the patched serializer
    _direct_answers = False
    try:
        yield
    finally:
        _direct_answers = True


_ATTRIBUTE_VALUE_MEMBERS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})


@functools.lru_cache(maxsize=256)
def _is_attribute_value(shape: Any) -> bool:
    """DynamoDB's AttributeValue shape (botocore's model), by its name and members."""
    return shape.name == "AttributeValue" and frozenset(shape.members) == _ATTRIBUTE_VALUE_MEMBERS


def _attribute_value(value: dict[str, Any], base64: Callable[[Any], str]) -> dict[str, Any] | None:
    """The JSON answer for one attribute value as moto's serializer writes it, or None for anything but plain
    DynamoDB JSON (moto's serializer then decides)."""
    answer: dict[str, Any] = {}
    for kind, held in value.items():
        if held is None:
            continue
        if kind in ("S", "N"):
            if type(held) is not str:
                return None
            answer[kind] = held
        elif kind == "B":
            if not isinstance(held, (bytes, str)):
                return None
            answer[kind] = base64(held)
        elif kind in ("SS", "NS", "BS"):
            if type(held) is not list or not all(
                isinstance(x, (bytes, str) if kind == "BS" else str) for x in held
            ):
                return None
            answer[kind] = [base64(x) for x in held] if kind == "BS" else list(held)
        elif kind in ("NULL", "BOOL"):
            if type(held) is not bool:
                return None
            answer[kind] = held
        elif kind == "M":
            if type(held) is not dict:
                return None
            members = {}
            for name, member in held.items():
                if not name or type(member) is not dict:  # moto's serializer writes a "" member into its map
                    return None
                inner = _attribute_value(member, base64)
                if inner is None:
                    return None
                members[name] = inner
            answer[kind] = members
        elif kind == "L":
            if type(held) is not list:
                return None
            elements = []
            for element in held:
                if type(element) is not dict:
                    return None
                inner = _attribute_value(element, base64)
                if inner is None:
                    return None
                elements.append(inner)
            answer[kind] = elements
        else:
            return None
    return answer


_KEPT_EXPRESSIONS = 4096  # distinct expression texts kept parsed (the engine writes a few dozen)


class _Lexing:
    """What moto's condition lexer reads of its parser: the text alone (the tokens do not depend on the names and
    values, which a later step substitutes)."""

    def __init__(self, text: str) -> None:
        ConditionExpressionParser = _moto("moto.dynamodb.comparisons").ConditionExpressionParser

        self.condition_expression = text
        self.Nonterminal = ConditionExpressionParser.Nonterminal
        self.Kind = ConditionExpressionParser.Kind
        self.Node = ConditionExpressionParser.Node
        self._lex_one_node = functools.partial(ConditionExpressionParser._lex_one_node, self)


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
                update_item(self, table_name, key, op)
    except Exception:
        for table_name, key, item in before:
            if item is None:
                if self.get_item(table_name, key) is not None:
                    self.delete_item(table_name, key)
            else:
                self.put_item(table_name, item.to_json()["Attributes"])
        raise


def update_item(backend: Any, table_name: str, key: dict[str, Any], op: dict[str, Any]) -> None:
    """One Update action of a transaction: applied directly when it is plain (`_plain_update`), else by moto."""
    if not _plain_update(backend, table_name, key, op):
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=op.get("ExpressionAttributeNames"),
            expression_attribute_values=op.get("ExpressionAttributeValues"),
        )


_NAME = r"#[A-Za-z0-9_]+"
_VALUE = r":[A-Za-z0-9_]+"
_CLAUSE = re.compile(r"\s*(SET|REMOVE|ADD)\s+", re.IGNORECASE)
_ACTION_SHAPES = {
    "SET": re.compile(rf"({_NAME})\s*=\s*({_VALUE})"),
    "REMOVE": re.compile(rf"({_NAME})()"),
    "ADD": re.compile(rf"({_NAME})\s+({_VALUE})"),
}
_MOTO_ITEM_SIZE_LIMIT = 405000  # moto's LimitedSizeDict (moto/dynamodb/models/dynamo_type.py)
_PLAIN_VALUE_TYPES = frozenset({"S", "N", "B", "BOOL", "NULL"})


@dataclass(frozen=True)
class _Action:
    clause: str  # SET, REMOVE or ADD
    name: str  # the #placeholder
    value: str  # the :placeholder ("" for REMOVE)


@functools.lru_cache(maxsize=_KEPT_EXPRESSIONS)
def _plain_actions(expression: str) -> tuple[_Action, ...] | None:
    """The actions of an update expression made only of top-level `SET #n = :v`, `REMOVE #n` and `ADD #n :v`,
    each clause at most once, in the order written; None for any other text (moto then handles it)."""
    clauses = _CLAUSE.split(expression)
    if clauses[0].strip() or len(clauses) < 3:
        return None
    actions: list[_Action] = []
    seen: set[str] = set()
    for word, body in zip(clauses[1::2], clauses[2::2], strict=True):
        clause = word.upper()
        if clause in seen:
            return None
        seen.add(clause)
        for part in body.split(","):
            shape = _ACTION_SHAPES[clause].fullmatch(part.strip())
            if shape is None:
                return None
            actions.append(_Action(clause, shape.group(1), shape.group(2)))
    return tuple(actions)


def _is_number(value: Any) -> bool:
    """A finite decimal number written as a string (what moto can add to)."""
    try:
        return isinstance(value, str) and Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _plain_update(backend: Any, table_name: str, key: dict[str, Any], op: dict[str, Any]) -> bool:
    """Apply a plain update (see the module docstring) to an item that exists; False, with nothing changed, when
    the update is not plain and moto must apply it. Raises only what moto's own update would."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import bytesize

    expression = op.get("UpdateExpression")
    if not isinstance(expression, str):
        return False
    _moto("moto.dynamodb.parsing.expressions").UpdateExpressionParser.make(
        expression
    )  # moto's parser accepts the text first (kept by its text)
    actions = _plain_actions(expression)
    table = backend.get_table(table_name)
    if actions is None or table.stream_shard is not None:
        return False
    names: dict[str, str] = op.get("ExpressionAttributeNames") or {}
    values: dict[str, Any] = op.get("ExpressionAttributeValues") or {}
    keys = {table.hash_key_attr, table.range_key_attr}
    writes: list[tuple[str, str, DynamoType | None]] = []  # (clause, attribute, value); no value to REMOVE
    for action in actions:
        name = names.get(action.name)
        if not isinstance(name, str) or not name or name in keys or any(name == w[1] for w in writes):
            return False
        if action.clause == "REMOVE":
            writes.append(("REMOVE", name, None))
            continue
        value = values.get(action.value)
        if not isinstance(value, dict) or len(value) != 1:
            return False
        ((kind, raw),) = value.items()
        if kind not in _PLAIN_VALUE_TYPES or (kind == "N" and not _is_number(raw)):
            return False
        if kind in ("S", "B") and not isinstance(raw, str):
            return False
        if (kind == "BOOL" and not isinstance(raw, bool)) or (kind == "NULL" and raw is not True):
            return False
        if action.clause == "ADD" and kind != "N":
            return False
        writes.append((action.clause, name, DynamoType(value)))
    item = backend.get_item(table_name, key)
    if item is None:
        return False
    results: list[tuple[str, DynamoType | None]] = []  # every new value worked out before anything changes
    for clause, name, given in writes:
        if clause == "ADD" and given is not None:
            current = item.attrs.get(name)
            if current is not None and (current.type != "N" or not _is_number(current.value)):
                return False
            try:  # moto's own sum (an absent number counts as 0, as in its AddExecutor)
                total = (current if current is not None else DynamoType({"N": "0"})) + given
            except (TypeError, ValueError, ArithmeticError):
                return False
            results.append((name, total))
        else:
            results.append((name, given))
    # moto checks the item's size on every attribute it sets (its LimitedSizeDict sums the whole item each time).
    # The item as it is plus every new value is a bound on each of those checks: within it, none can fail, and
    # the values are set without them; past it, moto applies the update and decides.
    bound = sum(bytesize(name) + value.size() for name, value in item.attrs.items())
    bound += sum(bytesize(name) + new.size() for name, new in results if new is not None)
    if bound > _MOTO_ITEM_SIZE_LIMIT:
        return False
    after = dict(item.attrs)
    for name, new in results:
        if new is None:
            after.pop(name, None)
        else:
            after[name] = new
    problem = _index_key_problem(table, after)
    if problem:
        raise _moto("moto.dynamodb.exceptions").MockValidationException(problem)
    for name, new in results:
        if new is None:
            item.attrs.pop(name, None)
        else:
            dict.__setitem__(item.attrs, name, new)
    return True
