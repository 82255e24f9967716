"""The embedded AWS's direct paths (`ledgerbridge/moto_dynamodb.py`) do what moto does, only faster.

- Updates: for generated update expressions (plain ones, and ones with paths, functions, sets and clauses the direct
  path leaves to moto), attribute names and values (numbers moto cannot add, empty names, key attributes, sets,
  maps) and items (absent, or holding numbers, strings, sets), the same update is applied by moto's own
  `update_item` to one table and by `moto_dynamodb.update_item` to its twin, on a backend of the test's own: both
  must leave the same item or raise the same error.
- Answers: generated items (nested maps and lists, binary, sets) read back through the tests' moto server answer
  the same with the direct serializer and with moto's.
- Full collections: what survives one is frozen, and garbage made later is still collected.
"""

from __future__ import annotations

import base64
import copy
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge import moto_dynamodb

REGION = "us-east-1"
ACCOUNT = "123456789012"
KEY = {"pk": {"S": "order-1"}, "sk": {"S": "line-1"}}
NAMES = ["status", "attempts", "verify", "a", "pk", "sk", ""]  # pk and sk are the key, "" is not a name
KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
KEY_TYPES = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
STATUS_INDEX = {  # as the orders' `open` index: a string attribute the engine sets and removes
    "IndexName": "by_status",
    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "KEYS_ONLY"},
}


@pytest.fixture(scope="module")
def backend() -> Any:
    """A DynamoDB backend of moto's of its own (not the process's, which the tests' moto server serves), with two
    twin tables (an index on `status`): updates applied by moto to one and by the direct path to the other."""
    from moto.dynamodb.models import DynamoDBBackend

    moto_dynamodb.install()
    store = DynamoDBBackend(REGION, ACCOUNT)
    for name in ("by_moto", "direct"):
        store.create_table(
            name,
            schema=KEY_SCHEMA,
            throughput=None,
            attr=[*KEY_TYPES, {"AttributeName": "status", "AttributeType": "S"}],
            global_indexes=[STATUS_INDEX],
            indexes=None,
            streams=None,
            billing_mode="PAY_PER_REQUEST",
            sse_specification=None,
            tags=[],
            deletion_protection_enabled=False,
            warm_throughput=None,
        )
    return store


@pytest.fixture(scope="module")
def answers_table(aws: str) -> Iterator[tuple[Any, str]]:
    """A table on the tests' moto server (this process's moto, with `install()` applied) and a client to it."""
    import boto3

    client = boto3.client("dynamodb", endpoint_url=aws, region_name=REGION)
    name = "lb-test-answers-" + uuid.uuid4().hex[:8]
    client.create_table(
        TableName=name, KeySchema=KEY_SCHEMA, AttributeDefinitions=KEY_TYPES, BillingMode="PAY_PER_REQUEST"
    )
    yield client, name
    client.delete_table(TableName=name)


numbers = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.sampled_from(["01", "1.50", "-0", "1e5", "abc", "", " 1", "NaN", "Infinity"]),
)
blobs = st.binary(max_size=12)
scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    st.builds(lambda n: {"N": n}, numbers),
    st.builds(lambda b: {"B": b}, blobs),
    st.builds(lambda b: {"B": base64.b64encode(b).decode()}, blobs),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.builds(lambda b: {"NULL": b}, st.booleans()),
)
attribute_values = st.one_of(
    scalars,
    st.builds(lambda xs: {"SS": xs}, st.lists(st.text(max_size=4), max_size=3, unique=True)),
    st.builds(lambda xs: {"NS": xs}, st.lists(st.integers(0, 9).map(str), max_size=3, unique=True)),
    st.builds(lambda xs: {"L": xs}, st.lists(scalars, max_size=2)),
    st.builds(lambda m: {"M": m}, st.dictionaries(st.sampled_from(["x", "y"]), scalars, max_size=2)),
    st.just({"S": "x", "N": "1"}),  # two types in one value
)
plain_actions = st.one_of(
    st.tuples(st.just("SET"), st.integers(0, 4).map(lambda i: f"#{i} = :{i}")),
    st.tuples(st.just("REMOVE"), st.integers(0, 4).map(lambda i: f"#{i}")),
    st.tuples(st.just("ADD"), st.integers(0, 4).map(lambda i: f"#{i} :{i}")),
)
other_actions = st.sampled_from(
    [
        ("SET", "#0 = #1 + :0"),
        ("SET", "#0 = if_not_exists(#0, :1)"),
        ("SET", "#0.#1 = :0"),
        ("SET", "#0[0] = :0"),
        ("SET", "a = :0"),
        ("SET", "#0 = :missing"),
        ("SET", "#missing = :0"),
        ("DELETE", "#0 :0"),
        ("ADD", "#0 :0, #0 :1"),
        ("SET", "#0 = :0 SET #1 = :1"),
    ]
)


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    chosen = draw(st.lists(st.one_of(plain_actions, plain_actions, other_actions), min_size=1, max_size=5))
    by_clause: dict[str, list[str]] = {}
    for clause, text in chosen:
        by_clause.setdefault(clause, []).append(text)
    spacing = draw(st.sampled_from([" ", "  "]))
    expression = spacing.join(
        f"{draw(st.sampled_from([clause, clause.lower()]))} {', '.join(texts)}"
        for clause, texts in by_clause.items()
    )
    names = draw(
        st.dictionaries(st.sampled_from([f"#{i}" for i in range(5)]), st.sampled_from(NAMES), min_size=1)
    )
    values = draw(st.dictionaries(st.sampled_from([f":{i}" for i in range(5)]), attribute_values, min_size=1))
    return {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


stored_values = st.one_of(  # what an item can hold (moto refuses the rest when it is put)
    st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-(10**6), 10**6)),
    st.just({"N": "1.50"}),
    st.builds(lambda b: {"B": b}, blobs),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda xs: {"SS": xs}, st.lists(st.text(max_size=4), min_size=1, max_size=3, unique=True)),
    st.builds(
        lambda xs: {"NS": xs}, st.lists(st.integers(0, 9).map(str), min_size=1, max_size=3, unique=True)
    ),
)


def _storable(item: dict[str, Any]) -> dict[str, Any]:
    """The item with an indexable `status` (a put refuses any other, as DynamoDB does)."""
    status = item.get("status")
    if status is not None and not status.get("S"):
        item["status"] = {"S": "pending"}
    return item


items = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(["status", "attempts", "verify", "a"]), stored_values, max_size=4).map(
        _storable
    ),
)


def _apply(store: Any, table: str, op: dict[str, Any], direct: bool) -> tuple[str, Any]:
    try:
        if direct:
            moto_dynamodb.update_item(store, table, dict(KEY), op)
        else:
            store.update_item(
                table,
                dict(KEY),
                update_expression=op["UpdateExpression"],
                expression_attribute_names=op.get("ExpressionAttributeNames"),
                expression_attribute_values=op.get("ExpressionAttributeValues"),
            )
    except Exception as exc:
        return "error", (type(exc).__name__, str(exc))
    found = store.get_item(table, dict(KEY))
    return "item", None if found is None else found.to_json()


def _seed(store: Any, table: str, item: dict[str, Any] | None) -> None:
    if store.get_item(table, dict(KEY)) is not None:
        store.delete_item(table, dict(KEY))
    if item is not None:
        store.put_item(table, {**KEY, **copy.deepcopy(item)})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=updates(), item=items)
def test_the_direct_path_leaves_what_moto_leaves(backend: Any, op: dict[str, Any], item: Any) -> None:
    _seed(backend, "by_moto", item)
    _seed(backend, "direct", item)
    assert _apply(backend, "direct", copy.deepcopy(op), True) == _apply(
        backend, "by_moto", copy.deepcopy(op), False
    )


PLAIN_NAMES = ["status", "attempts", "verify", "a", "b", "big"]
plain_values = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-(10**6), 10**6)),
    st.sampled_from([{"N": "1.50"}, {"N": "-0"}, {"N": "01"}, {"N": "1e5"}]),
    st.builds(lambda b: {"B": base64.b64encode(b).decode()}, blobs),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.sampled_from([1_000, 2_500]).map(lambda n: {"S": "x" * n}),  # enough to cross moto's size limit
)


@st.composite
def plain_cases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A plain update (each attribute once, every placeholder defined) on an item that exists, some of them near
    moto's 405,000-byte item limit."""
    names = draw(st.lists(st.sampled_from(PLAIN_NAMES), min_size=1, max_size=5, unique=True))
    clauses: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for i, _ in enumerate(names):
        clause = draw(st.sampled_from(["SET", "REMOVE", "ADD"]))
        if clause == "SET":
            clauses.setdefault("SET", []).append(f"#{i} = :{i}")
            values[f":{i}"] = draw(plain_values)
        elif clause == "REMOVE":
            clauses.setdefault("REMOVE", []).append(f"#{i}")
        else:
            clauses.setdefault("ADD", []).append(f"#{i} :{i}")
            values[f":{i}"] = draw(
                st.builds(lambda n: {"N": str(n)}, st.integers(-50, 50)) | st.just({"N": "2.5"})
            )
    order = draw(st.permutations(list(clauses)))
    op: dict[str, Any] = {
        "UpdateExpression": " ".join(f"{c} {', '.join(clauses[c])}" for c in order),
        "ExpressionAttributeNames": {f"#{i}": name for i, name in enumerate(names)},
    }
    if values:
        op["ExpressionAttributeValues"] = values
    item = _storable(draw(st.dictionaries(st.sampled_from(PLAIN_NAMES[:-1]), stored_values, max_size=4)))
    big = draw(st.sampled_from([0, 0, 200_000, 402_500, 403_500, 404_500]))
    if big:
        item["big"] = {"S": "y" * big}
    return op, item


def test_plain_updates_take_the_direct_path_and_leave_what_moto_leaves(backend: Any) -> None:
    """Plain updates on items that exist: most are applied directly (not left to moto, which would make the
    comparison moto against moto), and every one leaves the item, or raises the error, that moto's own does,
    at moto's size limit too."""
    taken: list[bool] = []

    @settings(max_examples=300, deadline=None)
    @given(case=plain_cases())
    def check(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
        op, item = case
        _seed(backend, "by_moto", item)
        _seed(backend, "direct", item)
        by_moto = _apply(backend, "by_moto", copy.deepcopy(op), False)
        try:
            took = moto_dynamodb._plain_update(backend, "direct", dict(KEY), copy.deepcopy(op))
        except Exception as exc:  # the direct path raises only what moto would
            assert by_moto == ("error", (type(exc).__name__, str(exc)))
            return
        if not took:
            direct = _apply(backend, "direct", copy.deepcopy(op), False)
        else:
            found = backend.get_item("direct", dict(KEY))
            direct = ("item", found.to_json())
        taken.append(took)
        assert direct == by_moto

    check()
    assert sum(taken) >= max(100, len(taken) // 2), f"the direct path took {sum(taken)} of {len(taken)}"


def test_the_engines_claims_and_settles_take_the_direct_path(backend: Any) -> None:
    """The shapes `chalicelib/dal/updates.py` writes for a claim and a settle are plain, so they are applied
    directly (and still leave what moto leaves)."""
    claim = {
        "UpdateExpression": "SET #1 = :0, #2 = :1, #4 = :3, #5 = :4 REMOVE #0 ADD #3 :2",
        "ExpressionAttributeNames": {
            "#0": "rules",
            "#1": "status",
            "#2": "message_set_id",
            "#3": "attempts",
            "#4": "verify",
            "#5": "claimed_at",
        },
        "ExpressionAttributeValues": {
            ":0": {"S": "in_flight"},
            ":1": {"S": "set-1"},
            ":2": {"N": "1"},
            ":3": {"BOOL": True},
            ":4": {"S": "t"},
        },
    }
    item = {"status": {"S": "pending"}, "rules": {"SS": ["r1"]}, "attempts": {"N": "2"}}
    for table in ("by_moto", "direct"):
        _seed(backend, table, item)
    assert moto_dynamodb._plain_update(backend, "direct", dict(KEY), copy.deepcopy(claim))
    by_moto = _apply(backend, "by_moto", copy.deepcopy(claim), False)
    assert by_moto == ("item", backend.get_item("direct", dict(KEY)).to_json())
    assert by_moto[1]["Attributes"]["attempts"] == {"N": "3"} and "rules" not in by_moto[1]["Attributes"]
    settle = {
        "UpdateExpression": "SET #0 = :0, #2 = :1, #3 = :2, #4 = :3, #6 = :5 REMOVE #1, #8, #9",
        "ExpressionAttributeNames": {
            "#0": "documents",
            "#1": "error",
            "#2": "verify",
            "#3": "txn_id",
            "#4": "txn_type",
            "#6": "status",
            "#8": "open_connection",
            "#9": "queued_at",
        },
        "ExpressionAttributeValues": {
            ":0": {"S": '{"SalesReceipt":"100-1"}'},
            ":1": {"BOOL": False},
            ":2": {"S": "100-1"},
            ":3": {"S": "SalesReceipt"},
            ":5": {"S": "synced"},
        },
    }
    assert moto_dynamodb._plain_update(backend, "direct", dict(KEY), copy.deepcopy(settle))
    by_moto = _apply(backend, "by_moto", copy.deepcopy(settle), False)
    assert by_moto == ("item", backend.get_item("direct", dict(KEY)).to_json())
    assert (
        by_moto[1]["Attributes"]["status"] == {"S": "synced"} and "queued_at" not in by_moto[1]["Attributes"]
    )


nested_values = st.recursive(
    stored_values,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"L": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda m: {"M": m}, st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    ),
    max_leaves=8,
)
extra_values = st.one_of(
    nested_values,
    st.builds(lambda xs: {"BS": xs}, st.lists(blobs, min_size=1, max_size=3, unique=True)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    attributes=st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda n: n not in KEY), extra_values)
)
def test_items_read_back_answer_as_moto_answers_them(
    answers_table: tuple[Any, str], attributes: dict[str, Any]
) -> None:
    """GetItem, BatchGetItem and Query answer the same with the direct answers and with moto's serializer (a map
    member named "" included: moto's answer for it is one boto3 cannot read, and the direct path leaves it so)."""
    client, table = answers_table
    client.put_item(TableName=table, Item={**KEY, **attributes})

    def read() -> list[Any]:
        try:
            return [
                client.get_item(TableName=table, Key=KEY)["Item"],
                client.batch_get_item(RequestItems={table: {"Keys": [KEY]}})["Responses"][table],
                client.query(
                    TableName=table,
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues={":pk": KEY["pk"]},
                )["Items"],
            ]
        except Exception as exc:  # what moto's answer makes of the client, compared as it is
            return ["error", type(exc).__name__]

    with moto_dynamodb.generic_answers():
        by_moto = read()
    assert read() == by_moto
    if not any(_names_empty_member(value) for value in attributes.values()):  # moto garbles those
        assert by_moto[0] == {**KEY, **attributes}


def _names_empty_member(value: dict[str, Any]) -> bool:
    members = value.get("M", {})
    return "" in members or any(_names_empty_member(v) for v in [*members.values(), *value.get("L", [])])


def test_items_read_back_are_answered_directly(answers_table: tuple[Any, str], monkeypatch: Any) -> None:
    """The direct answers are used (the comparison above would pass if they never were)."""
    client, table = answers_table
    answered: list[dict[str, Any]] = []
    direct = moto_dynamodb._attribute_value

    def counted(value: dict[str, Any], base64: Any) -> dict[str, Any] | None:
        answer = direct(value, base64)
        if answer is not None:
            answered.append(value)
        return answer

    monkeypatch.setattr(moto_dynamodb, "_attribute_value", counted)
    item = {**KEY, "n": {"N": "1.50"}, "m": {"M": {"x": {"L": [{"S": "a"}, {"B": b"\x00"}]}}}}
    client.put_item(TableName=table, Item=item)
    assert client.get_item(TableName=table, Key=KEY)["Item"] == item
    assert {"N": "1.50"} in answered and {"S": "a"} in answered


def test_survivors_of_a_full_collection_are_frozen_and_later_garbage_is_still_collected() -> None:
    """`freeze_survivors` (in a process of its own: it changes the collector for the whole process)."""
    script = """
import gc, weakref
from ledgerbridge.moto_dynamodb import freeze_survivors
freeze_survivors(); freeze_survivors()  # once is enough
kept = [[i] for i in range(1000)]
assert gc.get_freeze_count() == 0
gc.collect()
frozen = gc.get_freeze_count()
assert frozen >= 1000, frozen
class Node:
    pass
a, b = Node(), Node(); a.other, b.other = b, a  # a cycle made after the freeze
gone = weakref.ref(a); del a, b
gc.collect(0)
assert gone() is None
print(gc.callbacks.count(gc.callbacks[-1]), frozen)
"""
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60, cwd=repo
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "1"


def test_an_index_key_of_the_wrong_type_or_empty_is_refused_and_nothing_is_written(backend: Any) -> None:
    """DynamoDB refuses a secondary index key of another type than the table declares, or an empty one, on a put
    and on an update (plain, by moto's path or in a transaction); moto let them through."""
    from moto.dynamodb.exceptions import MockValidationException

    item = {"status": {"S": "pending"}, "attempts": {"N": "1"}}
    for table in ("by_moto", "direct"):
        _seed(backend, table, item)
        with pytest.raises(MockValidationException, match="Type mismatch for Index Key status"):
            backend.put_item(table, {**KEY, "status": {"N": "1"}})
    bad = [
        ("SET #s = :v", {":v": {"S": ""}}, "cannot contain an empty string"),
        ("SET #s = :v", {":v": {"N": "2"}}, "Type mismatch for Index Key status"),
        ("SET #s = if_not_exists(#a, :v)", {":v": {"B": b"x"}}, "Type mismatch"),  # moto's own path
    ]
    for expression, values, message in bad:
        op = {
            "UpdateExpression": expression,
            "ExpressionAttributeNames": {"#s": "status", "#a": "a"}
            if "#a" in expression
            else {"#s": "status"},
            "ExpressionAttributeValues": values,
        }
        for table, direct in (("by_moto", False), ("direct", True)):
            outcome = _apply(backend, table, copy.deepcopy(op), direct)
            assert outcome[0] == "error" and message in outcome[1][1], outcome
            assert backend.get_item(table, dict(KEY)).to_json()["Attributes"] == {**KEY, **item}
    other = {"pk": {"S": "order-2"}, "sk": {"S": "line-1"}}
    backend.put_item("direct", {**other, "status": {"S": "pending"}})
    good = {"TableName": "direct", "Key": other, "UpdateExpression": "SET #s = :v"}
    with pytest.raises(MockValidationException):
        backend.transact_write_items(
            [
                {
                    "Update": {
                        **good,
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":v": {"S": "sent"}},
                    }
                },
                {
                    "Update": {
                        **good,
                        "Key": dict(KEY),
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":v": {"S": ""}},
                    }
                },
            ]
        )
    assert backend.get_item("direct", other).to_json()["Attributes"]["status"] == {"S": "pending"}
