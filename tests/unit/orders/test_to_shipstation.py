"""QuickBooks sales as ShipStation orders: keys that make a re-send an update, addresses read the way
QuickBooks prints them, unpaid invoices shown unpaid, and sales that cannot ship refused in plain words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chalicelib.orders.to_shipstation import (
    LEDGERBRIDGE_SOURCE,
    SaleNotShippable,
    country_code,
    shipment_memo,
    to_shipstation,
)
from chalicelib.qbxml.sales import QbAddress, QbSale, QbSaleLine

SHIP_TO = QbAddress(
    addr1="Ada Lovelace",
    addr2="12 Analytical Way",
    addr3="Suite 3",
    city="Seattle",
    state="WA",
    postal_code="98101",
    country="USA",
)
BILL_TO = QbAddress(
    addr1="Lovelace Engines Ltd",
    addr2="1 Main St",
    city="Portland",
    state="OR",
    postal_code="97201",
    country="United States",
)


def sale(**changes) -> QbSale:
    base = QbSale(
        kind="invoice",
        txn_id="1A2B-1700000000",
        edit_sequence="1700000000",
        ref_number="1042",
        txn_date=date(2026, 11, 20),
        time_modified=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        customer_full_name="Lovelace, Ada",
        class_name="ShipStation",
        bill_address=BILL_TO,
        ship_address=SHIP_TO,
        ship_method="UPS Ground",
        ship_date=None,
        other=None,
        memo="Leave at the door",
        po_number="PO-7",
        subtotal=Decimal("58.00"),
        sales_tax_total=Decimal("5.22"),
        total=Decimal("63.22"),
        balance_remaining=Decimal("63.22"),
        is_paid=False,
        is_fully_invoiced=None,
        is_manually_closed=None,
        is_pending=False,
        lines=(
            QbSaleLine(
                "L1", "Tea:EARL-GREY", "Earl Grey 250 g", Decimal(3), Decimal("16.00"), Decimal("48.00"), None
            ),
            QbSaleLine("L2", None, "Gift wrapped", None, None, None, None),
            QbSaleLine("L3", "Shipping", "UPS Ground", Decimal(1), Decimal("10.00"), Decimal("10.00"), None),
        ),
    )
    return replace(base, **changes)


def test_keys_numbers_items_and_unpaid_invoice():
    doc = to_shipstation(sale(), shipping_item="Shipping").document
    assert doc["orderKey"] == "1A2B-1700000000"  # a re-send updates this order, never adds one
    assert doc["orderNumber"] == "1042"
    assert doc["orderStatus"] == "awaiting_payment"
    assert doc["paymentDate"] is None
    assert doc["amountPaid"] == 0.0
    assert doc["items"] == [
        {"lineItemKey": "L1", "sku": "EARL-GREY", "name": "Earl Grey 250 g", "quantity": 3, "unitPrice": 16.0}
    ]
    assert doc["shippingAmount"] == 10.0
    assert doc["taxAmount"] == 5.22
    assert doc["requestedShippingService"] == "UPS Ground"
    assert doc["advancedOptions"]["source"] == LEDGERBRIDGE_SOURCE
    assert doc["shipTo"]["name"] == "Ada Lovelace"
    assert doc["shipTo"]["street1"] == "12 Analytical Way"
    assert doc["shipTo"]["street2"] == "Suite 3"
    assert doc["shipTo"]["country"] == "US"
    assert doc["billTo"]["name"] == "Lovelace Engines Ltd"
    assert doc["billTo"]["city"] == "Portland"


def test_a_paid_invoice_awaits_shipment_and_sales_orders_carry_no_payment():
    paid = to_shipstation(sale(balance_remaining=Decimal(0), is_paid=True), shipping_item="Shipping").document
    assert paid["orderStatus"] == "awaiting_shipment"
    assert paid["amountPaid"] == 63.22
    assert paid["paymentDate"] == "2026-11-20T00:00:00.0000000"
    order = to_shipstation(
        sale(kind="sales_order", balance_remaining=None, is_paid=None), shipping_item="Shipping"
    ).document
    assert order["orderStatus"] == "awaiting_shipment"
    assert order["amountPaid"] == 0.0


def test_the_digest_changes_only_when_the_order_would():
    first = to_shipstation(sale(), shipping_item="Shipping")
    same = to_shipstation(sale(edit_sequence="1700000999"), shipping_item="Shipping")
    changed = to_shipstation(sale(ship_method="FedEx 2Day"), shipping_item="Shipping")
    assert first.digest == same.digest
    assert first.digest != changed.digest


def test_bill_to_stands_in_for_a_missing_ship_to():
    doc = to_shipstation(sale(ship_address=None), shipping_item="Shipping").document
    assert doc["shipTo"]["street1"] == "1 Main St"
    assert doc["shipTo"] == doc["billTo"]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"ship_address": None, "bill_address": None}, "has no ship-to or bill-to address"),
        ({"ship_address": QbAddress(), "bill_address": QbAddress()}, "has no ship-to or bill-to address"),
        ({"ship_address": QbAddress(addr1="Ada"), "bill_address": None}, "incomplete address"),
        ({"lines": (QbSaleLine("L2", None, "Note", None, None, None, None),)}, "no item lines"),
    ],
)
def test_sales_that_cannot_ship_are_refused_in_plain_words(changes, words):
    with pytest.raises(SaleNotShippable, match=words) as caught:
        to_shipstation(sale(**changes), shipping_item="Shipping")
    assert "Invoice 1042" in str(caught.value)


def test_country_names_become_iso_codes():
    assert country_code("United Kingdom", "US") == "GB"
    assert country_code("ca", "US") == "CA"
    assert country_code(None, "US") == "US"
    assert country_code("Narnia", "US") == "US"


def test_the_shipment_memo_line():
    shipment = {
        "ship_date": "2026-11-21",
        "carrier_code": "ups",
        "service_code": "ups_ground",
        "tracking_number": "1Z999",
        "shipment_cost": "8.5",
    }
    assert shipment_memo(shipment, with_cost=True) == (
        "Shipped 2026-11-21 by ups ups_ground, tracking 1Z999, shipping cost 8.50."
    )
    assert shipment_memo(shipment, with_cost=False) == "Shipped 2026-11-21 by ups ups_ground, tracking 1Z999."
