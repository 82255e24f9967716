"""Refunds as credit memos."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from chalicelib.orders.model import (
    Order,
    Refund,
)
from chalicelib.orders.to_quickbooks import (
    derived_guid,
    order_guid,
    refund_ref_number,
    refund_requests,
)
from chalicelib.qbxml.text import REF_NUMBER

from .helpers import (
    FILES,
    UK,
    US,
    valid,
)

# --- refunds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["US", "UK"])
def test_refunds_become_credit_memos(us_order: Order, country: str) -> None:
    guid = order_guid("conn-1", "chan-1", us_order.order_id)
    memos = valid(
        refund_requests(
            us_order, FILES[country], country=country, request_prefix="o", customer="C", guid=guid
        )
    )
    assert [m.tag for m in memos] == ["CreditMemoAddRq", "CreditMemoAddRq"]
    first, second = (m[0] for m in memos)
    # numbered in time order, whatever order the store listed them in
    assert first.findtext("RefNumber") == "1001-R1"
    assert first.findtext("TxnDate") == "2026-03-05"
    assert first.findtext("Memo") == "Refund of 1001"
    assert [ln.findtext("ItemRef/FullName") for ln in first.findall("CreditMemoLineAdd")] == [
        "TSHIRT-BLK-M",
        "Shipping",
    ]
    assert [ln.findtext("Amount") for ln in first.findall("CreditMemoLineAdd")] == ["17.99", "2.00"]
    assert second.findtext("RefNumber") == "1001-R2"
    assert second.findtext("Memo") == "Refund of 1001\nGoodwill credit"
    assert second.findtext("CreditMemoLineAdd/ItemRef/FullName") == "Fees"  # no line detail
    assert second.findtext("CreditMemoLineAdd/Amount") == "10.00"
    assert first.findtext("ExternalGUID") == derived_guid(guid, "refund:r-1")
    assert second.findtext("ExternalGUID") == derived_guid(guid, "refund:r-2")
    assert (first.find("ItemSalesTaxRef") is not None) == (country == "US")


def test_refund_selection_keeps_numbering(us_order: Order) -> None:
    memos = refund_requests(
        us_order,
        US,
        country="US",
        request_prefix="o",
        customer="C",
        guid=order_guid("a", "b", "c"),
        refund_ids={"r-2"},
    )
    assert [m[0].findtext("RefNumber") for m in memos] == ["1001-R2"]


def test_refund_of_nothing_is_skipped(us_order: Order) -> None:
    empty = Refund("r-0", us_order.created_at, Decimal(0))
    order = dataclasses.replace(us_order, refunds=(empty,))
    assert (
        refund_requests(
            order, US, country="US", request_prefix="o", customer="C", guid=order_guid("a", "b", "c")
        )
        == []
    )


def test_refund_of_a_long_order_number(uk_order: Order) -> None:
    refund = Refund("r-9", uk_order.created_at, Decimal("15.00"), lines=())
    order = dataclasses.replace(uk_order, refunds=(refund,))
    memo = valid(
        refund_requests(
            order, UK, country="UK", request_prefix="o", customer="C", guid=order_guid("a", "b", "c")
        )
    )[0][0]
    assert memo.findtext("RefNumber") == "7654321-R1"
    assert memo.findtext("PONumber") == "206-1234567-7654321"
    assert memo.findtext("Memo") == "Refund of 567-7654321 (order 206-1234567-7654321)"


def test_refund_ref_number_fits_eleven_characters() -> None:
    assert refund_ref_number("1001", 1) == "1001-R1"
    assert refund_ref_number("ABCDEFGHIJK", 12) == "EFGHIJK-R12"
    assert len(refund_ref_number("X" * 11, 99)) <= REF_NUMBER
