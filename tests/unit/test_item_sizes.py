"""DynamoDB's item-size rules (ledgerbridge/item_sizes.py), which the cost benchmark bills with and the item-size
tests measure with."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge import item_sizes


@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=200), max_size=10))
def test_an_items_size_is_its_names_and_string_values_in_utf8(item: dict[str, str]) -> None:
    wire = {k: {"S": v} for k, v in item.items()}
    expected = sum(len(k.encode()) + len(v.encode()) for k, v in item.items())
    assert item_sizes.item_size(wire) == expected
    assert item_sizes.write_units(expected) == max(1, math.ceil(expected / 1024))


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_a_numbers_size_grows_with_its_digits(n: int) -> None:
    digits = len(str(abs(n))) if n else 1
    assert item_sizes.value_size({"N": str(n)}) == math.ceil(digits / 2) + 1


def test_a_map_and_a_list_count_their_names_values_and_a_few_bytes_more():
    # 3 bytes for the container and 1 per element, by the Developer Guide's "Item sizes and formats"
    assert item_sizes.value_size({"L": [{"S": "ab"}, {"BOOL": True}]}) == 3 + (2 + 1) + (1 + 1)
    assert item_sizes.value_size({"M": {"k": {"N": "12"}}}) == 3 + (1 + 2 + 1)
    assert item_sizes.item_size({"a": {"S": "x"}, "b": {"S": "yy"}}, names={"b"}) == 3
