"""Large payloads kept apart from the records that name them (`chalicelib/dal/payloads.py`): a key always reads back
the whole of what was last put under it, whatever was kept there before."""

from __future__ import annotations

import os

import pytest

from chalicelib.dal import payloads

pytestmark = pytest.mark.usefixtures("aws")


def test_a_smaller_payload_put_where_a_larger_one_was_reads_back_whole():
    """A request kept under a key a crashed call had used for a larger one: the larger one's last parts stay in
    the table (a put writes its own parts, it deletes none) and must not be read with the new one."""
    larger = os.urandom(payloads.PART_BYTES + 50_000)  # incompressible: two parts
    assert payloads.put("request#crashed#1", larger) == 2
    assert payloads.get("request#crashed#1") == larger
    assert payloads.put("request#crashed#1", b"<QBXML/>") == 1
    assert payloads.get("request#crashed#1") == b"<QBXML/>"


def test_several_payloads_go_in_one_call_and_each_reads_back():
    many = [payloads.Payload(f"set#c#{n}", f"record {n}".encode() * 50) for n in range(3)]
    assert payloads.put_many(many) == 3
    for payload in many:
        assert payloads.get(payload.key) == payload.data


def test_a_key_never_written_is_missing():
    with pytest.raises(payloads.PayloadMissing):
        payloads.get("request#never#1")
