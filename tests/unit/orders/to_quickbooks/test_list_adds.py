"""Customer and item adds, and every request in one message set."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, cast

import pytest
from lxml import etree

from chalicelib.orders.model import (
    Order,
    Refund,
)
from chalicelib.orders.settings import Accounts
from chalicelib.orders.to_quickbooks import (
    OrderNotPostable,
    customer_add_request,
    customer_name,
    item_add_request,
    item_name,
    missing_item_requests,
    needed_items,
    order_guid,
    payment_request,
    refund_requests,
    sale_lines,
    sale_requests,
)

from .helpers import (
    FILES,
    GUID_OF_ORDER,
    UK,
    US,
    every_text,
    sale,
    valid,
)

# --- missing items --------------------------------------------------------------------------------


def test_missing_items_become_non_inventory_and_charge_items(us_order: Order) -> None:
    requests = valid(
        missing_item_requests(
            us_order,
            US,
            country="US",
            request_prefix="o",
            missing={"TSHIRT-BLK-M", "Shipping", "Discount", "Fees"},
        )
    )
    assert [r.tag for r in requests] == [
        "ItemNonInventoryAddRq", "ItemDiscountAddRq", "ItemOtherChargeAddRq", "ItemOtherChargeAddRq",
    ]  # fmt: skip
    item = requests[0][0]
    assert item.findtext("Name") == "TSHIRT-BLK-M"
    assert item.findtext("SalesOrPurchase/Price") == "19.99"
    assert item.findtext("SalesOrPurchase/AccountRef/FullName") == "Sales"
    assert requests[1][0].findtext("AccountRef/FullName") == "Discounts Given"
    assert {r.get("requestID") for r in requests} == {
        "o-item1",
        "o-discount-item",
        "o-shipping-item",
        "o-fee-item",
    }


def test_missing_inventory_items_with_a_parent_and_mpn(uk_order: Order) -> None:
    settings = dataclasses.replace(UK, missing_items="create_inventory", product_matching="full_name")
    requests = valid(
        missing_item_requests(uk_order, settings, country="UK", request_prefix="o", missing={"MUG:BLUE"})
    )
    add = requests[0][0]
    assert requests[0].tag == "ItemInventoryAddRq"
    assert (add.findtext("Name"), add.findtext("ParentRef/FullName")) == ("BLUE", "MUG")
    assert add.findtext("SalesTaxCodeRef/FullName") == "S"
    mpn = dataclasses.replace(UK, product_matching="manufacturer_part_number")
    add = valid(missing_item_requests(uk_order, mpn, country="UK", request_prefix="o", missing={"MUG:BLUE"}))[
        0
    ][0]
    assert (add.findtext("Name"), add.findtext("ManufacturerPartNumber")) == ("MUG-BLUE", "MUG:BLUE")
    # the sale refers to the item by the name it is created under
    assert sale_lines(uk_order, mpn, country="UK")[1].item == "MUG-BLUE"


def test_missing_items_with_fail_name_them(us_order: Order) -> None:
    settings = dataclasses.replace(US, missing_items="fail")
    with pytest.raises(OrderNotPostable, match="TSHIRT-BLK-M, GIFTCARD"):
        missing_item_requests(
            us_order, settings, country="US", request_prefix="o", missing={"TSHIRT-BLK-M", "GIFTCARD"}
        )
    with pytest.raises(OrderNotPostable, match="GIFTCARD is not in QuickBooks"):
        item_add_request("i", "GIFTCARD", us_order.lines[1], settings, country="US")


def test_item_add_request_for_one_line(us_order: Order) -> None:
    element = valid([item_add_request("i-1", "GIFTCARD", us_order.lines[1], US, country="US")])[0]
    assert element.tag == "ItemNonInventoryAddRq"
    assert element[0].findtext("SalesTaxCodeRef/FullName") == "Non"  # the line is not taxable
    element = item_add_request("i-2", "TSHIRT-BLK-M", us_order.lines[0], UK, country="UK")
    assert element[0].findtext("SalesTaxCodeRef/FullName") == "S"


def test_missing_items_need_accounts(us_order: Order) -> None:
    no_income = dataclasses.replace(US, accounts=Accounts(deposit="Undeposited Funds"))
    with pytest.raises(OrderNotPostable, match="income account"):
        missing_item_requests(us_order, no_income, country="US", request_prefix="o", missing={"GIFTCARD"})
    inventory = dataclasses.replace(US, missing_items="create_inventory", accounts=Accounts(income="Sales"))
    with pytest.raises(OrderNotPostable, match="cost of goods sold"):
        missing_item_requests(us_order, inventory, country="US", request_prefix="o", missing={"GIFTCARD"})


def test_unused_charge_items_are_not_needed(uk_order: Order) -> None:
    """Item adds follow what the requests name: charge items the order does not use are not added."""
    requests = [sale(uk_order, "UK", "sales_receipt")]
    assert needed_items({"Discount", "Fees"}, requests, UK) == set()


def test_a_refund_without_lines_names_the_fee_item_and_it_is_added(uk_order: Order) -> None:
    """A goodwill refund (an amount, no lines) on an order without fees is credited to the fee item: the item
    must be added in the same message set, or QuickBooks answers 3140 for the credit memo."""
    assert not uk_order.fees
    goodwill = Refund(refund_id="g1", created_at=uk_order.created_at, amount=Decimal("5.00"), note="sorry")
    order = dataclasses.replace(uk_order, refunds=(goodwill,))
    memos = valid(
        refund_requests(
            order, UK, country="UK", request_prefix="o", customer=customer_name(order, UK), guid=GUID_OF_ORDER
        )
    )
    assert needed_items({"Discount", "Fees", "Shipping"}, memos, UK) == {"Fees"}
    adds = valid(missing_item_requests(order, UK, country="UK", request_prefix="o", missing={"Fees"}))
    assert [a.tag for a in adds] == ["ItemOtherChargeAddRq"] and adds[0][0].findtext("Name") == "Fees"


# --- every request the mapping can build ----------------------------------------------------------


def test_every_request_for_both_fixtures_in_one_message_set(us_order: Order, uk_order: Order) -> None:
    requests: list[etree._Element] = []
    for order, country in ((us_order, "US"), (uk_order, "UK"), (uk_order, "CA")):
        settings = FILES[country]
        guid = order_guid("c", country, order.order_id)
        customer = customer_name(order, settings)
        requests.append(
            customer_add_request(order, settings, request_id=f"{country}-cust", external_guid=guid)
        )
        keys = {item_name(line, settings) for line in order.lines}
        requests += missing_item_requests(
            order,
            settings,
            country=country,
            request_prefix=f"{country}-x",
            missing=keys | {"Shipping", "Discount", "Fees"},
        )
        for txn_type in ("sales_receipt", "invoice", "sales_order"):
            requests += sale_requests(
                order,
                settings,
                country=country,
                request_prefix=f"{country}-x",
                txn_type=cast(Any, txn_type),
                customer=customer,
                guid=guid,
            )
        requests.append(
            payment_request(
                order,
                settings,
                request_id=f"{country}-pay",
                customer=customer,
                invoice_txn_id="T-1",
                guid=guid,
            )
        )
        requests += refund_requests(
            order, settings, country=country, request_prefix=f"{country}-x", customer=customer, guid=guid
        )
    valid(requests)
    for text in every_text(requests):
        text.encode("cp1252")


def test_a_settings_item_name_that_cannot_be_created_is_not_postable(us_order: Order) -> None:
    settings = dataclasses.replace(US, shipping_item="Shipping and Handling Charges (Ground)")
    with pytest.raises(OrderNotPostable, match="shipping item"):
        missing_item_requests(
            us_order, settings, country="US", request_prefix="o", missing={settings.shipping_item}
        )
