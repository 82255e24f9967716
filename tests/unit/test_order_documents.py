"""An order's document as the orders table keeps it (`chalicelib/dal/order_documents.py`): compressed against a
fixed dictionary, and the plain zlib streams stored before still read."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.dal.order_documents import DocumentFormat, canonical_json, pack, unpack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "orders"

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**15), max_value=10**15)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=40,
)
documents = st.dictionaries(st.text(max_size=20), _json_values, max_size=12)

# A document stored with DocumentFormat.DICTIONARY_V1 (written by `pack` when the format was introduced). It must read
# for as long as such items exist: the dictionary is part of the stored format.
STORED_V1 = bytes.fromhex(
    "01abc69fd261893b312f11ad144149eb8e798968c9dd2533b10a142c90b4676060889246b1a44823588af40d75d73544f2806f6"
    "93a7aeab3d4333580a44058ba53865a812bf1c102c0d0125c3a0200"
)
STORED_V1_DOCUMENT = {
    "id": "1001",
    "number": "#1001",
    "currency": "USD",
    "customer": {"first_name": "Ana", "last_name": "Diaz", "email": "ana@example.com"},
    "lines": [{"id": "1", "sku": "MUG-1", "title": "Mug", "quantity": 2, "unit_price": "9.50"}],
    "payment_status": "paid",
    "total": "19.00",
}


@settings(max_examples=200, deadline=None)
@given(document=documents)
def test_every_document_reads_back_as_it_was_stored(document: dict[str, Any]) -> None:
    packed = pack(canonical_json(document))
    assert packed[0] == DocumentFormat.DICTIONARY_V1
    assert unpack(packed) == document


@settings(max_examples=100, deadline=None)
@given(document=documents, level=st.integers(min_value=0, max_value=9))
def test_a_document_stored_before_the_format_byte_still_reads(document: dict[str, Any], level: int) -> None:
    """Items written before held a plain zlib stream of the same JSON (any level)."""
    assert unpack(zlib.compress(canonical_json(document), level)) == document


def test_a_document_stored_with_the_first_dictionary_reads_whatever_the_code_becomes() -> None:
    assert unpack(STORED_V1) == STORED_V1_DOCUMENT


@pytest.mark.parametrize("stored", [b"", b"\x02abc", b"\x00", b"{}"])
def test_an_unknown_stored_form_is_refused_not_misread(stored: bytes) -> None:
    with pytest.raises(ValueError):
        unpack(stored)


def test_a_stored_document_cut_short_is_refused() -> None:
    packed = pack(canonical_json(STORED_V1_DOCUMENT))
    with pytest.raises((ValueError, zlib.error)):
        unpack(packed[: len(packed) // 2])


@pytest.mark.parametrize("name", ["us_web_order.json", "uk_marketplace_order.json"])
def test_the_dictionary_shrinks_a_store_order_well_below_plain_zlib(name: str) -> None:
    """What the dictionary is for: an order item's write units follow its size (dal/orders.py)."""
    text = canonical_json(json.loads((FIXTURES / name).read_text()))
    assert len(pack(text)) < 0.8 * len(zlib.compress(text, 9))
    assert len(pack(text)) < len(text) / 2.5
