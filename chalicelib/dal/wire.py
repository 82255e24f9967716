"""DynamoDB's requests written and answers read without botocore walking its service model for every attribute value.

botocore serialises a request and parses a JSON answer by their shapes: for every attribute value of every item it
looks up a handler for each member of `AttributeValue` (S, N, B, SS, NS, BS, M, L, NULL, BOOL), and again for each
value under a map or a list. With the orders of a 100-order round trip that is most of the CPU the service spends
on DynamoDB's wire format (measured: ~10-15 ms to parse a 100-item BatchGetItem answer whose JSON decodes in ~1 ms).

`AttributeValuesParser` and `AttributeValuesSerializer` are botocore's own JSON parser and serializer with one
difference: an attribute value in its usual form (exactly one member, of the type DynamoDB sends or PynamoDB
writes; binary as base64 on the wire and bytes in Python) is converted directly, in one pass, into exactly what
botocore would make of it. Anything else (an empty or a several-member value, a null member, a member DynamoDB does
not define, a value of another type) goes to botocore's own handling, so its output and its errors are botocore's.
The tests compare both ways on generated requests and answers. One difference is left: the direct path takes about
half the stack frames per level of nesting, so a value nested ~250 levels deep, where botocore hits Python's
recursion limit, is still converted (DynamoDB refuses values nested over 32 levels).

The DynamoDB clients PynamoDB makes get both through their botocore session (`models.share_service_descriptions`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from botocore.parsers import JSONParser, ResponseParserFactory
from botocore.serialize import JSONSerializer

__all__ = [
    "AttributeValuesParser",
    "AttributeValuesParserFactory",
    "AttributeValuesSerializer",
    "attribute_value",
    "attribute_value_out",
]

_AS_SENT = frozenset(("S", "N"))
_FLAGS = frozenset(("NULL", "BOOL"))
_STRING_SETS = frozenset(("SS", "NS"))


class _Unusual(Exception):
    """An attribute value not in its usual form: botocore's own code converts it."""


def _converted(value: Any, binary_type: type, binary: Callable[[Any], Any]) -> dict[str, Any]:
    """One attribute value with its binary members (`binary_type`) converted by `binary`, everything else as it is;
    `_Unusual` for anything that is not a single member of the expected type."""
    if type(value) is not dict or len(value) != 1:
        raise _Unusual
    for tag, member in value.items():
        if tag in _AS_SENT:
            if type(member) is not str:
                raise _Unusual
            return {tag: member}
        if tag == "M":
            if type(member) is not dict or any(type(name) is not str for name in member):
                raise _Unusual
            return {"M": {name: _converted(v, binary_type, binary) for name, v in member.items()}}
        if tag == "L":
            if type(member) is not list:
                raise _Unusual
            return {"L": [_converted(v, binary_type, binary) for v in member]}
        if tag in _FLAGS:
            if type(member) is not bool:
                raise _Unusual
            return {tag: member}
        if tag == "B":
            if type(member) is not binary_type:
                raise _Unusual
            return {"B": binary(member)}
        if tag in _STRING_SETS:
            if type(member) is not list or any(type(s) is not str for s in member):
                raise _Unusual
            return {tag: list(member)}
        if tag == "BS":
            if type(member) is not list or any(type(s) is not binary_type for s in member):
                raise _Unusual
            return {"BS": [binary(s) for s in member]}
    raise _Unusual


def _base64_text(data: bytes) -> str:
    return base64.b64encode(data).decode()


def attribute_value(value: Any, binary: Callable[[str], Any] = base64.b64decode) -> dict[str, Any]:
    """One attribute value of an answer as botocore's parser returns it (binary read by `binary`, the parser's blob
    parser: decoded from base64); `_Unusual` for anything that is not a single member of the JSON type DynamoDB
    sends for it."""
    return _converted(value, str, binary)


def attribute_value_out(value: Any) -> dict[str, Any]:
    """One attribute value of a request as botocore's serializer writes it (binary encoded as base64); `_Unusual`
    for anything that is not a single member of the Python type PynamoDB gives it (str for S and N, bytes for B)."""
    return _converted(value, bytes, _base64_text)


class AttributeValuesSerializer(JSONSerializer):  # type: ignore[misc]
    """botocore's JSON serializer, writing attribute values (and maps of them) in one pass."""

    def _serialize_type_structure(self, serialized: Any, value: Any, shape: Any, key: Any) -> None:
        if key is not None and shape.name == "AttributeValue":
            try:
                serialized[key] = attribute_value_out(value)
                return
            except _Unusual:
                pass
        super()._serialize_type_structure(serialized, value, shape, key)

    def _serialize_type_map(self, serialized: Any, value: Any, shape: Any, key: Any) -> None:
        if shape.value.name == "AttributeValue" and type(value) is dict:
            try:
                if any(type(name) is not str for name in value):
                    raise _Unusual
                serialized[key] = {name: attribute_value_out(v) for name, v in value.items()}
                return
            except _Unusual:
                pass
        super()._serialize_type_map(serialized, value, shape, key)


class AttributeValuesParser(JSONParser):  # type: ignore[misc]
    """botocore's JSON parser, reading attribute values (and maps and lists of them) in one pass."""

    def _handle_structure(self, shape: Any, value: Any) -> Any:
        if shape.name == "AttributeValue":
            try:
                return attribute_value(value, self._blob_parser)
            except _Unusual:
                pass
        return super()._handle_structure(shape, value)

    def _handle_map(self, shape: Any, value: Any) -> Any:
        if shape.value.name == "AttributeValue" and shape.key.type_name == "string" and type(value) is dict:
            try:
                return {name: attribute_value(v, self._blob_parser) for name, v in value.items()}
            except _Unusual:
                pass
        return super()._handle_map(shape, value)


class AttributeValuesParserFactory(ResponseParserFactory):  # type: ignore[misc]
    """botocore's parser factory, giving `AttributeValuesParser` for the JSON protocol (DynamoDB's)."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            return AttributeValuesParser(**self._defaults)
        return super().create_parser(protocol_name)
