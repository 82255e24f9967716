"""`dal/wire.py`: DynamoDB answers read by `AttributeValuesParser` and requests written by `AttributeValuesSerializer`
are exactly what botocore's own JSON parser and serializer make of them, for attribute values in their usual form and
for every other form (which they leave to botocore)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import botocore.parsers
import botocore.session
import pytest
from botocore.parsers import JSONParser
from botocore.serialize import JSONSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.dal import wire
from chalicelib.dal.wire import AttributeValuesParser, AttributeValuesParserFactory, AttributeValuesSerializer

SERVICE = botocore.session.get_session().get_service_model("dynamodb")

names = st.text(max_size=6)
strings = st.text(max_size=12)
base64_text = st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())
# Anything JSON can carry where DynamoDB puts a member: the other parser must handle what it does not expect.
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), strings)


def usual_values(
    depth: int = 3, binary: st.SearchStrategy[Any] = base64_text
) -> st.SearchStrategy[dict[str, Any]]:
    """Attribute values as DynamoDB sends them (binary as base64 text), or, given `binary=st.binary()`, as
    PynamoDB hands them to botocore."""
    leaves = st.one_of(
        strings.map(lambda s: {"S": s}),
        st.integers().map(lambda n: {"N": str(n)}),
        binary.map(lambda b: {"B": b}),
        st.lists(strings, max_size=3).map(lambda v: {"SS": v}),
        st.lists(st.integers(), max_size=3).map(lambda v: {"NS": [str(n) for n in v]}),
        st.lists(binary, max_size=3).map(lambda v: {"BS": v}),
        st.just({"NULL": True}),
        st.booleans().map(lambda b: {"BOOL": b}),
    )
    if depth == 0:
        return leaves
    inner = usual_values(depth - 1, binary)
    return st.one_of(
        leaves,
        st.dictionaries(names, inner, max_size=3).map(lambda m: {"M": m}),
        st.lists(inner, max_size=3).map(lambda v: {"L": v}),
    )


def unusual_values(depth: int = 2) -> st.SearchStrategy[Any]:
    """Attribute values in any other form: several members, none, a null or mistyped member, a member DynamoDB does
    not define, a value that is not an object; nested under usual ones too."""
    tags = st.sampled_from(["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL", "X", "__type"])
    member = st.one_of(
        json_scalars, st.lists(json_scalars, max_size=2), st.dictionaries(names, json_scalars, max_size=2)
    )
    flat = st.one_of(
        json_scalars,
        st.lists(json_scalars, max_size=2),
        st.dictionaries(tags, member, max_size=3),
    )
    if depth == 0:
        return flat
    return flat_or_nested(flat, st.one_of(usual_values(1), unusual_values(depth - 1)))


def flat_or_nested(flat: st.SearchStrategy[Any], inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`flat`, or `inner` values under a map or a list."""
    return st.one_of(
        flat,
        st.dictionaries(names, inner, min_size=1, max_size=3).map(lambda m: {"M": m}),
        st.lists(inner, min_size=1, max_size=3).map(lambda v: {"L": v}),
    )


def items(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(names, values, max_size=4)


# (operation, how an answer carries items): every answer shape the service reads items from.
ANSWERS = {
    "GetItem": lambda item: {"Item": item},
    "PutItem": lambda item: {"Attributes": item},
    "UpdateItem": lambda item: {"Attributes": item},
    "Query": lambda item: {"Items": [item, item], "Count": 2, "LastEvaluatedKey": item},
    "Scan": lambda item: {"Items": [item], "Count": 1},
    "BatchGetItem": lambda item: {
        "Responses": {"orders": [item, item], "mappings": []},
        "UnprocessedKeys": {"orders": {"Keys": [item]}},
    },
    "TransactGetItems": lambda item: {"Responses": [{"Item": item}, {}]},
    "BatchWriteItem": lambda item: {"UnprocessedItems": {"orders": [{"PutRequest": {"Item": item}}]}},
}


def outcome(attempt: Callable[[], Any]) -> tuple[str, Any]:
    """("ok", what it made) or ("error", the exception's type): botocore's way and the direct one must fail alike."""
    try:
        return ("ok", attempt())
    except Exception as exc:
        return ("error", type(exc).__name__)


def both(operation: str, body: Any, status: int = 200) -> tuple[Any, Any]:
    shape = SERVICE.operation_model(operation).output_shape

    def parsed(parser: JSONParser) -> Any:
        return parser.parse({"status_code": status, "headers": {}, "body": json.dumps(body).encode()}, shape)

    return outcome(lambda: parsed(JSONParser())), outcome(lambda: parsed(AttributeValuesParser()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=st.sampled_from(sorted(ANSWERS)), item=items(usual_values()))
def test_usual_answers_read_as_botocore_reads_them(operation: str, item: dict[str, Any]) -> None:
    stock, fast = both(operation, ANSWERS[operation](item))
    assert fast == stock


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    operation=st.sampled_from(sorted(ANSWERS)),
    item=items(st.one_of(usual_values(1), unusual_values())),
)
def test_unusual_answers_are_botocores(operation: str, item: dict[str, Any]) -> None:
    stock, fast = both(operation, ANSWERS[operation](item))
    assert fast == stock


@settings(max_examples=100, deadline=None)
@given(item=items(st.one_of(usual_values(1), unusual_values(1))))
def test_refused_transactions_carry_the_same_items(item: dict[str, Any]) -> None:
    """A cancelled transaction names each refused item (ReturnValuesOnConditionCheckFailure): read alike."""
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": "Transaction cancelled",
        "CancellationReasons": [{"Code": "ConditionalCheckFailed", "Item": item}, {"Code": "None"}],
    }
    stock, fast = both("TransactWriteItems", body, status=400)
    assert fast == stock


@given(value=usual_values())
def test_usual_values_are_read_directly(value: dict[str, Any]) -> None:
    """The usual form never falls back to botocore's walk, so the speed is there: binary comes back as bytes."""
    read = wire.attribute_value(value)
    tag = next(iter(value))
    assert set(read) == {tag}
    if tag == "B":
        assert read["B"] == base64.b64decode(value["B"])


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"S": "a", "N": "1"},
        {"S": None},
        {"S": 1},
        {"N": 1.5},
        {"X": "a"},
        {"BOOL": "true"},
        {"SS": ["a", 1]},
        {"M": {"a": {"Q": "1"}}},
        {"L": [{"S": "a"}, "b"]},
        ["S", "a"],
        "a",
    ],
)
def test_unusual_values_are_left_to_botocore(value: Any) -> None:
    with pytest.raises(wire._Unusual):
        wire.attribute_value(value)


def test_a_blob_parser_set_on_the_factory_reads_binary_as_botocores_does() -> None:
    body = {"Item": {"b": {"B": "YQ=="}, "m": {"M": {"bs": {"BS": ["Yg=="]}}}}}
    answers = []
    for factory in (botocore.parsers.ResponseParserFactory(), AttributeValuesParserFactory()):
        factory.set_parser_defaults(blob_parser=lambda text: ("custom", text))
        response = {"status_code": 200, "headers": {}, "body": json.dumps(body).encode()}
        answers.append(
            factory.create_parser("json").parse(response, SERVICE.operation_model("GetItem").output_shape)
        )
    assert answers[1] == answers[0]
    assert answers[1]["Item"]["b"] == {"B": ("custom", "YQ==")}


def test_the_factory_gives_it_for_json_only() -> None:
    factory = AttributeValuesParserFactory()
    assert type(factory.create_parser("json")) is AttributeValuesParser
    assert not isinstance(factory.create_parser("query"), AttributeValuesParser)


def python_values(depth: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """Attribute values as PynamoDB hands them to botocore (binary as bytes)."""
    return usual_values(depth, binary=st.binary(max_size=12))


def odd_python_values(depth: int = 2) -> st.SearchStrategy[Any]:
    """Anything else a caller could pass: binary as text, numbers as numbers, several members, unknown members,
    bytearrays, non-text map names; nested under usual values too."""
    tags = st.sampled_from(["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"])
    member = st.one_of(
        st.booleans(),
        st.integers(-5, 5),
        strings,
        st.binary(max_size=4),
        st.binary(max_size=4).map(bytearray),
        st.lists(st.one_of(strings, st.binary(max_size=3), st.integers(-2, 2)), max_size=2),
        st.dictionaries(st.one_of(names, st.integers(0, 3)), python_values(0), max_size=2),
    )
    flat = st.dictionaries(tags, member, min_size=1, max_size=2)
    if depth == 0:
        return flat
    return flat_or_nested(flat, st.one_of(python_values(1), odd_python_values(depth - 1)))


# (operation, how a request carries attribute values): every request shape the service writes them in.
REQUESTS = {
    "GetItem": lambda item: {"TableName": "t", "Key": item},
    "PutItem": lambda item: {
        "TableName": "t",
        "Item": item,
        "ConditionExpression": "attribute_not_exists(#k)",
        "ExpressionAttributeNames": {"#k": "k"},
    },
    "UpdateItem": lambda item: {"TableName": "t", "Key": item, "ExpressionAttributeValues": item},
    "Query": lambda item: {"TableName": "t", "ExclusiveStartKey": item, "ExpressionAttributeValues": item},
    "BatchGetItem": lambda item: {"RequestItems": {"t": {"Keys": [item, item], "ConsistentRead": True}}},
    "BatchWriteItem": lambda item: {
        "RequestItems": {"t": [{"PutRequest": {"Item": item}}, {"DeleteRequest": {"Key": item}}]}
    },
    "TransactWriteItems": lambda item: {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": item}},
            {
                "Update": {
                    "TableName": "t",
                    "Key": item,
                    "UpdateExpression": "SET a = :a",
                    "ExpressionAttributeValues": item,
                }
            },
            {"ConditionCheck": {"TableName": "t", "Key": item, "ConditionExpression": "attribute_exists(k)"}},
        ],
        "ClientRequestToken": "token",
    },
}


def written(operation: str, params: dict[str, Any]) -> tuple[Any, Any]:
    model = SERVICE.operation_model(operation)
    return (
        outcome(lambda: JSONSerializer().serialize_to_request(params, model)),
        outcome(lambda: AttributeValuesSerializer().serialize_to_request(params, model)),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=st.sampled_from(sorted(REQUESTS)), item=items(python_values()))
def test_usual_requests_are_written_as_botocore_writes_them(operation: str, item: dict[str, Any]) -> None:
    stock, fast = written(operation, REQUESTS[operation](item))
    assert stock[0] == "ok"
    assert fast == stock


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    operation=st.sampled_from(sorted(REQUESTS)), item=items(st.one_of(python_values(1), odd_python_values()))
)
def test_unusual_requests_are_botocores(operation: str, item: dict[str, Any]) -> None:
    stock, fast = written(operation, REQUESTS[operation](item))
    assert fast == stock


@given(value=python_values())
def test_usual_request_values_are_written_directly(value: dict[str, Any]) -> None:
    written_value = wire.attribute_value_out(value)
    assert wire.attribute_value(json.loads(json.dumps(written_value))) == value  # and read back as they were


@pytest.mark.parametrize("direct", ["attribute_value_out", "attribute_value"])
def test_the_services_dynamodb_clients_use_it(aws: str, monkeypatch: pytest.MonkeyPatch, direct: str) -> None:
    """A PynamoDB write and read of the service go through the direct writer and reader (the shared session gives
    its DynamoDB clients the serializer, and its parser factory the parser)."""
    from chalicelib.dal import tenants

    seen: list[Any] = []
    original = getattr(wire, direct)

    def counted(value: Any, *binary: Any) -> dict[str, Any]:
        seen.append(value)
        return original(value, *binary)  # type: ignore[no-any-return]

    monkeypatch.setattr(wire, direct, counted)
    tenant = tenants.create_tenant(f"Wire test {direct}")
    assert tenants.get_tenant(tenant.tenant_id) == tenant
    assert {"S": tenant.tenant_id} in seen
