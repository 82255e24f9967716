"""RefNumber, Memo, PONumber and GUIDs."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.orders.model import (
    Order,
)
from chalicelib.orders.to_quickbooks import (
    OrderNotPostable,
    derived_guid,
    order_guid,
    refnumber_and_memo,
)
from chalicelib.qbxml.text import REF_NUMBER

from .helpers import (
    GUID_RE,
    UK,
    US,
    order_with,
    sale,
)

# --- RefNumber, memo, PO number -------------------------------------------------------------------


def test_short_number_is_the_ref_number(us_order: Order) -> None:
    assert refnumber_and_memo(us_order, US) == ("1001", "Order 1001\nLeave at the door.\nThanks!", "")


def test_long_number_keeps_its_end_and_goes_whole_to_po_number_and_memo(uk_order: Order) -> None:
    ref, memo, po_number = refnumber_and_memo(uk_order, UK)
    assert (ref, memo, po_number) == ("567-7654321", "Order 206-1234567-7654321", "206-1234567-7654321")
    add = sale(uk_order, "UK", "invoice")[0]
    assert add.findtext("RefNumber") == "567-7654321"
    assert add.findtext("PONumber") == "206-1234567-7654321"
    receipt = sale(uk_order, "UK", "sales_receipt")[0]
    assert receipt.find("PONumber") is None  # sales receipts have none: the memo carries it
    assert receipt.findtext("Memo") == "Order 206-1234567-7654321"


def test_number_longer_than_a_po_number_is_only_in_the_memo() -> None:
    order = order_with(number="SHOP-2026-03-0000012345-XYZ-77")
    ref, memo, po_number = refnumber_and_memo(order, US)
    assert ref == "12345-XYZ-77"[-11:].lstrip("-")
    assert len(ref) <= REF_NUMBER
    assert po_number == ""
    assert memo == "Order SHOP-2026-03-0000012345-XYZ-77"


def test_ref_number_source_and_fallbacks() -> None:
    by_id = dataclasses.replace(US, order_number_source="id")
    assert refnumber_and_memo(order_with(order_id="5550001", number="#1001"), by_id)[0] == "5550001"
    assert refnumber_and_memo(order_with(order_id="77", number="🎉"), US)[0] == "77"
    with pytest.raises(OrderNotPostable, match="no characters"):
        refnumber_and_memo(order_with(order_id="📦", number="🎉"), US)


# --- GUIDs ----------------------------------------------------------------------------------------


def test_order_guid_is_deterministic_braced_upper_case() -> None:
    guid = order_guid("conn-1", "chan-1", "5550001001")
    assert GUID_RE.match(guid)
    assert guid == order_guid("conn-1", "chan-1", "5550001001")
    # pinned: changing the namespace or the key would make every order look new to QuickBooks
    assert guid == "{DCA647AE-46C8-5599-B8B1-78509380B867}"


def test_order_guid_differs_per_connection_channel_and_order() -> None:
    guids = {
        order_guid("conn-1", "chan-1", "1"),
        order_guid("conn-2", "chan-1", "1"),
        order_guid("conn-1", "chan-2", "1"),
        order_guid("conn-1", "chan-1", "2"),
        order_guid("conn-1", "chan-11", ""[:0] + "1"),
        order_guid("conn-1", "chan-1", "11"),
    }
    assert len(guids) == 6
    # no ambiguity from joining the parts
    assert order_guid("a", "b-c", "d") != order_guid("a-b", "c", "d")
    with pytest.raises(ValueError, match="order_id"):
        order_guid("a", "b", "")


def test_derived_guids() -> None:
    guid = order_guid("a", "b", "c")
    invoice = derived_guid(guid, "invoice")
    assert GUID_RE.match(invoice)
    assert invoice == derived_guid(guid, "invoice")
    assert len({guid, invoice, derived_guid(guid, "payment"), derived_guid(guid, "refund:r-1")}) == 4
